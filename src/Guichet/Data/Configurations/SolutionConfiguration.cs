using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class SolutionConfiguration : IEntityTypeConfiguration<Solution>
{
    public void Configure(EntityTypeBuilder<Solution> e)
    {
        e.Property(x => x.Name).HasMaxLength(200);
        e.Property(x => x.Version).HasMaxLength(50);
        e.Property(x => x.ReferencingNumber).HasMaxLength(50);
        e.HasIndex(x => x.ReferencingNumber).IsUnique();
        e.HasOne<FundingScheme>().WithMany().HasForeignKey(x => x.SchemeCode);
    }
}
