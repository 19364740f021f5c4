using System.Diagnostics;
using Guichet.Domain;
using Guichet.Webhooks;
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
            var tallies = DashboardTallies.Collect(tracker);
            var events = EventJournal.Collect(tracker);
            if (deltas.Count == 0 && tallies.IsEmpty && events.Count == 0) return await save(accept, ct);
            if (blocking && events.Count > 0) throw new InvalidOperationException("Un changement de demande s'enregistre de façon asynchrone.");
            if (db.Database.CurrentTransaction is not null)
            {
                await AddOrDeferAsync(events, ct);
                var saved = await save(accept, ct);
                await ApplyOrDeferAsync(deltas, tallies, blocking, ct);
                return saved;
            }
            // The requests, their events and their counters change together or not at all.
            var tx = blocking ? db.Database.BeginTransaction() : await db.Database.BeginTransactionAsync(ct);
            try
            {
                await AddOrDeferAsync(events, ct);
                var n = await save(accept, ct);
                await ApplyOrDeferAsync(deltas, tallies, blocking, ct);
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
        // Events first, as in every other save: the organisation's position lock, then the counters.
        if (batch.Events.Count > 0)
        {
            await EventJournal.AllocateAsync(db, batch.Events, ct);
            foreach (var slice in batch.Events.Chunk(500))
            {
                await EventJournal.AddWithDeliveriesAsync(db, slice, ct);
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
            }
        }
        await ApplyAsync(batch.Pending, batch.PendingTallies, blocking: false, ct);
    }

    private Task AddOrDeferAsync(List<PortalEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return Task.CompletedTask;
        if (_deferred is null) return EventJournal.AddAsync(db, events, ct);
        _deferred.Events.AddRange(events);
        return Task.CompletedTask;
    }

    internal void End(DeferredRequestCounts batch)
    {
        if (ReferenceEquals(batch, _deferred)) _deferred = null;
    }

    private Task ApplyOrDeferAsync(Dictionary<RequestCountKey, int> deltas, TallyDeltas tallies, bool blocking, CancellationToken ct)
    {
        if (_deferred is null) return ApplyAsync(deltas, tallies, blocking, ct);
        foreach (var (key, delta) in deltas) RequestCounters.Add(_deferred.Pending, key, delta);
        tallies.AddTo(_deferred.PendingTallies);
        return Task.CompletedTask;
    }

    private async Task ApplyAsync(IReadOnlyDictionary<RequestCountKey, int> deltas, TallyDeltas tallies, bool blocking, CancellationToken ct)
    {
        var upserts = DashboardTallies.Upserts(tallies).ToList();
        if (RequestCounters.Upsert(deltas) is { } counts) upserts.Insert(0, counts);
        foreach (var (sql, parameters) in upserts)
        {
            if (blocking) db.Database.ExecuteSqlRaw(sql, parameters);
            else await db.Database.ExecuteSqlRawAsync(sql, parameters, ct);
        }
    }

    // The history is append-only: nothing may update or delete a line once written.
    private static void GuardAppendOnly(ChangeTracker tracker)
    {
        if (tracker.Entries<HistoryEntry>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
            throw new InvalidOperationException("L'historique d'une demande ne peut pas être modifié.");
    }
}

/// <summary>
/// Holds the counter deltas and the events of several saves (the deposit's slices) and writes them once, just before the
/// commit: the counter rows and the organisation's event position are then locked for an instant rather than for the whole deposit. Disposed unflushed (a failed
/// deposit, rolled back), it drops them.
/// </summary>
public sealed class DeferredRequestCounts : IDisposable
{
    private readonly RequestCountKeeper _keeper;

    internal DeferredRequestCounts(RequestCountKeeper keeper) => _keeper = keeper;

    internal Dictionary<RequestCountKey, int> Pending { get; } = [];

    /// <summary>The dashboard's tally deltas of the same saves.</summary>
    internal TallyDeltas PendingTallies { get; } = new();

    /// <summary>The events of the saves so far, written (positions, deliveries) at the flush.</summary>
    internal List<PortalEvent> Events { get; } = [];

    /// <summary>An event of the whole batch (the deposit's « depot.termine »), written at the flush after the others.</summary>
    public void AddEvent(PortalEvent e) => Events.Add(e);

    public Task FlushAsync(CancellationToken ct) => _keeper.FlushAsync(this, ct);

    public void Dispose() => _keeper.End(this);
}
