using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class FundingSchemeConfiguration : IEntityTypeConfiguration<FundingScheme>
{
    public void Configure(EntityTypeBuilder<FundingScheme> e)
    {
        e.HasKey(x => x.Code);
        e.Property(x => x.Code).HasMaxLength(40);
        e.Property(x => x.Label).HasMaxLength(200);
        e.Property(x => x.FlatAmount).HasPrecision(12, 2);
        e.Property(x => x.AdvanceShare).HasPrecision(5, 4);
        e.Ignore(x => x.ClientIdTypes);
        e.Ignore(x => x.EditableFieldList);
    }
}
