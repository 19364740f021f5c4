using Guichet.Accounts;
using Guichet.Domain;
using Guichet.Instruction;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class RequestViewConfiguration : IEntityTypeConfiguration<RequestView>
{
    public void Configure(EntityTypeBuilder<RequestView> e)
    {
        e.HasKey(x => new { x.UserId, x.FundingRequestId });
        e.HasOne<GuichetUser>().WithMany().HasForeignKey(x => x.UserId);
        e.HasOne<FundingRequest>().WithMany().HasForeignKey(x => x.FundingRequestId);
    }
}
