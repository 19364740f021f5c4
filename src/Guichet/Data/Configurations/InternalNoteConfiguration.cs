using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class InternalNoteConfiguration : IEntityTypeConfiguration<InternalNote>
{
    public void Configure(EntityTypeBuilder<InternalNote> e)
    {
        e.ToTable("InternalNotes");
        e.Property(x => x.AuthorName).HasMaxLength(200);
        e.Property(x => x.AuthorRole).HasMaxLength(50);
        e.Property(x => x.AuthorUserId).HasMaxLength(450);
        e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.Text).HasMaxLength(4000);
        e.HasIndex(x => new { x.FundingRequestId, x.At });
    }
}
