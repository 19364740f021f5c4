using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class ModificationRoundConfiguration : IEntityTypeConfiguration<ModificationRound>
{
    public void Configure(EntityTypeBuilder<ModificationRound> e)
    {
        e.Property(x => x.OpenedBy).HasMaxLength(200);
        e.Property(x => x.OpenedByRole).HasMaxLength(50);
        e.Property(x => x.Comment).HasMaxLength(4000);
        e.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.Items).HasConversion(JsonColumns.Converter<List<string>>(), JsonColumns.Comparer<List<string>>());
        e.Property(x => x.Draft).HasConversion(JsonColumns.Converter<Dictionary<string, string>>(), JsonColumns.Comparer<Dictionary<string, string>>());
        e.Ignore(x => x.FieldItems);
        e.Ignore(x => x.DocumentItems);
        e.Ignore(x => x.LastDay);
        e.HasIndex(x => new { x.FundingRequestId, x.ClosedAt });
        e.HasIndex(x => new { x.ClosedAt, x.ReminderDueAt });
        e.HasIndex(x => new { x.ClosedAt, x.ClosingDueAt }); // the dashboard's J+20 closings due in the next 7 days
        e.HasIndex(x => x.Outcome); // the dashboard's outcomes of closed rounds, counted from the index
    }
}
