using Guichet.Instruction.Bulk;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class BulkOperationConfiguration : IEntityTypeConfiguration<BulkOperation>
{
    public void Configure(EntityTypeBuilder<BulkOperation> e)
    {
        e.Property(x => x.Id).ValueGeneratedNever();
        e.Property(x => x.Action).HasConversion<string>().HasMaxLength(30);
        e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.Reason).HasMaxLength(4000);
        e.Property(x => x.Comment).HasMaxLength(4000);
        e.Property(x => x.Items).HasConversion(JsonColumns.Converter<List<string>>(), JsonColumns.Comparer<List<string>>());
        e.Property(x => x.UserId).HasMaxLength(450);
        e.Property(x => x.UserName).HasMaxLength(200);
        e.Ignore(x => x.Processed);
        e.Ignore(x => x.StatusCode);
        e.Ignore(x => x.ActionCode);
        // The list of recent operations, and each instance's look for stale ones.
        e.HasIndex(x => x.CreatedAt);
        e.HasIndex(x => new { x.Status, x.HeartbeatAt });
    }
}

public sealed class BulkOperationItemConfiguration : IEntityTypeConfiguration<BulkOperationItem>
{
    public void Configure(EntityTypeBuilder<BulkOperationItem> e)
    {
        e.HasOne<BulkOperation>().WithMany().HasForeignKey(x => x.OperationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<FundingRequest>().WithMany().HasForeignKey(x => x.RequestId).OnDelete(DeleteBehavior.Cascade);
        e.Property(x => x.Number).HasMaxLength(40);
        // Two runners on the same item: the second one's UPDATE finds no row still « à traiter » and its transaction rolls back.
        e.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(20).IsConcurrencyToken();
        e.Property(x => x.Reason).HasMaxLength(4000);
        e.HasIndex(x => new { x.OperationId, x.Outcome });
    }
}
