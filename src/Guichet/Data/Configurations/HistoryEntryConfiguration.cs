using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class HistoryEntryConfiguration : IEntityTypeConfiguration<HistoryEntry>
{
    public void Configure(EntityTypeBuilder<HistoryEntry> e)
    {
        e.Property(x => x.ActorName).HasMaxLength(200);
        e.Property(x => x.ActorRole).HasMaxLength(50);
        e.Property(x => x.Event).HasMaxLength(200);
        e.Property(x => x.FromStatus).HasConversion(v => v!.Value.Code(), v => Codes.ParseStatus(v)).HasMaxLength(20);
        e.Property(x => x.ToStatus).HasConversion(v => v!.Value.Code(), v => Codes.ParseStatus(v)).HasMaxLength(20);
        e.Property(x => x.Changes).HasConversion(JsonColumns.Converter<List<FieldChange>>(), JsonColumns.Comparer<List<FieldChange>>());
        e.Property(x => x.DocumentsAdded).HasConversion(JsonColumns.Converter<List<string>>(), JsonColumns.Comparer<List<string>>());
        e.HasIndex(x => new { x.FundingRequestId, x.At });
        e.Ignore(x => x.Kind);
    }
}
