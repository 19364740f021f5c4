using System.Net;
using Guichet.Domain;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Webhooks;

/// <summary>The events feed <c>/api/v1/evenements</c>: each change has its event, in order, each read once, by its organisation only.</summary>
public abstract class EventFeedTests(GuichetApp app)
{
    private HttpClient AgendaPro => app.Bearer("demo-agendapro");
    private HttpClient Manager => app.Bearer("demo-gestionnaire");

    [Fact]
    public async Task A_request_life_is_told_in_order_with_its_statuses_and_what_each_event_is_about()
    {
        var from = await AgendaPro.EndAsync();
        var number = await app.NewAsync(RequestStatus.AModifier);
        var vendor = AgendaPro;
        Assert.Equal(HttpStatusCode.OK, (await vendor.PatchAsync($"/api/v1/demandes/{number}/modification",
            Body("""{ "informations": { "contactSupport": "support@agendapro.test" } }"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await vendor.PostAsync($"/api/v1/demandes/{number}/modification/confirmer", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Manager.PostAsync($"/api/v1/demandes/{number}/valider", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Manager.PostAsync($"/api/v1/demandes/{number}/payer", null)).StatusCode);

        var (events, _) = await AgendaPro.AllAsync(from);
        var mine = events.Where(e => e.Number() == number).ToList();
        Assert.Equal(["demande.creee", "demande.a_modifier", "demande.modification_confirmee", "demande.validee", "demande.payee"],
            mine.Select(e => e.Type()).ToList());
        var opened = mine[1];
        Assert.Equal("EN_COURS", opened.GetProperty("demande").GetProperty("statutAvant").GetString());
        Assert.Equal("A_MODIFIER", opened.GetProperty("demande").GetProperty("statutApres").GetString());
        Assert.Equal("Corrigez le contact.", opened.GetProperty("details").GetProperty("commentaire").GetString());
        Assert.Equal(EditableField.ContactSupport, opened.GetProperty("details").GetProperty("elements")[0].GetString());
        Assert.True(opened.GetProperty("details").GetProperty("dateLimite").GetDateTime() > app.Clock.UtcNow);
        var change = mine[2].GetProperty("details").GetProperty("champsModifies")[0];
        Assert.Equal("support@agendapro.test", change.GetProperty("apres").GetString());
        var cursors = mine.Select(e => long.Parse(e.GetProperty("curseur").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(cursors.Order().ToList(), cursors);
    }

    [Fact]
    public async Task A_deposit_tells_each_request_created_then_the_deposit_finished_with_its_counts()
    {
        var from = await AgendaPro.EndAsync();
        var example = await DepositFiles.Example(app.Anonymous());
        var file = DepositFiles.With(example, DepositFiles.FreshAdvance(example, DepositFiles.NextSeed()), DepositFiles.FreshAdvance(example, DepositFiles.NextSeed()));
        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(file.ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var numbers = (await Json(response)).GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("numero").GetString()).ToList();

        var (events, _) = await AgendaPro.AllAsync(from);
        Assert.Equal(["demande.creee", "demande.creee", "depot.termine"], events.Select(e => e.Type()).ToList());
        Assert.Equal(numbers, events.Take(2).Select(e => e.Number()).ToList());
        Assert.Equal(2, events[2].GetProperty("details").GetProperty("nombreDemandes").GetInt32());
        Assert.Equal(2, events[2].GetProperty("details").GetProperty("incompletes").GetInt32());
    }

    [Fact]
    public async Task Paging_while_new_events_arrive_reads_every_event_exactly_once()
    {
        var cursor = await AgendaPro.EndAsync();
        var read = new List<string>();
        var written = new List<string>();
        for (var round = 0; round < 4; round++)
        {
            written.Add(await app.NewAsync());
            Assert.Equal(HttpStatusCode.OK, (await Manager.PostAsync($"/api/v1/demandes/{written[^1]}/valider", null)).StatusCode);
            var page = await AgendaPro.PageAsync(cursor, limit: 3);
            read.AddRange(page.Events.Select(e => e.GetProperty("id").GetString()!));
            cursor = page.Cursor;
        }
        var (rest, _) = await AgendaPro.AllAsync(cursor, limit: 3);
        read.AddRange(rest.Select(e => e.GetProperty("id").GetString()!));

        Assert.Equal(read.Count, read.Distinct().Count());
        Assert.Equal(8, read.Count); // 4 × (creee, validee)
        var (again, _) = await AgendaPro.AllAsync("0", limit: 500);
        Assert.Equal(read, again.Select(e => e.GetProperty("id").GetString()!).TakeLast(8).ToList());
    }

    [Fact]
    public async Task Concurrent_changes_are_never_skipped_by_a_reader_following_the_cursor()
    {
        var cursor = await AgendaPro.EndAsync();
        var numbers = new List<string>();
        for (var i = 0; i < 12; i++) numbers.Add(await app.NewAsync());
        var afterCreation = await AgendaPro.EndAsync();

        var seen = new List<string>();
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var at = afterCreation;
            while (true)
            {
                var done = stop.IsCancellationRequested;
                var page = await AgendaPro.PageAsync(at, limit: 500);
                seen.AddRange(page.Events.Select(e => e.Number()!));
                at = page.Cursor;
                if (done && !page.More) return;
            }
        });
        // Twelve decisions at once, each from its own client: their transactions overlap.
        await Task.WhenAll(numbers.Select(n => Task.Run(async () =>
            Assert.Equal(HttpStatusCode.OK, (await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{n}/valider", null)).StatusCode))));
        await stop.CancelAsync();
        await reader;

        Assert.Equal(numbers.Order().ToList(), seen.Order().ToList());
        var positions = (await AgendaPro.AllAsync(cursor, limit: 500)).Events
            .Select(e => long.Parse(e.GetProperty("curseur").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        // Positions have no gap: one per event, allocated in commit order.
        Assert.Equal(Enumerable.Range(0, positions.Count).Select(i => positions[0] + i).ToList(), positions);
    }

    [Fact]
    public async Task Another_organisation_never_reads_these_events_and_the_agency_has_no_feed()
    {
        var number = await app.NewAsync();
        Assert.Contains((await AgendaPro.AllAsync(limit: 500)).Events, e => e.Number() == number);
        Assert.DoesNotContain((await app.Bearer("demo-regulis").AllAsync(limit: 500)).Events, e => e.Number() == number);
        var agency = await Manager.GetAsync("/api/v1/evenements");
        Assert.Equal(HttpStatusCode.Forbidden, agency.StatusCode);
    }

    [Theory]
    [InlineData("apres=-1", "apres")]
    [InlineData("apres=abc", "apres")]
    [InlineData("limite=0", "limite")]
    [InlineData("limite=501", "limite")]
    public async Task A_bad_cursor_or_limit_is_a_French_400(string query, string word)
    {
        var response = await AgendaPro.GetAsync($"/api/v1/evenements?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(word, await response.Content.ReadAsStringAsync());
    }
}

public sealed class EventFeedTestsOnSqlite(SqliteApp app) : EventFeedTests(app), IClassFixture<SqliteApp>;

public sealed class EventFeedTestsOnPostgres(PostgresApp app) : EventFeedTests(app), IClassFixture<PostgresApp>;
