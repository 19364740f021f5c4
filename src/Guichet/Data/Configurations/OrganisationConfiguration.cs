using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class OrganisationConfiguration : IEntityTypeConfiguration<Organisation>
{
    public void Configure(EntityTypeBuilder<Organisation> e)
    {
        e.Property(x => x.Name).HasMaxLength(200);
        e.Property(x => x.Siret).HasMaxLength(14);
        e.HasIndex(x => x.Siret).IsUnique();
        e.HasMany(x => x.Solutions).WithOne().HasForeignKey(x => x.OrganisationId);
    }
}
