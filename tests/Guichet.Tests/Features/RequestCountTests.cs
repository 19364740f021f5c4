using System.Net;
using System.Text.Json;
using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Storage;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Guichet.Tests.Features;

/// <summary>
/// The counter table behind the counts per status: exact after every kind of change (deposit, decisions, modification,
/// sweep), unchanged by a refused deposit, rebuilt by <c>recount</c>; and the « délai dépassé » flag on the request.
/// </summary>
public abstract class RequestCountTests(GuichetApp app)
{
    private Task<List<(RequestCountKey Key, int Actual, int Stored)>> Differences() => app.Db(db => RequestCounters.DifferencesAsync(db, default));

    private async Task AssertExact()
    {
        var wrong = await Differences();
        Assert.True(wrong.Count == 0, "Compteurs faux : " + string.Join(" ; ", wrong.Select(w => $"{w.Key} compté {w.Actual}, stocké {w.Stored}")));
    }

    private async Task<HttpStatusCode> Post(string token, string url, string? json = null) =>
        (await app.Bearer(token).PostAsync(url, Body(json ?? "{}"))).StatusCode;

    [Fact]
    public async Task Every_kind_of_change_keeps_the_counters_equal_to_the_requests()
    {
        await AssertExact(); // the demo data, saved through the same context

        // A deposit over the API (its slices defer the counters to the commit).
        var example = await DepositFiles.Example(app.Anonymous());
        var file = DepositFiles.With(example, DepositFiles.FreshAdvance(example, 700_001), DepositFiles.FreshAdvance(example, 700_002));
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        var deposited = await app.Bearer("demo-agendapro").PostAsync("/api/v1/depots", DepositFiles.Form(file, zip));
        Assert.Equal(HttpStatusCode.Created, deposited.StatusCode);
        var numbers = (await Json(deposited)).GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("numero").GetString()!).ToList();
        await AssertExact();

        // Decisions: a round opened, confirmed by the vendor, validated and paid; another rejected.
        const string round = """{ "commentaire": "Corrigez le contact.", "elements": ["informations.contactSupport"] }""";
        Assert.Equal(HttpStatusCode.OK, await Post("demo-gestionnaire", $"/api/v1/demandes/{numbers[0]}/demande-de-modification", round));
        await AssertExact();
        Assert.Equal(HttpStatusCode.OK, await Post("demo-agendapro", $"/api/v1/demandes/{numbers[0]}/modification/confirmer"));
        Assert.Equal(HttpStatusCode.OK, await Post("demo-gestionnaire", $"/api/v1/demandes/{numbers[0]}/valider"));
        Assert.Equal(HttpStatusCode.OK, await Post("demo-gestionnaire", $"/api/v1/demandes/{numbers[0]}/payer"));
        Assert.Equal(HttpStatusCode.OK, await Post("demo-gestionnaire", $"/api/v1/demandes/{numbers[1]}/rejeter", """{ "motif": "Doublon." }"""));
        await AssertExact();

        // A refused decision changes nothing, counters included.
        Assert.Equal(HttpStatusCode.Conflict, await Post("demo-gestionnaire", $"/api/v1/demandes/{numbers[1]}/valider"));
        await AssertExact();

        // The sweep closes an expired round (A_MODIFIER → EN_COURS) on its own connection and batch.
        var late = await app.NewRemindedAsync(daysAgo: 25);
        await AssertExact();
        using (var scope = app.Services.CreateScope())
        {
            var sweep = new DeadlineSweep(scope.ServiceProvider.GetRequiredService<GuichetDbContext>(), scope.ServiceProvider.GetRequiredService<AttachmentStore>(),
                new FakeTimeProvider(app.Clock.GetUtcNow()), NullLogger<DeadlineSweep>.Instance);
            Assert.True((await sweep.RunAsync()).Closings >= 1);
        }
        Assert.Equal(RequestStatus.EnCours, (await app.LoadAsync(late)).Status);
        await AssertExact();

        // What the lists say comes from the counters: the same as counting the rows.
        foreach (var status in new[] { "EN_COURS", "REJETEE", "DECIDEE_ET_PAYEE", "A_MODIFIER" })
        {
            var total = (await Json(await app.Bearer("demo-agendapro").GetAsync($"/api/v1/demandes?statut={status}&taille=1"))).GetProperty("total").GetInt32();
            var counted = await app.Db(db => db.Requests.CountAsync(r => r.Organisation!.Siret == DemoSeeder.AgendaProSiret && r.Status == Codes.ParseStatus(status)));
            Assert.Equal(counted, total);
        }
        var all = (await Json(await app.Bearer("demo-gestionnaire").GetAsync("/api/v1/demandes?type=AVANCE&taille=1"))).GetProperty("total").GetInt32();
        Assert.Equal(await app.Db(db => db.Requests.CountAsync(r => r.Type == RequestType.Avance)), all);
    }

    [Fact]
    public async Task A_refused_deposit_leaves_the_counters_as_they_were()
    {
        var before = await app.Db(db => db.RequestCounts.AsNoTracking().SumAsync(c => c.Count));
        var example = await DepositFiles.Example(app.Anonymous());
        var fresh = DepositFiles.FreshAdvance(example, 710_001);
        // The second request repeats the first one's reference: the whole file is refused.
        var file = DepositFiles.With(example, fresh, fresh.DeepClone().AsObject());
        var response = await app.Bearer("demo-agendapro").PostAsync("/api/v1/depots", DepositFiles.Form(file));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await app.Db(db => db.RequestCounts.AsNoTracking().SumAsync(c => c.Count)));
        await AssertExact();
    }

    [Fact]
    public async Task Recount_finds_and_corrects_a_wrong_counter()
    {
        await app.NewAsync();
        var org = await app.Db(db => db.Organisations.Where(o => o.Siret == DemoSeeder.AgendaProSiret).Select(o => o.Id).SingleAsync());
        await app.Db(db => db.Database.ExecuteSqlRawAsync(
            """UPDATE "RequestCounts" SET "Count" = "Count" + 5 WHERE "OrganisationId" = {0} AND "SchemeCode" = 'SAS_EFFECTEUR' AND "Type" = 'AVANCE' AND "Status" = 'EN_COURS'""", org));
        Assert.NotEmpty(await Differences());

        // The operator's verb, in its own process, says how many counters were wrong and puts them right.
        var (exit, output, error) = await app.RunVerbAsync("recount");
        Assert.True(exit == 0, error + output);
        Assert.Contains("1 compteur(s) corrigé(s)", output);
        await AssertExact();
        Assert.Equal(0, await app.Db(db => RequestCounters.RebuildAsync(db, default)));
    }

    [Fact]
    public async Task The_expired_flag_follows_the_latest_round_only()
    {
        var expired = await app.NewExpiredAsync();
        var reopened = await app.NewExpiredAsync();
        var confirmed = await app.NewConfirmedAsync();
        // A new round on an expired request: it is no longer « délai dépassé », even once that round is closed otherwise.
        Assert.Equal(HttpStatusCode.OK, await Post("demo-gestionnaire", $"/api/v1/demandes/{reopened}/demande-de-modification",
            """{ "commentaire": "Encore une correction.", "elements": ["informations.contactSupport"] }"""));
        Assert.Null((await app.LoadAsync(reopened)).LastRoundOutcome);
        Assert.Equal(HttpStatusCode.OK, await Post("demo-gestionnaire", $"/api/v1/demandes/{reopened}/demande-de-modification/annuler"));

        Assert.Equal(RoundOutcome.Expired, (await app.LoadAsync(expired)).LastRoundOutcome);
        Assert.Equal(RoundOutcome.Cancelled, (await app.LoadAsync(reopened)).LastRoundOutcome);
        Assert.Equal(RoundOutcome.Confirmed, (await app.LoadAsync(confirmed)).LastRoundOutcome);

        var manager = await app.SignedIn("gestionnaire@asp.test");
        var page = await manager.GetStringAsync("/instruction?delaiDepasse=1&taille=100&tri=recent");
        Assert.Contains(expired, page);
        Assert.DoesNotContain(reopened, page);
        Assert.DoesNotContain(confirmed, page);
    }
}

public sealed class RequestCountTestsOnSqlite(SqliteApp app) : RequestCountTests(app), IClassFixture<SqliteApp>;

public sealed class RequestCountTestsOnPostgres(PostgresApp app) : RequestCountTests(app), IClassFixture<PostgresApp>
{
    [Fact]
    public async Task Concurrent_decisions_on_one_vendor_neither_deadlock_nor_miscount()
    {
        var numbers = new List<string>();
        for (var i = 0; i < 12; i++) numbers.Add(await app.NewAsync());
        var manager = app.Bearer("demo-gestionnaire");
        const string round = """{ "commentaire": "Corrigez le contact.", "elements": ["informations.contactSupport"] }""";
        // Validations, rejections and rounds at once move the same vendor's counters in opposite directions.
        var responses = await Task.WhenAll(numbers.Select((n, i) => (i % 3) switch
        {
            0 => manager.PostAsync($"/api/v1/demandes/{n}/valider", Body("{}")),
            1 => manager.PostAsync($"/api/v1/demandes/{n}/rejeter", Body("""{ "motif": "Doublon." }""")),
            _ => manager.PostAsync($"/api/v1/demandes/{n}/demande-de-modification", Body(round)),
        }));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var wrong = await app.Db(db => RequestCounters.DifferencesAsync(db, default));
        Assert.Empty(wrong);
    }
}
