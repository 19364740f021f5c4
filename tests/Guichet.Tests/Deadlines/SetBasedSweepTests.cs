using System.Data.Common;
using System.Net;
using System.Text.Json;
using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Storage;
using Guichet.Tests.Support;
using Guichet.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Guichet.Tests.Deadlines;

/// <summary>
/// The set-based sweep (one transaction of guarded UPDATEs and multi-row INSERTs per batch) on each provider: the same rows
/// as the entity path, exactly once under racing sweepers and against « Confirmer », nothing left of a batch that fails.
/// </summary>
public abstract class SetBasedSweepTests(GuichetApp app)
{
    private static readonly Actor Vendor = new("Camille Durand (AgendaPro)", "Fournisseur", null);
    private static readonly Actor Manager = new("Claire Petit (ASP)", "Gestionnaire", null);

    private static DateTime Paris(int y, int m, int d, int h = 0) => ParisCalendar.ParisToUtc(new DateTime(y, m, d, h, 0, 0));

    private Task<SweepResult> SweepAt(DateTime utc, Func<IServiceProvider, GuichetDbContext>? context = null) => Task.Run(async () =>
    {
        using var scope = app.Services.CreateScope();
        var db = context?.Invoke(scope.ServiceProvider) ?? scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        return await new DeadlineSweep(db, scope.ServiceProvider.GetRequiredService<AttachmentStore>(),
            new FakeTimeProvider(new DateTimeOffset(utc, TimeSpan.Zero)), NullLogger<DeadlineSweep>.Instance).RunAsync();
    });

    /// <summary>
    /// <paramref name="count"/> requests of the organisation <paramref name="siret"/> (AgendaPro unless named) whose round a
    /// manager opened at <paramref name="openedAt"/> (the domain's verbs, one save), reminded at J+10 when
    /// <paramref name="reminded"/>; returns their ids.
    /// </summary>
    private async Task<List<long>> RoundsOpenedAt(int count, DateTime openedAt, bool reminded = false, string siret = DemoSeeder.AgendaProSiret)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var org = await db.Organisations.Include(o => o.Solutions).SingleAsync(o => o.Siret == siret);
        var solution = org.Solutions.Single();
        var scheme = await db.Schemes.SingleAsync(s => s.Code == solution.SchemeCode);
        await using var tx = await db.Database.BeginTransactionAsync();
        var numbers = await NumberAllocator.NextAsync(db, RequestType.Avance, openedAt.Year, count);
        var requests = new List<FundingRequest>();
        for (var i = 0; i < count; i++)
        {
            var r = FundingRequest.Deposit(numbers[i], org, solution, scheme,
                new FundingRequest.DepositData($"SET-{Guid.NewGuid():N}", RequestType.Avance, ClientIdType.Rpps,
                    (30_000_000_000L + Random.Shared.NextInt64(0, 9_999_999_999L)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "Dr Ensemble " + i, "BC", new DateOnly(2026, 1, 1), null, null, scheme.AdvanceAmount, "https://support.agendapro.test/sas"),
                [SupportingDocument.Create(DocumentType.BonDeCommande, "bc.pdf", Guid.NewGuid().ToString("N"), "application/pdf", 10, new string('0', 64), openedAt.AddDays(-1))],
                Vendor, openedAt.AddDays(-1));
            var round = r.OpenModificationRound(Manager, "Corrigez le contact.", [EditableField.ContactSupport], scheme, openedAt);
            if (reminded) r.RecordReminderSent(round.ReminderDueAt.AddMinutes(1));
            requests.Add(r);
        }
        db.Requests.AddRange(requests);
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        return requests.Select(r => r.Id).ToList();
    }

    private async Task SubscribeAgendaProAsync()
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var org = await db.Organisations.SingleAsync(o => o.Siret == DemoSeeder.AgendaProSiret);
        if (await db.WebhookSubscriptions.AnyAsync(s => s.OrganisationId == org.Id && s.Url == "https://hooks.agendapro.test/balayage")) return;
        db.WebhookSubscriptions.Add(WebhookSubscription.Create(org.Id, "https://hooks.agendapro.test/balayage",
            [EventTypes.Code(RequestEvent.Reminded), EventTypes.Code(RequestEvent.RoundExpired)], true, app.Clock.UtcNow));
        await db.SaveChangesAsync();
    }

    /// <summary>Every row the sweep may write about these requests, as text (ids of new rows aside), and the counters.</summary>
    private static async Task<Dictionary<string, string>> SnapshotAsync(GuichetDbContext db, List<long> ids)
    {
        var numbers = await db.Requests.Where(r => ids.Contains(r.Id)).Select(r => r.Number).ToListAsync();
        string Json(object o) => JsonSerializer.Serialize(o);
        return new()
        {
            ["requests"] = Json(await db.Requests.AsNoTracking().Where(r => ids.Contains(r.Id)).OrderBy(r => r.Id)
                .Select(r => new { r.Id, r.Status, r.Version, r.UpdatedAt, r.LastRoundOutcome, r.LastModifiedByVendorAt, r.ContactSupport }).ToListAsync()),
            ["rounds"] = Json(await db.Rounds.AsNoTracking().Where(r => ids.Contains(r.FundingRequestId)).OrderBy(r => r.Id)
                .Select(r => new { r.Id, r.FundingRequestId, r.ReminderDueAt, r.ClosingDueAt, r.ReminderSentAt, r.ClosedAt, r.Outcome, r.Draft, r.DraftUpdatedAt, r.Items }).ToListAsync()),
            ["documents"] = Json(await db.Documents.AsNoTracking().Where(d => ids.Contains(d.FundingRequestId)).OrderBy(d => d.Id)
                .Select(d => new { d.Id, d.FundingRequestId, d.IsDraft, d.RoundId, d.StorageKey }).ToListAsync()),
            ["history"] = Json(await db.History.AsNoTracking().Where(h => ids.Contains(h.FundingRequestId)).OrderBy(h => h.FundingRequestId).ThenBy(h => h.At).ThenBy(h => h.Id)
                .Select(h => new { h.FundingRequestId, h.At, h.ActorName, h.ActorRole, h.ActorUserId, h.Event, h.FromStatus, h.ToStatus, h.Comment, h.Changes, h.DocumentsAdded }).ToListAsync()),
            ["outbox"] = Json(await db.OutboxMessages.AsNoTracking().Where(m => m.FundingRequestId != null && ids.Contains(m.FundingRequestId.Value))
                .OrderBy(m => m.FundingRequestId).ThenBy(m => m.Id)
                .Select(m => new { m.FundingRequestId, m.Kind, m.Recipients, m.Subject, m.HtmlBody, m.TextBody, m.CreatedAt, m.NextAttemptAt, m.Attempts, m.SentAt }).ToListAsync()),
            ["events"] = Json(await db.Events.AsNoTracking().Where(e => e.RequestNumber != null && numbers.Contains(e.RequestNumber)).OrderBy(e => e.Position)
                .Select(e => new { e.OrganisationId, e.Position, e.Type, e.RequestNumber, e.VendorReference, e.FromStatus, e.ToStatus, e.At, e.Details }).ToListAsync()),
            ["deliveries"] = Json(await db.WebhookDeliveries.AsNoTracking().Where(d => d.RequestNumber != null && numbers.Contains(d.RequestNumber)).OrderBy(d => d.Order)
                .Select(d => new { d.SubscriptionId, d.RequestNumber, d.Order, d.State, d.CreatedAt, d.NextAttemptAt, d.Event!.Type, d.Event.Position }).ToListAsync()),
            ["counts"] = Json(await db.RequestCounts.AsNoTracking().OrderBy(c => c.OrganisationId).ThenBy(c => c.SchemeCode).ThenBy(c => c.Type).ThenBy(c => c.Status)
                .Select(c => new { c.OrganisationId, c.SchemeCode, c.Type, c.Status, c.Count }).ToListAsync()),
            ["tallies"] = Json(new { d = await db.DepositTallies.AsNoTracking().OrderBy(t => t.Hour).ToListAsync(), h = await db.DecisionDelayTallies.AsNoTracking().OrderBy(t => t.Hours).ToListAsync() }),
        };
    }

    /// <summary>
    /// The entity path the sweep had before (tracked requests, the entity's verb, <see cref="Outbox.Enqueue"/>, one save
    /// through the save hook) over every due round at <paramref name="now"/>, in a transaction rolled back after its snapshot.
    /// </summary>
    private async Task<Dictionary<string, string>> EntityPathAt(DateTime now, List<long> ids)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync();
        async Task Pass(System.Linq.Expressions.Expression<Func<ModificationRound, bool>> due, Func<FundingRequest, EmailKind> verb)
        {
            db.ChangeTracker.Clear();
            var due_ = await db.Rounds.Where(due).Select(r => r.FundingRequestId).ToListAsync();
            var requests = await db.Requests.Where(r => due_.Contains(r.Id)).Include(r => r.Rounds).Include(r => r.Documents).AsSplitQuery().ToListAsync();
            var recipients = await Outbox.RecipientsByOrganisationAsync(db, requests.Select(r => r.OrganisationId).Distinct().ToList(), default);
            foreach (var r in requests) Outbox.Enqueue(db, r, verb(r), recipients.GetValueOrDefault(r.OrganisationId, []), now);
            await db.SaveChangesAsync();
        }
        await Pass(r => r.ClosedAt == null && r.ReminderSentAt == null && r.ReminderDueAt <= now, r => { r.RecordReminderSent(now); return EmailKind.Reminder; });
        await Pass(r => r.ClosedAt == null && r.ReminderSentAt != null && r.ClosingDueAt <= now, r => { r.CloseExpiredRound(now); return EmailKind.RoundClosed; });
        db.ChangeTracker.Clear();
        var snapshot = await SnapshotAsync(db, ids);
        await tx.RollbackAsync();
        return snapshot;
    }

    private Task<Dictionary<string, string>> SnapshotAsync(List<long> ids) => app.Db(db => SnapshotAsync(db, ids));

    /// <summary>A mixed set: J+10 due, J+20 due with a draft (a field and a file), not due yet, already confirmed. Returns ids and the draft file's key.</summary>
    private async Task<(long Reminder, long Closing, long NotDue, long Confirmed, string DraftFile, List<long> All)> MixedSetAsync(DateTime now)
    {
        var reminder = (await RoundsOpenedAt(1, now.AddDays(-12)))[0];
        var closing = (await RoundsOpenedAt(1, now.AddDays(-25), reminded: true))[0];
        var notDue = (await RoundsOpenedAt(1, now.AddDays(-3)))[0];
        var confirmed = (await RoundsOpenedAt(1, now.AddDays(-25), reminded: true))[0];
        string key;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var store = scope.ServiceProvider.GetRequiredService<AttachmentStore>();
            var requests = await db.Requests.Include(r => r.Rounds).Include(r => r.Documents).Where(r => r.Id == closing || r.Id == confirmed).ToListAsync();
            var scheme = await db.Schemes.SingleAsync(s => s.Code == requests[0].SchemeCode);
            using var content = new MemoryStream(DepositFiles.Pdf);
            var stored = await store.SaveAsync(content);
            key = stored.Key;
            var withDraft = requests.Single(r => r.Id == closing);
            withDraft.EditDraft(EditableField.ContactSupport, "brouillon@agendapro.test", now.AddDays(-2));
            withDraft.AddDraftDocument(SupportingDocument.Create(DocumentType.Facture, "facture.pdf", stored.Key, "application/pdf", stored.Size, stored.Sha256, now.AddDays(-2)), scheme, now.AddDays(-2));
            var done = requests.Single(r => r.Id == confirmed);
            done.EditDraft(EditableField.ContactSupport, "confirme@agendapro.test", now.AddDays(-4));
            done.ConfirmModification(Vendor, now.AddDays(-4));
            await db.SaveChangesAsync();
        }
        return (reminder, closing, notDue, confirmed, key, [reminder, closing, notDue, confirmed]);
    }

    [Fact]
    public async Task The_set_based_sweep_writes_the_same_rows_as_the_entity_path()
    {
        await SubscribeAgendaProAsync();
        var now = Paris(2031, 5, 20, 3);
        var set = await MixedSetAsync(now);
        var before = await SnapshotAsync(set.All);
        var expected = await EntityPathAt(now, set.All);
        Assert.Equal(before, await SnapshotAsync(set.All)); // the entity path was rolled back

        await SweepAt(now);

        var actual = await SnapshotAsync(set.All);
        foreach (var table in expected.Keys) Assert.True(expected[table] == actual[table], $"{table} :\nattendu {expected[table]}\nobtenu  {actual[table]}");
        // Not vacuous: the entity path changed these tables, and so did the sweep.
        foreach (var table in new[] { "requests", "rounds", "documents", "history", "outbox", "events", "deliveries", "counts" })
            Assert.NotEqual(before[table], actual[table]);
        var requests = await app.Db(db => db.Requests.AsNoTracking().Where(r => set.All.Contains(r.Id)).ToDictionaryAsync(r => r.Id));
        Assert.Equal(RequestStatus.AModifier, requests[set.Reminder].Status);
        Assert.Equal(RequestStatus.EnCours, requests[set.Closing].Status);
        Assert.Equal(RoundOutcome.Expired, requests[set.Closing].LastRoundOutcome);
        using var scope = app.Services.CreateScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<AttachmentStore>().ExistsAsync(set.DraftFile)); // deleted after the commit
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        Assert.Empty(await RequestCounters.DifferencesAsync(db, default)); // the counters equal their « recount »
        Assert.Equal(0, await DashboardTallies.DifferencesAsync(db, default));
    }

    [Fact]
    public async Task Four_sweepers_racing_on_520_due_rounds_write_each_reminder_closing_mail_and_event_once()
    {
        await SubscribeAgendaProAsync();
        var now = Paris(2032, 9, 14, 2);
        var toRemind = await RoundsOpenedAt(260, now.AddDays(-12));
        var toClose = await RoundsOpenedAt(260, now.AddDays(-25), reminded: true);

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SweepAt(now)));

        Assert.True(results.Sum(r => r.Reminders) >= 260 && results.Sum(r => r.Closings) >= 260);
        var all = toRemind.Concat(toClose).ToList();
        var numbers = await app.Db(db => db.Requests.Where(r => all.Contains(r.Id)).ToDictionaryAsync(r => r.Number, r => r.Id));
        var lines = await app.Db(db => db.History.Where(h => all.Contains(h.FundingRequestId) && h.ActorRole == Actor.System.Role)
            .Select(h => new { h.FundingRequestId, h.Event }).ToListAsync());
        var mails = await app.Db(db => db.OutboxMessages.Where(m => m.FundingRequestId != null && all.Contains(m.FundingRequestId.Value)
            && (m.Kind == EmailKind.Reminder || m.Kind == EmailKind.RoundClosed)).Select(m => new { m.FundingRequestId, m.Kind }).ToListAsync());
        var events = await app.Db(db => db.Events.Where(e => e.RequestNumber != null && numbers.Keys.Contains(e.RequestNumber))
            .Select(e => new { e.RequestNumber, e.Type, e.Position, e.Id }).ToListAsync());
        var deliveries = await app.Db(db => db.WebhookDeliveries.Where(d => d.RequestNumber != null && numbers.Keys.Contains(d.RequestNumber)).Select(d => d.EventId).ToListAsync());
        foreach (var id in toRemind)
        {
            Assert.Equal(["Relance envoyée (J+10)"], lines.Where(l => l.FundingRequestId == id).Select(l => l.Event));
            Assert.Equal([EmailKind.Reminder], mails.Where(m => m.FundingRequestId == id).Select(m => m.Kind));
        }
        foreach (var id in toClose)
        {
            Assert.Equal(["Délai expiré — instruite en l'état"], lines.Where(l => l.FundingRequestId == id && l.Event != "Relance envoyée (J+10)").Select(l => l.Event));
            Assert.Equal([EmailKind.RoundClosed], mails.Where(m => m.FundingRequestId == id).Select(m => m.Kind));
        }
        var swept = events.Where(e => e.Type is "demande.relance" or "demande.cloture_delai").ToList();
        Assert.Equal(520, swept.Count(e => e.Type == "demande.cloture_delai" ? toClose.Contains(numbers[e.RequestNumber!]) : toRemind.Contains(numbers[e.RequestNumber!])));
        Assert.Equal(swept.Count, swept.Select(e => e.Position).Distinct().Count());
        Assert.Equal(swept.Select(e => e.Id).Order(), deliveries.Order()); // one delivery per event, for the one subscription
        Assert.Empty(await app.Db(db => RequestCounters.DifferencesAsync(db, default)));
    }

    [Fact]
    public async Task One_batch_across_two_organisations_continues_each_organisations_own_positions()
    {
        var now = Paris(2033, 3, 8, 2);
        var agendaPro = await RoundsOpenedAt(30, now.AddDays(-12));
        var regulis = await RoundsOpenedAt(20, now.AddDays(-12), siret: DemoSeeder.RegulisSiret);
        var ours = agendaPro.Concat(regulis).ToList();
        var organisationOf = await app.Db(db => db.Requests.Where(r => ours.Contains(r.Id)).ToDictionaryAsync(r => r.Number, r => r.OrganisationId));
        var last = await app.Db(db => db.Events.GroupBy(e => e.OrganisationId)
            .Select(g => new { g.Key, Last = g.Max(e => e.Position) ?? 0 }).ToDictionaryAsync(x => x.Key, x => x.Last));

        var result = await SweepAt(now);

        Assert.True(result.Reminders >= 50);
        var added = await app.Db(db => db.Events.AsNoTracking().Select(e => new { e.OrganisationId, e.Position, e.RequestNumber, e.Type }).ToListAsync());
        added = added.Where(e => e.Position > last.GetValueOrDefault(e.OrganisationId)).ToList();
        // Each organisation's new events follow its own last position, without a gap or a repeat: the one upsert of the
        // batch gave each organisation its own count.
        foreach (var g in added.GroupBy(e => e.OrganisationId))
            Assert.Equal(Enumerable.Range(1, g.Count()).Select(i => last.GetValueOrDefault(g.Key) + i), g.Select(e => e.Position!.Value).Order());
        var reminders = added.Where(e => e.RequestNumber is not null && organisationOf.ContainsKey(e.RequestNumber)).ToList();
        Assert.Equal(50, reminders.Count);
        Assert.All(reminders, e => Assert.Equal("demande.relance", e.Type));
        Assert.All(reminders, e => Assert.Equal(organisationOf[e.RequestNumber!], e.OrganisationId));
        Assert.Equal(2, reminders.Select(e => e.OrganisationId).Distinct().Count());
    }

    [Fact]
    public async Task A_confirmation_racing_the_closing_of_its_round_wins_or_loses_but_never_both()
    {
        var now = Paris(2033, 2, 21, 2);
        var ids = await RoundsOpenedAt(30, now.AddDays(-25), reminded: true);
        var numbers = new List<string>();
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            foreach (var r in await db.Requests.Include(r => r.Rounds).Where(r => ids.Contains(r.Id)).ToListAsync())
            {
                r.EditDraft(EditableField.ContactSupport, "support@agendapro.test", now.AddDays(-1));
                numbers.Add(r.Number);
            }
            await db.SaveChangesAsync();
        }
        var client = app.Bearer("demo-agendapro");
        HttpResponseMessage[] responses;
        using (app.Clock.At(now))
        {
            var confirmations = numbers.Select(n => client.PostAsync($"/api/v1/demandes/{n}/modification/confirmer", null)).ToList();
            var sweep = SweepAt(now);
            responses = await Task.WhenAll(confirmations);
            await sweep;
        }
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        var results = await app.Db(db => db.Requests.AsNoTracking().Include(r => r.Rounds).Include(r => r.History).Where(r => ids.Contains(r.Id)).ToListAsync());
        var mails = await app.Db(db => db.OutboxMessages.Where(m => m.FundingRequestId != null && ids.Contains(m.FundingRequestId.Value))
            .Select(m => new { m.FundingRequestId, m.Kind }).ToListAsync());
        var events = await app.Db(db => db.Events.Where(e => e.RequestNumber != null && numbers.Contains(e.RequestNumber)).Select(e => new { e.RequestNumber, e.Type }).ToListAsync());
        foreach (var r in results)
        {
            var outcome = r.Rounds.Single().Outcome;
            Assert.True(outcome is RoundOutcome.Confirmed or RoundOutcome.Expired, outcome?.ToString());
            Assert.Equal(1, r.History.Count(h => h.Event is "Modification confirmée" or "Délai expiré — instruite en l'état"));
            Assert.Equal(outcome == RoundOutcome.Confirmed ? "support@agendapro.test" : "https://support.agendapro.test/sas", r.ContactSupport);
            Assert.Equal([outcome == RoundOutcome.Confirmed ? EmailKind.ModificationConfirmed : EmailKind.RoundClosed],
                mails.Where(m => m.FundingRequestId == r.Id && m.Kind is EmailKind.ModificationConfirmed or EmailKind.RoundClosed).Select(m => m.Kind));
            Assert.Equal([outcome == RoundOutcome.Confirmed ? EventTypes.Code(RequestEvent.ModificationConfirmed) : "demande.cloture_delai"],
                events.Where(e => e.RequestNumber == r.Number && e.Type is "demande.modification_confirmee" or "demande.cloture_delai").Select(e => e.Type));
        }
        Assert.Equal(results.Count(r => r.Rounds.Single().Outcome == RoundOutcome.Confirmed), responses.Count(r => r.StatusCode == HttpStatusCode.OK));
    }

    /// <summary>Fails the e-mails' INSERT, as a database refusing it mid-batch would.</summary>
    private sealed class FailingOutboxInsert : DbCommandInterceptor
    {
        public int Failures;

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Check(command);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Check(command);
            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }

        private void Check(DbCommand command)
        {
            if (!command.CommandText.StartsWith("INSERT INTO \"OutboxMessages\"", StringComparison.Ordinal)) return;
            Interlocked.Increment(ref Failures);
            throw new InvalidOperationException("Panne simulée à l'écriture des e-mails.");
        }
    }

    [Fact]
    public async Task A_failure_in_the_middle_of_a_batch_leaves_nothing_of_it_written()
    {
        var now = Paris(2034, 11, 20, 3);
        var set = await MixedSetAsync(now);
        var before = await SnapshotAsync(set.All);
        var failing = new FailingOutboxInsert();

        await Assert.ThrowsAnyAsync<Exception>(() => SweepAt(now, services => Contexts.WithInterceptor(services, failing)));

        Assert.True(failing.Failures > 0);
        Assert.Equal(before, await SnapshotAsync(set.All)); // no request, round, document, line, e-mail, event or counter of the batch
        using (var scope = app.Services.CreateScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<AttachmentStore>().ExistsAsync(set.DraftFile));
        // Once the database accepts the e-mails again, the same sweep does it all.
        var result = await SweepAt(now);
        Assert.True(result.Reminders >= 1 && result.Closings >= 1);
        Assert.Equal(RequestStatus.EnCours, (await app.Db(db => db.Requests.SingleAsync(r => r.Id == set.Closing))).Status);
    }

    [Fact]
    public async Task Rows_inserted_in_slices_keep_each_value_when_repeated_values_share_one_parameter()
    {
        // SweepSql sends a value repeated down a column once per slice: 2 500 history lines cross the slices' edges with
        // repeated, distinct, null and list values, and each must come back as it was given.
        var requestId = (await RoundsOpenedAt(1, Paris(2035, 2, 1)))[0];
        var at = Paris(2035, 2, 12, 3);
        var lines = Enumerable.Range(0, 2_500).Select(i => HistoryEntry.Create(
            i % 3 == 0 ? Manager : new Actor($"Agent {i % 11}", "Gestionnaire", i % 2 == 0 ? null : $"u{i % 5}"),
            at.AddMinutes(i % 7), i % 2 == 0 ? "Relance envoyée (J+10)" : $"Ligne {i}",
            i % 4 == 0 ? null : RequestStatus.AModifier, i % 5 == 0 ? RequestStatus.EnCours : RequestStatus.AModifier,
            i % 6 == 0 ? null : $"Commentaire {i % 13}",
            i % 8 == 0 ? [new FieldChange("contactSupport", null, $"v{i}")] : [],
            i % 9 == 0 ? ["facture.pdf"] : [])).ToList();
        var floor = await app.Db(db => db.History.MaxAsync(h => h.Id));

        await app.Db(async db =>
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await SweepSql.InsertAsync(db, lines, (_, column, value) => column.Name == nameof(HistoryEntry.FundingRequestId) ? requestId : value, default);
            await tx.CommitAsync();
            return lines.Count;
        });

        static string Row(HistoryEntry h) => JsonSerializer.Serialize(new { h.At, h.ActorName, h.ActorRole, h.ActorUserId, h.Event, h.FromStatus, h.ToStatus,
            h.Comment, h.Changes, h.DocumentsAdded });
        var stored = await app.Db(db => db.History.AsNoTracking().Where(h => h.Id > floor && h.FundingRequestId == requestId).OrderBy(h => h.Id).ToListAsync());
        Assert.Equal(lines.Select(Row), stored.Select(Row));
    }
}

public sealed class SetBasedSweepTestsOnSqlite(SqliteApp app) : SetBasedSweepTests(app), IClassFixture<SqliteApp>;

public sealed class SetBasedSweepTestsOnPostgres(PostgresApp app) : SetBasedSweepTests(app), IClassFixture<PostgresApp>;
