using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Guichet.Tests.Support;
using Guichet.Webhooks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Faults;

/// <summary>
/// Webhooks across a crash of the portal process: a receiver down while the portal is killed (SIGKILL, some posts in
/// flight under their lease) and restarted still gets every event of its organisation once, in each request's order,
/// signed; and two portal processes dispatching from one database never post an event twice.
/// </summary>
public abstract class WebhookRestartTests(string provider) : FaultScenario(provider)
{
    /// <summary>The portal with its workers, a dispatcher every second, posts bounded by 5 s and leases of 15 s.</summary>
    private Dictionary<string, string> Hooked(int batch = 20) => new(Env)
    {
        ["Workers__Enabled"] = "true",
        ["Webhooks__AllowLoopback"] = "true",
        ["Webhooks__PeriodSeconds"] = "1",
        ["Webhooks__TimeoutSeconds"] = "5",
        ["Webhooks__LeaseSeconds"] = "15",
        ["Webhooks__BatchSize"] = batch.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private System.Data.Common.DbConnection Connection() => Env["Database__Provider"] == "Postgres"
        ? new Npgsql.NpgsqlConnection(Env["ConnectionStrings__Guichet"])
        : new Microsoft.Data.Sqlite.SqliteConnection(Env["ConnectionStrings__Guichet"]);

    private async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = Connection();
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
        return Convert.ToInt64(await cmd.ExecuteScalarAsync() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    private Task<long> DeliveriesAsync(long hook, string where) =>
        ScalarAsync($"SELECT COUNT(*) FROM \"WebhookLivraisons\" WHERE \"SubscriptionId\" = {hook} AND {where}");

    /// <summary>
    /// The operator's action the test stands for: the backoff is 30 s × 2^n and has no setting, so the pending deliveries
    /// are made due now in the database, as « retry now » would.
    /// </summary>
    private Task<long> MakeDueNowAsync(long hook) =>
        ScalarAsync($"UPDATE \"WebhookLivraisons\" SET \"NextAttemptAt\" = @past WHERE \"SubscriptionId\" = {hook} AND \"State\" = 'Pending'",
            ("past", DateTime.SpecifyKind(DateTime.UtcNow.AddMinutes(-1), DateTimeKind.Utc)));

    private static async Task<(long Id, string Secret)> SubscribeAsync(HttpClient vendor, string url)
    {
        var response = await vendor.PostAsync("/api/v1/webhooks", Body(JsonSerializer.Serialize(new { url, types = EventTypes.All.ToArray() })));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await Json(response);
        return (json.GetProperty("webhook").GetProperty("id").GetInt64(), json.GetProperty("secret").GetString()!);
    }

    private static async Task Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A deposit of <paramref name="count"/> complete advances by AgendaPro; returns their numbers.</summary>
    private static async Task<List<string>> DepositAsync(PortalProcess portal, int count)
    {
        var (form, _) = await LargeDepositAsync(portal, count);
        var response = await portal.Client("demo-agendapro").PostAsync("/api/v1/depots", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await Json(response)).GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("numero").GetString()!).ToList();
    }

    /// <summary>Validations, a payment, a rejection, a round confirmed and a round declined: several event types on several requests.</summary>
    private static async Task DecideAsync(PortalProcess portal, List<string> n)
    {
        var manager = portal.Client("demo-gestionnaire");
        var vendor = portal.Client("demo-agendapro");
        await Ok(manager.PostAsync($"/api/v1/demandes/{n[0]}/valider", null));
        await Ok(manager.PostAsync($"/api/v1/demandes/{n[0]}/payer", null));
        await Ok(manager.PostAsync($"/api/v1/demandes/{n[1]}/valider", null));
        await Ok(manager.PostAsync($"/api/v1/demandes/{n[2]}/rejeter", Body("""{ "motif": "Pièce illisible." }""")));
        foreach (var number in new[] { n[3], n[4] })
            await Ok(manager.PostAsync($"/api/v1/demandes/{number}/demande-de-modification",
                Body(JsonSerializer.Serialize(new { commentaire = "Corrigez le contact.", elements = new[] { "informations.contactSupport" } }))));
        await Ok(vendor.PatchAsync($"/api/v1/demandes/{n[3]}/modification",
            Body("""{ "informations": { "contactSupport": "support@agendapro.test" } }""")));
        await Ok(vendor.PostAsync($"/api/v1/demandes/{n[3]}/modification/confirmer", null));
        await Ok(vendor.PostAsync($"/api/v1/demandes/{n[4]}/modification/renoncer", null));
        await Ok(manager.PostAsync($"/api/v1/demandes/{n[3]}/valider", null));
    }

    private static JsonElement Parsed(WebhookReceiver.Received post) => JsonDocument.Parse(post.Body).RootElement;

    /// <summary>Every event of <paramref name="feed"/> reached the receiver once, in each request's order, signed.</summary>
    private static void AssertEachOnceInOrderAndSigned(List<JsonElement> feed, List<WebhookReceiver.Received> posts, string secret)
    {
        Assert.Equal(posts.Count, posts.Select(p => p.Id).Distinct().Count()); // no event posted twice
        Assert.Equal(feed.Select(e => e.GetProperty("id").GetString()).Order(), posts.Select(p => p.Id).Order());
        foreach (var post in posts)
        {
            Assert.Equal(post.Id, Parsed(post).GetProperty("id").GetString());
            var headers = new HeaderDictionary
            {
                ["webhook-id"] = post.Id, ["webhook-timestamp"] = post.Timestamp, ["webhook-signature"] = post.Signature,
            };
            new StandardWebhook(secret).Verify(post.Body, headers); // throws when the signature is wrong
        }
        foreach (var number in feed.Select(e => e.Number()).OfType<string>().Distinct())
        {
            var expected = feed.Where(e => e.Number() == number).Select(e => e.GetProperty("id").GetString()).ToList();
            var received = posts.Select(Parsed).Where(e => e.Number() == number).Select(e => e.GetProperty("id").GetString()).ToList();
            Assert.Equal(expected, received);
        }
    }

    [Fact]
    public async Task A_receiver_down_while_the_portal_is_killed_and_restarted_gets_every_event_once_in_order_after_it_comes_back()
    {
        using var receiver = new WebhookReceiver(); // not started: the receiver is down
        long hook;
        string secret, cursor;
        await using (var portal = await PortalProcess.StartAsync(Hooked()))
        {
            var vendor = portal.Client("demo-agendapro");
            (hook, secret) = await SubscribeAsync(vendor, receiver.Url);
            cursor = await vendor.EndAsync();
            var numbers = await DepositAsync(portal, 6);
            await DecideAsync(portal, numbers);
            // The first event of each request is tried and refused (connection refused), then waits for its backoff.
            await WaitForAsync(async () => await DeliveriesAsync(hook, "\"Attempts\" > 0") >= numbers.Count, 30, "premières tentatives refusées");

            // Now the receiver's port accepts connections and never answers: the posts in flight hold their lease when the kill comes.
            using var blackHole = new TcpListener(IPAddress.Loopback, receiver.Port);
            blackHole.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            blackHole.Start();
            await MakeDueNowAsync(hook);
            await WaitForAsync(async () => await DeliveriesAsync(hook, "\"LeaseUntil\" IS NOT NULL") > 0, 20, "envois en cours sous bail");
            await portal.KillAsync();
            blackHole.Stop();
        }
        Assert.True(await DeliveriesAsync(hook, "\"LeaseUntil\" IS NOT NULL") > 0); // the kill left leases behind
        Assert.Equal(0, await DeliveriesAsync(hook, "\"State\" = 'Delivered'"));

        receiver.Start();
        await MakeDueNowAsync(hook);
        await using var again = await PortalProcess.StartAsync(Hooked());
        // The leases left by the kill expire after 15 s; everything is delivered well within 60 s.
        await WaitForAsync(async () => await DeliveriesAsync(hook, "\"State\" <> 'Delivered'") == 0, 60, "toutes les livraisons faites");
        await Task.Delay(TimeSpan.FromSeconds(2)); // two more dispatcher rounds: nothing may be posted again

        var (feed, _) = await again.Client("demo-agendapro").AllAsync(cursor);
        var types = feed.Select(e => e.Type()).ToHashSet();
        Assert.Superset(new HashSet<string> { "depot.termine", "demande.creee", "demande.validee", "demande.payee", "demande.rejetee",
            "demande.a_modifier", "demande.modification_confirmee", "demande.modification_declinee" }, types);
        Assert.Equal(await ScalarAsync($"SELECT COUNT(*) FROM \"WebhookLivraisons\" WHERE \"SubscriptionId\" = {hook}"), feed.Count);
        AssertEachOnceInOrderAndSigned(feed, [.. receiver.Posts], secret);
        Assert.Equal(0, await DeliveriesAsync(hook, "(\"State\" = 'Pending' OR \"LeaseUntil\" IS NOT NULL)"));
        Assert.False(again.HasExited);
    }

    [Fact]
    public async Task Two_portal_processes_dispatching_at_once_never_post_an_event_twice()
    {
        using var receiver = WebhookReceiver.StartNew();
        // Small batches, so that each process claims while the other is posting.
        await using var first = await PortalProcess.StartAsync(Hooked(batch: 3));
        await using var second = await PortalProcess.StartAsync(Hooked(batch: 3));
        var vendor = first.Client("demo-agendapro");
        var (hook, secret) = await SubscribeAsync(vendor, receiver.Url);
        var cursor = await vendor.EndAsync();
        var numbers = await DepositAsync(first, 30);
        await DecideAsync(second, numbers);
        foreach (var number in numbers.Skip(5).Take(10)) await Ok(second.Client("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/valider", null));

        await WaitForAsync(async () => await DeliveriesAsync(hook, "\"State\" <> 'Delivered'") == 0, 60, "toutes les livraisons faites");
        await Task.Delay(TimeSpan.FromSeconds(2)); // two more rounds of each dispatcher: nothing may be posted again

        var (feed, _) = await vendor.AllAsync(cursor);
        Assert.True(feed.Count >= 1 + 30 + 9 + 10, $"{feed.Count} événements seulement");
        AssertEachOnceInOrderAndSigned(feed, [.. receiver.Posts], secret);
        Assert.False(first.HasExited);
        Assert.False(second.HasExited);
    }
}

[Trait("Category", "Faults")]
public sealed class WebhookRestartTestsOnPostgres() : WebhookRestartTests("Postgres");
