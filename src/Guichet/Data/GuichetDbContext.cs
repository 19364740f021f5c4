using Guichet.Accounts;
using Guichet.Data.Configurations;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Instruction;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Guichet.Data;

/// <summary>The one model; each provider has a derived context carrying its own migrations.</summary>
public abstract class GuichetDbContext(DbContextOptions options) : IdentityDbContext<GuichetUser>(options), IDataProtectionKeyContext
{
    public DbSet<FundingScheme> Schemes => Set<FundingScheme>();
    public DbSet<Organisation> Organisations => Set<Organisation>();
    public DbSet<Solution> Solutions => Set<Solution>();
    public DbSet<FundingRequest> Requests => Set<FundingRequest>();
    public DbSet<SupportingDocument> Documents => Set<SupportingDocument>();
    public DbSet<HistoryEntry> History => Set<HistoryEntry>();
    public DbSet<ModificationRound> Rounds => Set<ModificationRound>();
    public DbSet<InternalNote> InternalNotes => Set<InternalNote>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<UserSession> UserSessions => Set<UserSession>();
    public DbSet<NumberSequence> Sequences => Set<NumberSequence>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Deposits.DepositJob> DepositJobs => Set<Deposits.DepositJob>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<RequestView> RequestViews => Set<RequestView>();
    public DbSet<RequestCount> RequestCounts => Set<RequestCount>();
    public DbSet<DepositTally> DepositTallies => Set<DepositTally>();
    public DbSet<DecisionDelayTally> DecisionDelayTallies => Set<DecisionDelayTally>();
    public DbSet<SecurityEvent> SecurityEvents => Set<SecurityEvent>();
    public DbSet<Hosting.RateCounter> RateCounters => Set<Hosting.RateCounter>();
    public DbSet<Webhooks.PortalEvent> Events => Set<Webhooks.PortalEvent>();
    public DbSet<Webhooks.WebhookSubscription> WebhookSubscriptions => Set<Webhooks.WebhookSubscription>();
    public DbSet<Webhooks.WebhookDelivery> WebhookDeliveries => Set<Webhooks.WebhookDelivery>();
    public DbSet<Webhooks.WebhookAttempt> WebhookAttempts => Set<Webhooks.WebhookAttempt>();
    public DbSet<Instruction.Bulk.BulkOperation> BulkOperations => Set<Instruction.Bulk.BulkOperation>();
    public DbSet<Instruction.Bulk.BulkOperationItem> BulkOperationItems => Set<Instruction.Bulk.BulkOperationItem>();

    protected abstract bool IsSqlite { get; }

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        if (!IsSqlite) b.HasPostgresExtension("pg_trgm");

        b.ApplyConfiguration(new FundingSchemeConfiguration());
        b.ApplyConfiguration(new OrganisationConfiguration());
        b.ApplyConfiguration(new SolutionConfiguration());
        b.ApplyConfiguration(new FundingRequestConfiguration(IsSqlite));
        b.ApplyConfiguration(new SupportingDocumentConfiguration());
        b.ApplyConfiguration(new HistoryEntryConfiguration());
        b.ApplyConfiguration(new ModificationRoundConfiguration());
        b.ApplyConfiguration(new InternalNoteConfiguration());
        b.ApplyConfiguration(new ApiTokenConfiguration());
        b.ApplyConfiguration(new UserSessionConfiguration());
        b.ApplyConfiguration(new GuichetUserConfiguration());
        b.ApplyConfiguration(new DepositJobConfiguration());
        b.ApplyConfiguration(new OutboxMessageConfiguration());
        b.ApplyConfiguration(new RequestViewConfiguration());
        b.ApplyConfiguration(new RequestCountConfiguration());
        b.Entity<DepositTally>().HasKey(x => x.Hour);
        b.Entity<DepositTally>().Property(x => x.Hour).ValueGeneratedNever();
        b.Entity<DecisionDelayTally>().HasKey(x => x.Hours);
        b.Entity<DecisionDelayTally>().Property(x => x.Hours).ValueGeneratedNever();
        b.ApplyConfiguration(new NumberSequenceConfiguration());
        b.ApplyConfiguration(new SecurityEventConfiguration());
        b.ApplyConfiguration(new RateCounterConfiguration());
        b.ApplyConfiguration(new PortalEventConfiguration());
        b.ApplyConfiguration(new WebhookSubscriptionConfiguration());
        b.ApplyConfiguration(new WebhookDeliveryConfiguration());
        b.ApplyConfiguration(new WebhookAttemptConfiguration());
        b.ApplyConfiguration(new BulkOperationConfiguration());
        b.ApplyConfiguration(new BulkOperationItemConfiguration());

        if (IsSqlite) ReadDateTimesAsUtc(b);
    }

    // SQLite returns DateTime with an unspecified kind: every instant in this model is UTC.
    private static void ReadDateTimesAsUtc(ModelBuilder b)
    {
        foreach (var p in b.Model.GetEntityTypes().SelectMany(t => t.GetProperties()))
        {
            if (p.ClrType == typeof(DateTime))
                p.SetValueConverter(new ValueConverter<DateTime, DateTime>(v => v, v => DateTime.SpecifyKind(v, DateTimeKind.Utc)));
            else if (p.ClrType == typeof(DateTime?))
                p.SetValueConverter(new ValueConverter<DateTime?, DateTime?>(
                    v => v, v => v.HasValue ? DateTime.SpecifyKind(v.Value, DateTimeKind.Utc) : v));
        }
    }

    // Contexts are pooled (DatabaseSetup): the keeper and its deferred batch belong to one lease, never to the next user.
    private (int Lease, RequestCountKeeper Keeper)? _counts;
    private RequestCountKeeper Counts => _counts is { } c && c.Lease == ContextId.Lease
        ? c.Keeper : (_counts = (ContextId.Lease, new RequestCountKeeper(this))).Value.Keeper;

    // Every save goes through the keeper of RequestCounts (and of the events), so no code path can forget either.
    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        Counts.Save(acceptAllChangesOnSuccess, base.SaveChanges);

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default) =>
        Counts.SaveAsync(acceptAllChangesOnSuccess, base.SaveChangesAsync, cancellationToken);

    /// <summary>
    /// Until the returned batch is flushed (just before the commit of the caller's transaction), counter deltas are
    /// held rather than written. Used by the deposit, whose slices would otherwise lock the counters for its whole length.
    /// </summary>
    public DeferredRequestCounts DeferRequestCounts() => Counts.Defer();
}

/// <summary>Counters for portal numbers, advanced with a guarded update so several instances never collide.</summary>
public class NumberSequence
{
    public required string Key { get; init; }
    public long Value { get; set; }
}

public sealed class SqliteGuichetDbContext(DbContextOptions<SqliteGuichetDbContext> options) : GuichetDbContext(options)
{
    protected override bool IsSqlite => true;
}

public sealed class PostgresGuichetDbContext(DbContextOptions<PostgresGuichetDbContext> options) : GuichetDbContext(options)
{
    protected override bool IsSqlite => false;
}
