using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Email;
using Guichet.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Guichet.Requests;

/// <summary>What a system action did on a batch: requests changed, and the requests left alone because they changed meanwhile.</summary>
public sealed record BatchOutcome(int Done, IReadOnlyList<long> Conflicting)
{
    public int Conflicts => Conflicting.Count;
}

/// <summary>
/// The system's way into a batch of requests (the deadline sweep has no user), by set operations: the requests and their
/// open round are read untracked, the entity's verb is applied to each in memory (the rules stay on the entity), then what
/// it changed is written in one transaction — the requests by a guarded UPDATE (version still the one read, round still
/// due), their rounds, the dropped documents, the history lines, e-mails, events and deliveries by multi-row INSERTs, and
/// the counters. A request the verb refuses is skipped; one changed since it was read is left out and reported, for the
/// caller to try again. What the save hook (<see cref="RequestCountKeeper"/>) does on an entity save is done here by hand.
/// </summary>
internal static class SystemBatch
{
    public static async Task<(BatchOutcome Outcome, List<SupportingDocument> Dropped)> RunAsync(GuichetDbContext db,
        IReadOnlyCollection<long> requestIds, bool withDocuments, string due, DateTime now,
        Func<FundingRequest, (EmailKind Mail, IReadOnlyList<SupportingDocument> Dropped)> apply, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        // Only the open round: the e-mail and the event of a closing read « the last closed round », which is then this one.
        IQueryable<FundingRequest> query = db.Requests.AsNoTracking().Where(r => requestIds.Contains(r.Id)).Include(r => r.Rounds.Where(x => x.ClosedAt == null));
        if (withDocuments) query = query.Include(r => r.Documents.Where(d => d.IsDraft));
        var requests = await query.AsSplitQuery().ToListAsync(ct);

        var model = db.Model;
        var requestColumns = Columns<FundingRequest>(model);
        var roundColumns = Columns<ModificationRound>(model);
        var changes = new List<Change>();
        foreach (var request in requests)
        {
            if (request.OpenRound is not { } round) continue;
            var before = new Change(request, round, request.Version, KeyOf(request),
                Values(request, requestColumns), Values(round, roundColumns), default, []);
            try
            {
                var (mail, dropped) = apply(request);
                changes.Add(before with { Mail = mail, Dropped = dropped });
            }
            catch (Refusal)
            {
                // Already handled since it was found due (another sweeper, a confirmation): nothing to do.
            }
        }
        if (changes.Count == 0) return (new BatchOutcome(0, []), []);

        var written = await WriteAsync(db, changes, requestColumns, roundColumns, due, now, ct);
        var conflicting = changes.Where(c => !written.Contains(c.Request.Id)).Select(c => c.Request.Id).ToList();
        return (new BatchOutcome(written.Count, conflicting),
            changes.Where(c => written.Contains(c.Request.Id)).SelectMany(c => c.Dropped).ToList());
    }

    /// <summary>One request as read (version, counter key, column values) and what the verb made of it.</summary>
    private sealed record Change(FundingRequest Request, ModificationRound Round, int ReadVersion, RequestCountKey ReadKey,
        object?[] RequestBefore, object?[] RoundBefore, EmailKind Mail, IReadOnlyList<SupportingDocument> Dropped);

    private static async Task<HashSet<long>> WriteAsync(GuichetDbContext db, List<Change> changes, IReadOnlyList<IProperty> requestColumns,
        IReadOnlyList<IProperty> roundColumns, string due, DateTime now, CancellationToken ct)
    {
        // Only the columns the verb changed are written (the same ones for every request of a batch: one verb).
        var requestChanged = Changed(changes.Select(c => (c.RequestBefore, Values(c.Request, requestColumns))), requestColumns);
        var roundChanged = Changed(changes.Select(c => (c.RoundBefore, Values(c.Round, roundColumns))), roundColumns);
        var recipients = await Outbox.RecipientsByOrganisationAsync(db, changes.Select(c => c.Request.OrganisationId).Distinct().ToList(), ct);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The organisations' position locks first, in ascending order as every save takes them: a « Confirmer » on the same
        // requests then waits for the batch instead of deadlocking with it.
        await EventJournal.LockAsync(db, changes.Select(c => c.Request.OrganisationId), ct);
        var won = (await SweepSql.UpdateRequestsAsync(db, requestChanged,
            changes.Select(c => new SweepSql.Row(c.Request.Id, Pick(c.Request, requestChanged), c.ReadVersion, c.Round.Id)).ToList(), due, now, ct)).ToHashSet();
        if (won.Count == 0) return [];
        var done = changes.Where(c => won.Contains(c.Request.Id)).ToList();
        var rounds = await SweepSql.UpdateRoundsAsync(db, roundChanged,
            done.Select(c => new SweepSql.Row(c.Round.Id, Pick(c.Round, roundChanged))).ToList(), due, now, ct);
        // The request's version guards its round: a round that is no longer due under an unchanged version is a bug, not a race.
        if (rounds.Count != done.Count) throw new InvalidOperationException("Échéances : un tour de modification a changé sans la version de sa demande.");

        await SweepSql.DeleteAsync<SupportingDocument>(db, done.SelectMany(c => c.Dropped).Select(d => (object)d.Id).ToList(), ct);
        var lines = done.SelectMany(c => c.Request.History.Select(line => (c.Request, Line: line))).ToList();
        await SweepSql.InsertAsync(db, lines.Select(l => l.Line).ToList(),
            ForeignKey<HistoryEntry>(nameof(HistoryEntry.FundingRequestId), lines.ToDictionary(l => l.Line, l => l.Request.Id)), ct);
        await InsertMailsAsync(db, done, recipients, now, ct);
        await InsertEventsAsync(db, lines.Where(l => l.Line.Kind is not null).Select(l => PortalEvent.Of(l.Request, l.Line, l.Line.Kind!.Value)).ToList(), ct);
        await CountAsync(db, done, ct);
        await tx.CommitAsync(ct);
        return won;
    }

    // As Outbox.Enqueue: addressed to the organisation's active users, nothing when there is none.
    private static Task InsertMailsAsync(GuichetDbContext db, List<Change> done, Dictionary<int, IReadOnlyList<string>> recipients,
        DateTime now, CancellationToken ct)
    {
        var mails = new List<OutboxMessage>();
        var requestOf = new Dictionary<OutboxMessage, long>();
        foreach (var c in done)
        {
            var to = recipients.GetValueOrDefault(c.Request.OrganisationId, []);
            if (to.Count == 0) continue;
            var mail = OutboxMessage.Create(c.Mail, c.Request, to, EmailTemplates.ForRequest(c.Mail, c.Request, Outbox.RoundFor(c.Mail, c.Request)), now);
            mails.Add(mail);
            requestOf[mail] = c.Request.Id;
        }
        return SweepSql.InsertAsync(db, mails, ForeignKey<OutboxMessage>(nameof(OutboxMessage.FundingRequestId), requestOf), ct);
    }

    /// <summary>As <see cref="EventJournal.AddAsync"/>: positions (their locks are already held), the events, one delivery per subscription that wants it.</summary>
    private static async Task InsertEventsAsync(GuichetDbContext db, List<PortalEvent> events, CancellationToken ct)
    {
        if (events.Count == 0) return;
        await EventJournal.AllocateAsync(db, events, ct);
        var ids = (await SweepSql.InsertReturningAsync(db, events, null,
                """ "Id", "OrganisationId", "Position" """,
                r => (Id: r.GetInt64(0), OrganisationId: r.GetInt32(1), Position: r.GetInt64(2)), ct))
            .ToDictionary(k => (k.OrganisationId, k.Position), k => k.Id);
        var organisations = events.Select(e => e.OrganisationId).Distinct().ToList();
        var subscriptions = await db.WebhookSubscriptions.AsNoTracking().Where(s => organisations.Contains(s.OrganisationId) && s.Active).ToListAsync(ct);
        var deliveries = new List<WebhookDelivery>();
        var eventOf = new Dictionary<WebhookDelivery, long>();
        foreach (var e in events)
            foreach (var s in subscriptions.Where(s => s.OrganisationId == e.OrganisationId && s.Wants(e.Type)))
            {
                var delivery = WebhookDelivery.For(e, s.Id, e.At);
                deliveries.Add(delivery);
                eventOf[delivery] = ids[(e.OrganisationId, e.Position ?? 0)];
            }
        await SweepSql.InsertAsync(db, deliveries, ForeignKey<WebhookDelivery>(nameof(WebhookDelivery.EventId), eventOf), ct);
    }

    /// <summary>The counter deltas the save hook would have written (the dashboard's tallies do not move: neither deposit date nor decision changes).</summary>
    private static async Task CountAsync(GuichetDbContext db, List<Change> done, CancellationToken ct)
    {
        var deltas = new Dictionary<RequestCountKey, int>();
        foreach (var c in done)
        {
            var after = KeyOf(c.Request);
            if (after == c.ReadKey) continue;
            RequestCounters.Add(deltas, c.ReadKey, -1);
            RequestCounters.Add(deltas, after, 1);
        }
        if (RequestCounters.Upsert(deltas) is { } upsert) await db.Database.ExecuteSqlRawAsync(upsert.Sql, upsert.Parameters, ct);
    }

    private static RequestCountKey KeyOf(FundingRequest r) => new(r.OrganisationId, r.SchemeCode, r.Type, r.Status);

    private static List<IProperty> Columns<T>(IModel model) =>
        model.FindEntityType(typeof(T))!.GetProperties().Where(p => !p.IsPrimaryKey()).ToList();

    // Provider values (JSON columns as their text), so that an in-place change of a list or a dictionary is seen.
    private static object?[] Values(object entity, IReadOnlyList<IProperty> columns) =>
        columns.Select(c => c.GetTypeMapping().Converter is { } converter
            ? converter.ConvertToProvider(c.GetGetter().GetClrValue(entity))
            : c.GetGetter().GetClrValue(entity)).ToArray();

    private static List<IProperty> Changed(IEnumerable<(object?[] Before, object?[] After)> rows, IReadOnlyList<IProperty> columns)
    {
        var changed = new SortedSet<int>();
        foreach (var (before, after) in rows)
            for (var i = 0; i < columns.Count; i++)
                if (!Equals(before[i], after[i])) changed.Add(i);
        return changed.Select(i => columns[i]).ToList();
    }

    private static object?[] Pick(object entity, IReadOnlyList<IProperty> columns) =>
        columns.Select(c => c.GetGetter().GetClrValue(entity)).ToArray();

    // The foreign key EF would have fixed up from the navigation.
    private static Func<T, IProperty, object?, object?> ForeignKey<T>(string property, IReadOnlyDictionary<T, long> owner) where T : notnull =>
        (entity, column, value) => column.Name == property ? owner[entity] : value;
}
