using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class RequestCountConfiguration : IEntityTypeConfiguration<RequestCount>
{
    public void Configure(EntityTypeBuilder<RequestCount> e)
    {
        e.HasKey(x => new { x.OrganisationId, x.SchemeCode, x.Type, x.Status });
        e.Property(x => x.SchemeCode).HasMaxLength(40);
        e.Property(x => x.Type).HasConversion(v => v.Code(), v => Codes.ParseType(v)).HasMaxLength(10);
        e.Property(x => x.Status).HasConversion(v => v.Code(), v => Codes.ParseStatus(v)).HasMaxLength(20);
        e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}
