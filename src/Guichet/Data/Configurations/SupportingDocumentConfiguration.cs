using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class SupportingDocumentConfiguration : IEntityTypeConfiguration<SupportingDocument>
{
    public void Configure(EntityTypeBuilder<SupportingDocument> e)
    {
        // Ids are made by the domain: a new document reached through its request is an insert, not an update.
        e.Property(x => x.Id).ValueGeneratedNever();
        e.Property(x => x.Type).HasConversion(v => v.Code(), v => Codes.ParseDocumentType(v)).HasMaxLength(30);
        e.Property(x => x.FileName).HasMaxLength(255);
        e.Property(x => x.StorageKey).HasMaxLength(100);
        e.Property(x => x.ContentType).HasMaxLength(100);
        e.Property(x => x.Sha256).HasMaxLength(64);
        e.Property(x => x.QuarantineSignature).HasMaxLength(200);
        e.Ignore(x => x.IsQuarantined);
        e.HasOne(x => x.Round).WithMany().HasForeignKey(x => x.RoundId).OnDelete(DeleteBehavior.Restrict);
        e.HasIndex(x => x.FundingRequestId);
        // The orphan-file purge asks, for each stored file, whether a row still refers to it.
        e.HasIndex(x => x.StorageKey);
    }
}
