using Guichet.Deposits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class DepositJobConfiguration : IEntityTypeConfiguration<DepositJob>
{
    public void Configure(EntityTypeBuilder<DepositJob> e)
    {
        e.Property(x => x.Id).ValueGeneratedNever();
        e.Property(x => x.UserId).HasMaxLength(450);
        e.Property(x => x.JsonFileName).HasMaxLength(255);
        e.Property(x => x.ZipFileName).HasMaxLength(255);
        e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
        e.Ignore(x => x.Created);
        e.Ignore(x => x.Errors);
        e.Ignore(x => x.StatusCode);
        e.Property(x => x.IdempotencyKey).HasMaxLength(DepositJob.MaxIdempotencyKeyLength);
        e.Property(x => x.ContentSha256).HasMaxLength(64);
        e.HasIndex(x => new { x.OrganisationId, x.CreatedAt });
        // A retry with the same key finds the first job; two at once cannot both insert (NULLs never collide).
        e.HasIndex(x => new { x.OrganisationId, x.IdempotencyKey }).IsUnique();
        // The periodic check of every instance: the jobs « en traitement » whose heartbeat is stale.
        e.HasIndex(x => new { x.Status, x.HeartbeatAt });
    }
}
