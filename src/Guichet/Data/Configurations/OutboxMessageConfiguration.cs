using Guichet.Email;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> e)
    {
        e.Property(x => x.MessageId).HasMaxLength(100);
        e.HasIndex(x => x.MessageId).IsUnique();
        e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(40);
        e.Property(x => x.Subject).HasMaxLength(500);
        e.Property(x => x.LastError).HasMaxLength(1000);
        e.HasOne(x => x.Request).WithMany().HasForeignKey(x => x.FundingRequestId).OnDelete(DeleteBehavior.Restrict);
        // The dispatcher's claim reads the due messages in this order and stops after a batch: only unsent rows are in
        // the index, so a claim reads a batch's worth of entries, not every unsent row sorted (docs/architecture.md).
        e.HasIndex(x => new { x.NextAttemptAt, x.Id }).HasDatabaseName("IX_OutboxMessages_Unsent").HasFilter("\"SentAt\" IS NULL");
        e.HasIndex(x => x.LeaseToken);
        e.Ignore(x => x.RecipientList);
        e.Ignore(x => x.StateLabel);
    }
}
