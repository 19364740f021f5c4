using Guichet.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> e)
    {
        e.Property(x => x.Name).HasMaxLength(100);
        e.Property(x => x.Hash).HasMaxLength(64);
        e.Property(x => x.Prefix).HasMaxLength(20);
        e.HasIndex(x => x.Hash).IsUnique();
        e.HasIndex(x => x.UserId);
        e.HasOne<GuichetUser>().WithMany().HasForeignKey(x => x.UserId);
    }
}
