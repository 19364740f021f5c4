using System.Net;
using System.Text;
using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Storage;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Guichet.Tests.Deadlines;

/// <summary>Exactly once on PostgreSQL: several sweepers at once, sweeps racing « Confirmer », the verb run twice in parallel.</summary>
public sealed class DeadlineConcurrencyTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private static readonly Actor Vendor = new("Camille Durand (AgendaPro)", "Fournisseur", null);

    /// <summary>
    /// Creates <paramref name="count"/> AgendaPro requests (in one transaction) whose rounds a manager opened over HTTP at
    /// <paramref name="openedAt"/>; returns their ids.
    /// </summary>
    private async Task<List<long>> RoundsOpenedAt(int count, DateTime openedAt, bool remindedAtJ10 = false, string tag = "")
    {
        var requests = new List<FundingRequest>();
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var org = await db.Organisations.Include(o => o.Solutions).SingleAsync(o => o.Siret == DemoSeeder.AgendaProSiret);
            var solution = org.Solutions.Single();
            var scheme = await db.Schemes.SingleAsync(s => s.Code == solution.SchemeCode);
            await using var tx = await db.Database.BeginTransactionAsync();
            var numbers = await NumberAllocator.NextAsync(db, RequestType.Avance, 2026, count);
            var baseId = Random.Shared.NextInt64(1_000_000_000L, 8_000_000_000L);
            for (var i = 0; i < count; i++)
            {
                requests.Add(FundingRequest.Deposit(numbers[i], org, solution, scheme,
                    new FundingRequest.DepositData($"SW{tag}-{Guid.NewGuid():N}", RequestType.Avance, ClientIdType.Rpps, (10_000_000_000L + baseId + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        "Dr Balayage " + i, "BC", new DateOnly(2026, 1, 1), null, null, scheme.AdvanceAmount, "https://support.agendapro.test/sas"),
                    [SupportingDocument.Create(DocumentType.BonDeCommande, "bc.pdf", new string('a', 32), "application/pdf", 10, new string('0', 64), openedAt.AddDays(-1))],
                    Vendor, openedAt.AddDays(-1)));
            }
            db.Requests.AddRange(requests);
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
        using (app.Clock.At(openedAt))
            await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (r, _) => await app.OpenRoundAsManagerAsync(r.Number, "Corrigez le contact.", EditableField.ContactSupport));
        var ids = requests.Select(r => r.Id).ToList();
        if (remindedAtJ10)
        {
            // What the sweep records at J+10, on these requests only.
            using var scope = app.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            foreach (var r in await db.Requests.Include(x => x.Rounds).Include(x => x.History).AsSplitQuery().Where(x => ids.Contains(x.Id)).ToListAsync())
                r.RecordReminderSent(r.OpenRound!.ReminderDueAt.AddMinutes(1));
            await db.SaveChangesAsync();
        }
        return ids;
    }

    private Task<SweepResult> Sweep(DateTime utc)
    {
        var scope = app.Services.CreateScope();
        var sweep = new DeadlineSweep(scope.ServiceProvider.GetRequiredService<GuichetDbContext>(),
            scope.ServiceProvider.GetRequiredService<AttachmentStore>(), new FakeTimeProvider(new DateTimeOffset(utc, TimeSpan.Zero)), NullLogger<DeadlineSweep>.Instance);
        return sweep.RunAsync().ContinueWith(t => { scope.Dispose(); return t.Result; });
    }

    private async Task<(int Mails, int Lines)> Count(List<long> ids, EmailKind kind, string evt)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var mails = await db.OutboxMessages.CountAsync(m => m.FundingRequestId != null && ids.Contains(m.FundingRequestId.Value) && m.Kind == kind);
        var lines = await db.History.CountAsync(h => ids.Contains(h.FundingRequestId) && h.Event == evt);
        return (mails, lines);
    }

    [Fact]
    public async Task Four_sweepers_on_a_thousand_due_rounds_send_each_reminder_and_close_each_round_exactly_once()
    {
        var opened = ParisCalendar.ParisToUtc(new DateTime(2025, 3, 3, 10, 0, 0));
        var ids = await RoundsOpenedAt(1000, opened, tag: "A");

        var j10 = ParisCalendar.ParisToUtc(new DateTime(2025, 3, 13, 0, 0, 0));
        var reminders = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Sweep(j10))));
        Assert.True(reminders.Sum(r => r.Reminders) >= 1000);
        Assert.Equal((1000, 1000), await Count(ids, EmailKind.Reminder, "Relance envoyée (J+10)"));

        var j20 = ParisCalendar.ParisToUtc(new DateTime(2025, 3, 23, 0, 0, 0));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Sweep(j20))));
        Assert.Equal((1000, 1000), await Count(ids, EmailKind.RoundClosed, "Délai expiré — instruite en l'état"));
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        Assert.Equal(1000, await db.Requests.CountAsync(r => ids.Contains(r.Id) && r.Status == RequestStatus.EnCours));
    }

    [Fact]
    public async Task Two_hundred_confirmations_racing_the_closing_each_end_consistently()
    {
        var now = app.Clock.UtcNow;
        var ids = await RoundsOpenedAt(200, now.AddDays(-21), remindedAtJ10: true, tag: "R");
        List<string> numbers;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var requests = await db.Requests.Include(r => r.Rounds).Where(r => ids.Contains(r.Id)).ToListAsync();
            foreach (var r in requests) r.EditDraft(EditableField.ContactSupport, "support@agendapro.test", now.AddDays(-2));
            await db.SaveChangesAsync();
            numbers = requests.Select(r => r.Number).ToList();
        }
        var client = app.Bearer("demo-agendapro");
        var confirmations = numbers.Select(n => client.PostAsync($"/api/v1/demandes/{n}/modification/confirmer", null)).ToList();
        var sweep = Task.Run(() => Sweep(now));
        var responses = await Task.WhenAll(confirmations);
        await sweep;
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        foreach (var loser in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
            // The loser reads why: the round is closed, the status no longer allows it, or the request changed meanwhile
            // (« modifiée par quelqu'un d'autre entre-temps » when its save met the sweep's new version), or no round is
            // open any more (it read the request just before the closing committed and its rounds just after).
            Assert.Matches("(clôturée|exige le statut|changé entre-temps|d'autre entre-temps|Aucune demande de modification n'est ouverte)",
                await loser.Content.ReadAsStringAsync());

        using var check = app.Services.CreateScope();
        var checkDb = check.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var results = await checkDb.Requests.AsNoTracking().Include(r => r.Rounds).Include(r => r.History).Where(r => ids.Contains(r.Id)).ToListAsync();
        var mails = await checkDb.OutboxMessages.Where(m => m.FundingRequestId != null && ids.Contains(m.FundingRequestId.Value))
            .Select(m => new { m.FundingRequestId, m.Kind }).ToListAsync();
        foreach (var r in results)
        {
            Assert.Equal(RequestStatus.EnCours, r.Status);
            var outcome = r.Rounds.Single().Outcome;
            Assert.True(outcome is RoundOutcome.Confirmed or RoundOutcome.Expired);
            Assert.Equal(outcome == RoundOutcome.Confirmed ? "support@agendapro.test" : "https://support.agendapro.test/sas", r.ContactSupport);
            Assert.Equal(1, r.History.Count(h => h.Event is "Modification confirmée" or "Délai expiré — instruite en l'état"));
            var kinds = mails.Where(m => m.FundingRequestId == r.Id).Select(m => m.Kind).ToList();
            Assert.Single(kinds, k => k == EmailKind.RoundOpened); // sent when the manager opened the round
            Assert.Equal([outcome == RoundOutcome.Confirmed ? EmailKind.ModificationConfirmed : EmailKind.RoundClosed], kinds.Where(k => k != EmailKind.RoundOpened));
        }
        Assert.Equal(results.Count(r => r.Rounds.Single().Outcome == RoundOutcome.Confirmed), responses.Count(r => r.StatusCode == HttpStatusCode.OK));
    }

    [Fact]
    public async Task The_sweep_verb_run_twice_in_parallel_sends_each_reminder_once()
    {
        var ids = await RoundsOpenedAt(300, app.Clock.UtcNow.AddDays(-11), tag: "V");
        var outputs = await Task.WhenAll(app.RunVerbAsync("sweep"), app.RunVerbAsync("sweep"));
        Assert.All(outputs, o => Assert.True(o.ExitCode == 0, o.Error + o.Output));
        Assert.All(outputs, o => Assert.Contains("relance(s) J+10", o.Output));
        Assert.Equal((300, 300), await Count(ids, EmailKind.Reminder, "Relance envoyée (J+10)"));
        // The verbs' dispatchers, running beside their sweeps, sent each reminder once, and to the pickup folder.
        using var scope = app.Services.CreateScope();
        var reminders = await scope.ServiceProvider.GetRequiredService<GuichetDbContext>().OutboxMessages.AsNoTracking()
            .Where(m => m.FundingRequestId != null && ids.Contains(m.FundingRequestId.Value) && m.Kind == EmailKind.Reminder).ToListAsync();
        Assert.All(reminders, m => Assert.True(m.SentAt is not null && m.Attempts == 1, $"{m.MessageId} : envoyé {m.SentAt}, {m.Attempts} tentative(s)"));
        var files = Directory.GetFiles(app.MailPath, "*.eml").Select(Path.GetFileName).ToHashSet();
        Assert.All(reminders, m => Assert.Contains(files, f => f!.StartsWith(m.MessageId.Split('@')[0], StringComparison.Ordinal)));
        // A verb whose twin sent everything says so (« Aucun e-mail … », with those its twin still held « en attente »).
        Assert.All(outputs, o => Assert.Matches("E-mails envoyés : [0-9]+, le dernier|Aucun e-mail (à envoyer|envoyé ; [0-9]+ e-mail\\(s\\) en attente)", o.Output));
        var told = outputs.Sum(o => System.Text.RegularExpressions.Regex.Match(o.Output, "E-mails envoyés : ([0-9]+)") is { Success: true } m
            ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
        Assert.True(told >= reminders.Count, $"les verbes disent {told} e-mails envoyés pour {reminders.Count} relances");
    }
}
