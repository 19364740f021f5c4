using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

/// <summary>The requests; the provider decides how amounts are stored and which free-text indexes exist.</summary>
public sealed class FundingRequestConfiguration(bool sqlite) : IEntityTypeConfiguration<FundingRequest>
{
    public void Configure(EntityTypeBuilder<FundingRequest> e)
    {
        e.Property(x => x.Number).HasMaxLength(30);
        e.HasIndex(x => x.Number).IsUnique();
        e.Property(x => x.VendorReference).HasMaxLength(100);
        e.HasIndex(x => new { x.OrganisationId, x.VendorReference }).IsUnique();
        e.HasIndex(x => new { x.OrganisationId, x.Status, x.UpdatedAt });
        e.HasIndex(x => new { x.OrganisationId, x.UpdatedAt });
        e.HasIndex(x => new { x.Status, x.UpdatedAt });
        e.HasIndex(x => x.UpdatedAt);
        e.HasIndex(x => new { x.SchemeCode, x.ClientIdType, x.ClientId });
        e.HasIndex(x => x.AdvanceNumber);
        // At most one live advance per scheme and client, and one live balance per advance, even under racing deposits.
        e.HasIndex(x => new { x.SchemeCode, x.ClientIdType, x.ClientId }, "IX_Requests_LiveAdvance").IsUnique()
            .HasFilter("\"Type\" = 'AVANCE' AND \"Status\" <> 'REJETEE'");
        e.HasIndex(x => x.AdvanceNumber, "IX_Requests_LiveBalance").IsUnique()
            .HasFilter("\"Type\" = 'SOLDE' AND \"Status\" <> 'REJETEE'");
        e.HasIndex(x => x.DepositedAt); // the instruction queue, oldest first
        e.HasIndex(x => new { x.Status, x.DepositedAt });
        // Counts per status under the queue's scheme and type filters, read from the index alone.
        e.HasIndex(x => new { x.SchemeCode, x.Type, x.Status });
        e.HasIndex(x => x.ClientId); // free text: an exact client identifier
        e.HasIndex(x => x.LastModifiedByVendorAt); // « modifiée depuis ma dernière consultation »
        e.HasIndex(x => new { x.LastRoundOutcome, x.Status, x.DepositedAt }); // « délai de modification dépassé »
        e.Property(x => x.LastRoundOutcome).HasConversion<string>().HasMaxLength(20);
        e.Property(x => x.AssignedToUserId).HasMaxLength(450);
        e.Property(x => x.AssignedToName).HasMaxLength(200);
        e.HasIndex(x => new { x.AssignedToUserId, x.DepositedAt }); // « mes demandes » and « non attribuées », oldest first
        e.HasIndex(x => x.DecisionSeconds); // the dashboard's median and 90th percentile: an ordered read of this index
        // Free text « contains » on PostgreSQL: trigram indexes (pg_trgm) on lower("Number"), lower("VendorReference") and
        // lower("ClientName"), written in the migrations (an expression index). Never on the bare column: pg_trgm answers
        // « = » too, and the planner took such an index for the exact lookups by number or reference (seconds instead of
        // milliseconds; docs/architecture.md « Performances »).
        if (!sqlite)
        {
            // Room left on each page: an update that changes no indexed column (the J+10 reminder's version) stays on its
            // page without touching the table's twenty-odd indexes (a HOT update). New pages only; docs/architecture.md « Performances ».
            e.HasStorageParameter("fillfactor", 90);
        }
        e.Property(x => x.Status).HasConversion(v => v.Code(), v => Codes.ParseStatus(v)).HasMaxLength(20);
        e.Property(x => x.Type).HasConversion(v => v.Code(), v => Codes.ParseType(v)).HasMaxLength(10);
        e.Property(x => x.ClientIdType).HasConversion(v => v.Code(), v => Codes.ParseClientIdType(v)).HasMaxLength(10);
        e.Property(x => x.SchemeCode).HasMaxLength(40);
        e.Property(x => x.ClientId).HasMaxLength(14);
        e.Property(x => x.ClientName).HasMaxLength(500);
        e.Property(x => x.PurchaseOrderNumber).HasMaxLength(100);
        e.Property(x => x.AdvanceNumber).HasMaxLength(30);
        e.Property(x => x.ContactSupport).HasMaxLength(500);
        e.Property(x => x.RejectionReason).HasMaxLength(4000);
        e.Property(x => x.Version).IsConcurrencyToken();
        e.HasOne(x => x.Organisation).WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne(x => x.Solution).WithMany().HasForeignKey(x => x.SolutionId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne(x => x.Scheme).WithMany().HasForeignKey(x => x.SchemeCode).OnDelete(DeleteBehavior.Restrict);
        e.HasMany(x => x.Documents).WithOne().HasForeignKey(x => x.FundingRequestId);
        e.HasMany(x => x.History).WithOne().HasForeignKey(x => x.FundingRequestId);
        e.HasMany(x => x.Rounds).WithOne().HasForeignKey(x => x.FundingRequestId);
        e.HasMany(x => x.Notes).WithOne().HasForeignKey(x => x.FundingRequestId);
        e.Ignore(x => x.OpenRound);
        e.Ignore(x => x.ConfirmedDocuments);
        // SQLite has no decimal type: amounts are stored there as whole cents.
        if (sqlite) e.Property(x => x.Amount).HasConversion(v => (long)(v * 100m), v => v / 100m);
        else e.Property(x => x.Amount).HasPrecision(12, 2);
    }
}
