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
        e.HasIndex(x => new { x.OrganisationId, x.CreatedAt });
    }
}
