using System.Data.Common;
using Guichet.Domain;
using Guichet.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage;

namespace Guichet.Data;

/// <summary>
/// Writes the events of a save (<see cref="PortalEvent"/>) from the history lines it adds, so no action can forget one:
/// each event gets its organisation's next position under the row lock of a counter held until the commit (later
/// positions of an organisation cannot commit before earlier ones, so the feed's « after N » skips nothing), and one
/// delivery per active subscription that wants its type. Called by <see cref="RequestCountKeeper"/> inside the save's transaction.
/// </summary>
internal static class EventJournal
{
    /// <summary>The events of the history lines this save adds, in the order the lines were written.</summary>
    public static List<PortalEvent> Collect(ChangeTracker tracker)
    {
        var lines = tracker.Entries<HistoryEntry>().Where(e => e.State == EntityState.Added && e.Entity.Kind is not null)
            .Select(e => e.Entity).ToHashSet();
        if (lines.Count == 0) return [];
        var events = new List<PortalEvent>();
        foreach (var request in tracker.Entries<FundingRequest>().Select(e => e.Entity))
            foreach (var line in request.History)
                if (lines.Contains(line)) events.Add(PortalEvent.Of(request, line, line.Kind!.Value));
        return events;
    }

    /// <summary>Positions for the events (organisations in ascending order, so two savers never wait on each other), then the events and their deliveries.</summary>
    public static async Task AddAsync(GuichetDbContext db, IReadOnlyList<PortalEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        await AllocateAsync(db, events, ct);
        await AddWithDeliveriesAsync(db, events, ct);
    }

    public static async Task AllocateAsync(GuichetDbContext db, IReadOnlyList<PortalEvent> events, CancellationToken ct)
    {
        var groups = events.Where(e => e.Position is null).GroupBy(e => e.OrganisationId).ToList();
        var last = await AdvanceAsync(db, groups.Select(g => (g.Key, (long)g.Count())), ct);
        foreach (var group in groups)
        {
            var position = last[group.Key] - group.Count();
            foreach (var e in group) e.Position = ++position;
        }
    }

    /// <summary>Takes the organisations' position locks without moving them (the sweep, before its guarded updates).</summary>
    public static Task LockAsync(GuichetDbContext db, IEnumerable<int> organisationIds, CancellationToken ct) =>
        AdvanceAsync(db, organisationIds.Distinct().Select(id => (id, 0L)), ct);

    public static async Task AddWithDeliveriesAsync(GuichetDbContext db, IReadOnlyList<PortalEvent> events, CancellationToken ct)
    {
        var organisations = events.Select(e => e.OrganisationId).Distinct().ToList();
        var subscriptions = await db.WebhookSubscriptions.AsNoTracking()
            .Where(s => organisations.Contains(s.OrganisationId) && s.Active).ToListAsync(ct);
        foreach (var e in events)
        {
            db.Events.Add(e);
            foreach (var s in subscriptions)
                if (s.OrganisationId == e.OrganisationId && s.Wants(e.Type)) db.WebhookDeliveries.Add(WebhookDelivery.For(e, s.Id, e.At));
        }
    }

    // One upsert per slice of organisations on both providers, its rows in ascending order: PostgreSQL takes the row locks
    // in that order, as every other saver does, so two savers never wait on each other (one round trip, not one per organisation).
    private static async Task<Dictionary<int, long>> AdvanceAsync(GuichetDbContext db, IEnumerable<(int Organisation, long Count)> counters,
        CancellationToken ct)
    {
        var tx = db.Database.CurrentTransaction ?? throw new InvalidOperationException("Les événements s'écrivent dans une transaction.");
        var last = new Dictionary<int, long>();
        foreach (var slice in counters.OrderBy(c => c.Organisation).Chunk(500))
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = tx.GetDbTransaction();
            command.CommandText = $"""
                INSERT INTO "Sequences" ("Key", "Value") VALUES {string.Join(", ", slice.Select((_, i) => $"(@k{i}, @n{i})"))}
                ON CONFLICT ("Key") DO UPDATE SET "Value" = "Sequences"."Value" + excluded."Value"
                RETURNING "Key", "Value"
                """;
            for (var i = 0; i < slice.Length; i++)
            {
                Add(command, $"@k{i}", Key(slice[i].Organisation));
                Add(command, $"@n{i}", slice[i].Count);
            }
            var organisationOf = slice.ToDictionary(c => Key(c.Organisation), c => c.Organisation);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) last[organisationOf[reader.GetString(0)]] = Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        }
        return last;
    }

    private static string Key(int organisationId) => $"evenements:{organisationId}";

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
