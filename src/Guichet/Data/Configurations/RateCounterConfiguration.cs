using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class RateCounterConfiguration : IEntityTypeConfiguration<RateCounter>
{
    public void Configure(EntityTypeBuilder<RateCounter> e)
    {
        e.ToTable("RateCounters");
        e.HasKey(x => new { x.Key, x.WindowStart });
        e.Property(x => x.Key).HasMaxLength(RateCounter.KeyLength);
        e.HasIndex(x => x.ExpiresAt); // the purge of expired windows
    }
}
