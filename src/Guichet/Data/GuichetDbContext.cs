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
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<NumberSequence> Sequences => Set<NumberSequence>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Deposits.DepositJob> DepositJobs => Set<Deposits.DepositJob>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<RequestView> RequestViews => Set<RequestView>();
    public DbSet<RequestCount> RequestCounts => Set<RequestCount>();

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
        b.ApplyConfiguration(new ApiTokenConfiguration());
        b.ApplyConfiguration(new GuichetUserConfiguration());
        b.ApplyConfiguration(new DepositJobConfiguration());
        b.ApplyConfiguration(new OutboxMessageConfiguration());
        b.ApplyConfiguration(new RequestViewConfiguration());
        b.ApplyConfiguration(new RequestCountConfiguration());
        b.ApplyConfiguration(new NumberSequenceConfiguration());

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

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        var (deltas, autoDetect) = PrepareSave();
        try
        {
            if (deltas.Count == 0) return base.SaveChanges(acceptAllChangesOnSuccess);
            if (Database.CurrentTransaction is not null)
            {
                var saved = base.SaveChanges(acceptAllChangesOnSuccess);
                ApplyOrDefer(deltas);
                return saved;
            }
            using var tx = Database.BeginTransaction();
            var n = base.SaveChanges(acceptAllChangesOnSuccess);
            ApplyOrDefer(deltas);
            tx.Commit();
            return n;
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var (deltas, autoDetect) = PrepareSave();
        try
        {
            if (deltas.Count == 0) return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            if (Database.CurrentTransaction is not null)
            {
                var saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
                await ApplyOrDeferAsync(deltas, cancellationToken);
                return saved;
            }
            // The requests and their counters change together or not at all.
            await using var tx = await Database.BeginTransactionAsync(cancellationToken);
            var n = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            await ApplyOrDeferAsync(deltas, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return n;
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    /// <summary>
    /// Detects the changes once for the history guard, the counter deltas and EF's own save (each would otherwise run
    /// the detection again over every tracked entity, JSON columns included), then turns automatic detection off until
    /// the caller's finally restores it.
    /// </summary>
    private (Dictionary<RequestCountKey, int> Deltas, bool AutoDetect) PrepareSave()
    {
        var autoDetect = ChangeTracker.AutoDetectChangesEnabled;
        if (autoDetect) ChangeTracker.DetectChanges();
        ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            GuardAppendOnly();
            return (RequestCounters.Collect(ChangeTracker), autoDetect);
        }
        catch
        {
            ChangeTracker.AutoDetectChangesEnabled = autoDetect;
            throw;
        }
    }

    private DeferredRequestCounts? _deferred;

    /// <summary>
    /// Until the returned batch is flushed (just before the commit of the caller's transaction), counter deltas are
    /// held rather than written. Used by the deposit, whose slices would otherwise lock the counters for its whole length.
    /// </summary>
    public DeferredRequestCounts DeferRequestCounts()
    {
        if (Database.CurrentTransaction is null)
            throw new InvalidOperationException("Les compteurs ne peuvent être différés que dans une transaction.");
        if (_deferred is not null) throw new InvalidOperationException("Des compteurs sont déjà différés.");
        return _deferred = new DeferredRequestCounts(this);
    }

    internal async Task FlushDeferredCountsAsync(DeferredRequestCounts batch, CancellationToken ct)
    {
        if (!ReferenceEquals(batch, _deferred)) throw new InvalidOperationException("Ce lot de compteurs n'est plus en cours.");
        _deferred = null;
        if (RequestCounters.Upsert(batch.Pending) is { Sql: var sql, Parameters: var parameters }) await Database.ExecuteSqlRawAsync(sql, parameters, ct);
    }

    internal void EndDeferredCounts(DeferredRequestCounts batch)
    {
        if (ReferenceEquals(batch, _deferred)) _deferred = null;
    }


    private bool Defer(Dictionary<RequestCountKey, int> deltas)
    {
        if (_deferred is null) return false;
        foreach (var (key, delta) in deltas) RequestCounters.Add(_deferred.Pending, key, delta);
        return true;
    }

    private void ApplyOrDefer(Dictionary<RequestCountKey, int> deltas)
    {
        if (Defer(deltas)) return;
        if (RequestCounters.Upsert(deltas) is { Sql: var sql, Parameters: var parameters }) Database.ExecuteSqlRaw(sql, parameters);
    }

    private async Task ApplyOrDeferAsync(Dictionary<RequestCountKey, int> deltas, CancellationToken ct)
    {
        if (Defer(deltas)) return;
        if (RequestCounters.Upsert(deltas) is { Sql: var sql, Parameters: var parameters }) await Database.ExecuteSqlRawAsync(sql, parameters, ct);
    }

    // The history is append-only: nothing may update or delete a line once written.
    private void GuardAppendOnly()
    {
        if (ChangeTracker.Entries<HistoryEntry>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
            throw new InvalidOperationException("L'historique d'une demande ne peut pas être modifié.");
    }
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
