using Guichet.Accounts;
using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

/// <summary>What the portal adds to the Identity user (the rest is Identity's own model).</summary>
public sealed class GuichetUserConfiguration : IEntityTypeConfiguration<GuichetUser>
{
    public void Configure(EntityTypeBuilder<GuichetUser> e)
    {
        e.Property(x => x.FullName).HasMaxLength(200);
        e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}
