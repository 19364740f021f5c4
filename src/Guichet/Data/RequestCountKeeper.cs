using System.Diagnostics;
using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Guichet.Data;

/// <summary>
/// Keeps <see cref="RequestCount"/> in step with the requests: every save of its context goes through here, and the
/// counter deltas of the save are written in the save's transaction (its own one if the caller has none), or held while
/// the deposit defers them. It also keeps the history append-only. One per context; sync and async share one path.
/// </summary>
internal sealed class RequestCountKeeper(GuichetDbContext db)
{
    private DeferredRequestCounts? _deferred;

    /// <summary>The synchronous save (DataProtection's key store uses it): the same path, with blocking calls only.</summary>
    public int Save(bool acceptAllChangesOnSuccess, Func<bool, int> save)
    {
        var task = SaveCoreAsync(acceptAllChangesOnSuccess, (accept, _) => Task.FromResult(save(accept)), blocking: true, CancellationToken.None);
        Debug.Assert(task.IsCompleted, "A blocking save never awaits anything unfinished.");
        return task.GetAwaiter().GetResult();
    }

    public Task<int> SaveAsync(bool acceptAllChangesOnSuccess, Func<bool, CancellationToken, Task<int>> save, CancellationToken ct) =>
        SaveCoreAsync(acceptAllChangesOnSuccess, save, blocking: false, ct);

    private async Task<int> SaveCoreAsync(bool accept, Func<bool, CancellationToken, Task<int>> save, bool blocking, CancellationToken ct)
    {
        // Changes detected once for the guard, the deltas and EF's own save: each would otherwise scan every tracked entity again, JSON columns included.
        var tracker = db.ChangeTracker;
        var autoDetect = tracker.AutoDetectChangesEnabled;
        if (autoDetect) tracker.DetectChanges();
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            GuardAppendOnly(tracker);
            var deltas = RequestCounters.Collect(tracker);
            if (deltas.Count == 0) return await save(accept, ct);
            if (db.Database.CurrentTransaction is not null)
            {
                var saved = await save(accept, ct);
                await ApplyOrDeferAsync(deltas, blocking, ct);
                return saved;
            }
            // The requests and their counters change together or not at all.
            var tx = blocking ? db.Database.BeginTransaction() : await db.Database.BeginTransactionAsync(ct);
            try
            {
                var n = await save(accept, ct);
                await ApplyOrDeferAsync(deltas, blocking, ct);
                if (blocking) tx.Commit();
                else await tx.CommitAsync(ct);
                return n;
            }
            finally
            {
                if (blocking) tx.Dispose();
                else await tx.DisposeAsync();
            }
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    /// <summary>Starts holding the deltas of the saves to come; see <see cref="DeferredRequestCounts"/>.</summary>
    public DeferredRequestCounts Defer()
    {
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("Les compteurs ne peuvent être différés que dans une transaction.");
        if (_deferred is not null) throw new InvalidOperationException("Des compteurs sont déjà différés.");
        return _deferred = new DeferredRequestCounts(this);
    }

    internal async Task FlushAsync(DeferredRequestCounts batch, CancellationToken ct)
    {
        if (!ReferenceEquals(batch, _deferred)) throw new InvalidOperationException("Ce lot de compteurs n'est plus en cours.");
        _deferred = null;
        await ApplyAsync(batch.Pending, blocking: false, ct);
    }

    internal void End(DeferredRequestCounts batch)
    {
        if (ReferenceEquals(batch, _deferred)) _deferred = null;
    }

    private Task ApplyOrDeferAsync(Dictionary<RequestCountKey, int> deltas, bool blocking, CancellationToken ct)
    {
        if (_deferred is null) return ApplyAsync(deltas, blocking, ct);
        foreach (var (key, delta) in deltas) RequestCounters.Add(_deferred.Pending, key, delta);
        return Task.CompletedTask;
    }

    private async Task ApplyAsync(IReadOnlyDictionary<RequestCountKey, int> deltas, bool blocking, CancellationToken ct)
    {
        if (RequestCounters.Upsert(deltas) is not { Sql: var sql, Parameters: var parameters }) return;
        if (blocking) db.Database.ExecuteSqlRaw(sql, parameters);
        else await db.Database.ExecuteSqlRawAsync(sql, parameters, ct);
    }

    // The history is append-only: nothing may update or delete a line once written.
    private static void GuardAppendOnly(ChangeTracker tracker)
    {
        if (tracker.Entries<HistoryEntry>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
            throw new InvalidOperationException("L'historique d'une demande ne peut pas être modifié.");
    }
}

/// <summary>
/// Holds the counter deltas of several saves (the deposit's slices) and applies them once, just before the commit:
/// the counter rows are then locked for an instant rather than for the whole deposit. Disposed unflushed (a failed
/// deposit, rolled back), it drops them.
/// </summary>
public sealed class DeferredRequestCounts : IDisposable
{
    private readonly RequestCountKeeper _keeper;

    internal DeferredRequestCounts(RequestCountKeeper keeper) => _keeper = keeper;

    internal Dictionary<RequestCountKey, int> Pending { get; } = [];

    public Task FlushAsync(CancellationToken ct) => _keeper.FlushAsync(this, ct);

    public void Dispose() => _keeper.End(this);
}
