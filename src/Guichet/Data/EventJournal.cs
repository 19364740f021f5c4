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
        var tx = db.Database.CurrentTransaction ?? throw new InvalidOperationException("Les événements s'écrivent dans une transaction.");
        foreach (var group in events.Where(e => e.Position is null).GroupBy(e => e.OrganisationId).OrderBy(g => g.Key))
        {
            var last = await AdvanceAsync(db, tx, $"evenements:{group.Key}", group.Count(), ct);
            var position = last - group.Count();
            foreach (var e in group) e.Position = ++position;
        }
    }

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

    // One statement on both providers; the upsert takes the row lock that orders the organisation's positions.
    private static async Task<long> AdvanceAsync(GuichetDbContext db, IDbContextTransaction tx, string key, int count, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = tx.GetDbTransaction();
        command.CommandText = """
            INSERT INTO "Sequences" ("Key", "Value") VALUES (@key, @count)
            ON CONFLICT ("Key") DO UPDATE SET "Value" = "Sequences"."Value" + excluded."Value"
            RETURNING "Value"
            """;
        Add(command, "@key", key);
        Add(command, "@count", (long)count);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
