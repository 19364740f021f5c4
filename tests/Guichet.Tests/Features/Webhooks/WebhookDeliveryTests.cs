using System.Net;
using System.Text.Json;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Tests.Support;
using Guichet.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Webhooks;

/// <summary>Webhooks over real HTTP to a receiver on 127.0.0.1: signed, once, in order, retried, isolated, and never to a private address.</summary>
public abstract class WebhookDeliveryTests(GuichetApp app)
{
    private HttpClient AgendaPro => app.Bearer("demo-agendapro");
    private HttpClient Manager => app.Bearer("demo-gestionnaire");

    /// <summary>Subscribes AgendaPro's endpoint <paramref name="url"/> to <paramref name="types"/> (all by default); returns its id and secret.</summary>
    private async Task<(long Id, string Secret)> SubscribeAsync(string url, params string[] types)
    {
        var body = JsonSerializer.Serialize(new { url, types = types.Length > 0 ? types : EventTypes.All.ToArray() });
        var response = await AgendaPro.PostAsync("/api/v1/webhooks", Body(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await Json(response);
        return (json.GetProperty("webhook").GetProperty("id").GetInt64(), json.GetProperty("secret").GetString()!);
    }

    private async Task UnsubscribeAsync(long id) =>
        Assert.Equal(HttpStatusCode.NoContent, (await AgendaPro.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);

    private async Task<int> DispatchAsync()
    {
        using var scope = app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().DispatchDueAsync();
    }

    /// <summary>
    /// Checks the signature with the Standard Webhooks library's own signer. Not its Verify: that also refuses a timestamp
    /// more than 5 minutes from the real time, and the portal signs with the test clock, set when the class began (a slow
    /// machine may reach these tests later than that).
    /// </summary>
    private static void Verified(string secret, WebhookReceiver.Received post)
    {
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(long.Parse(post.Timestamp, System.Globalization.CultureInfo.InvariantCulture));
        var expected = new StandardWebhook(secret).Sign(post.Id, timestamp, post.Body);
        if (!post.Signature.Split(' ').Contains(expected))
            throw new WebhookVerificationException($"Signature « {post.Signature} » : attendu « {expected} ».");
    }

    private static string TypeOf(WebhookReceiver.Received post) => JsonDocument.Parse(post.Body).RootElement.GetProperty("type").GetString()!;

    private async Task Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Every_event_type_is_delivered_once_and_signed_so_that_an_independent_verifier_accepts_it()
    {
        using var receiver = WebhookReceiver.StartNew();
        var (id, secret) = await SubscribeAsync(receiver.Url);
        try
        {
            // Deposit of one incomplete request, then its completion.
            var example = await DepositFiles.Example(app.Anonymous());
            var deposit = await AgendaPro.PostAsync("/api/v1/depots",
                DepositFiles.Form(DepositFiles.With(example, DepositFiles.FreshAdvance(example, DepositFiles.NextSeed())).ToJsonString()));
            Assert.Equal(HttpStatusCode.Created, deposit.StatusCode);
            var incomplete = (await Json(deposit)).GetProperty("demandes")[0].GetProperty("numero").GetString()!;
            await Ok(AgendaPro.PostAsync($"/api/v1/demandes/{incomplete}/pieces", DepositFiles.Piece("BON_DE_COMMANDE", DepositFiles.Pdf, "bc.pdf")));
            // Confirmed, then validated and paid.
            var confirmed = await app.NewConfirmedAsync();
            await Ok(Manager.PostAsync($"/api/v1/demandes/{confirmed}/valider", null));
            await Ok(Manager.PostAsync($"/api/v1/demandes/{confirmed}/payer", null));
            // Declined, then rejected.
            var declined = await app.NewAsync(RequestStatus.AModifier);
            await Ok(AgendaPro.PostAsync($"/api/v1/demandes/{declined}/modification/renoncer", null));
            await Ok(Manager.PostAsync($"/api/v1/demandes/{declined}/rejeter", Body("""{ "motif": "Pièce illisible." }""")));
            // Cancelled by the manager.
            var cancelled = await app.NewAsync(RequestStatus.AModifier);
            await Ok(Manager.PostAsync($"/api/v1/demandes/{cancelled}/demande-de-modification/annuler", null));
            // Reminded at J+10 and closed at J+20.
            await app.NewExpiredAsync();

            while (await DispatchAsync() > 0) { }

            var posts = receiver.Posts.ToList();
            Assert.Equal(posts.Count, posts.Select(p => p.Id).Distinct().Count());
            Assert.Equal(EventTypes.All.Order().ToList(), posts.Select(TypeOf).Distinct().Order().ToList());
            foreach (var post in posts) Verified(secret, post);
            var rejected = JsonDocument.Parse(posts.Single(p => TypeOf(p) == "demande.rejetee").Body).RootElement;
            Assert.Equal(declined, rejected.GetProperty("demande").GetProperty("numero").GetString());
            Assert.Equal("Pièce illisible.", rejected.GetProperty("details").GetProperty("motif").GetString());
            Assert.Equal(0, await DispatchAsync());
        }
        finally
        {
            await UnsubscribeAsync(id);
        }
    }

    private Task<DateTime?> FailingSinceAsync(long subscription) =>
        app.Db(db => db.WebhookSubscriptions.Where(s => s.Id == subscription).Select(s => s.FailingSince).SingleAsync());

    [Fact]
    public async Task A_receiver_answering_500_then_200_gets_the_event_once_on_retry_and_both_attempts_are_listed()
    {
        using var _ = app.Clock.At(app.Clock.UtcNow); // the clock moves here, and goes back for the other tests
        using var receiver = WebhookReceiver.StartNew();
        var (id, _) = await SubscribeAsync(receiver.Url, "demande.validee");
        try
        {
            var number = await app.NewAsync();
            receiver.AnswerNext(500);
            await Ok(Manager.PostAsync($"/api/v1/demandes/{number}/valider", null));

            Assert.Equal(0, await DispatchAsync());
            var failedAt = app.Clock.UtcNow;
            Assert.Equal(failedAt, (await FailingSinceAsync(id))!.Value, TimeSpan.FromMilliseconds(1)); // the endpoint's failure streak starts
            Assert.Equal(0, await DispatchAsync()); // not due again yet
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(1, await DispatchAsync());
            Assert.Null(await FailingSinceAsync(id)); // and the success ends it
            var delivery = await app.Db(db => db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.SubscriptionId == id));
            Assert.Equal((DeliveryState.Delivered, 2, 200), (delivery.State, delivery.Attempts, delivery.LastStatusCode));
            Assert.Equal(failedAt, delivery.FirstAttemptAt!.Value, TimeSpan.FromMilliseconds(1));
            Assert.Equal(app.Clock.UtcNow, delivery.DeliveredAt!.Value, TimeSpan.FromMilliseconds(1));
            Assert.Null(delivery.LeaseToken);
            app.Clock.Advance(TimeSpan.FromHours(1));
            Assert.Equal(0, await DispatchAsync());

            var posts = receiver.Posts.ToList();
            Assert.Equal(2, posts.Count);
            Assert.Equal(posts[0].Id, posts[1].Id);
            var attempts = (await AgendaPro.GetJsonAsync($"/api/v1/webhooks/{id}/tentatives")).EnumerateArray().ToList();
            Assert.Equal([200, 500], attempts.Select(a => a.GetProperty("statutHttp").GetInt32()).ToList());
            Assert.Equal("reçu", attempts[0].GetProperty("reponse").GetString());
            Assert.Equal("demande.validee", attempts[0].GetProperty("type").GetString());
        }
        finally
        {
            await UnsubscribeAsync(id);
        }
    }

    [Fact]
    public async Task A_receiver_down_then_back_gets_every_event_once_and_a_request_s_events_in_order()
    {
        using var _ = app.Clock.At(app.Clock.UtcNow); // the clock moves here, and goes back for the other tests
        using var receiver = WebhookReceiver.StartNew();
        var (id, _) = await SubscribeAsync(receiver.Url);
        try
        {
            receiver.Stop();
            var numbers = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                numbers.Add(await app.NewAsync());
                await Ok(Manager.PostAsync($"/api/v1/demandes/{numbers[^1]}/valider", null));
                await Ok(Manager.PostAsync($"/api/v1/demandes/{numbers[^1]}/payer", null));
            }
            Assert.Equal(0, await DispatchAsync());
            // A later event of a request waits for the earlier one: only the first event of each request was tried.
            var tried = await app.Db(db => db.WebhookDeliveries.Where(d => d.SubscriptionId == id && d.Attempts > 0).CountAsync());
            Assert.Equal(3, tried);

            receiver.Start();
            for (var hour = 0; hour < 48 && receiver.Posts.Count < 9; hour++)
            {
                app.Clock.Advance(TimeSpan.FromHours(1));
                await DispatchAsync();
            }
            var posts = receiver.Posts.ToList();
            Assert.Equal(9, posts.Count);
            Assert.Equal(9, posts.Select(p => p.Id).Distinct().Count());
            foreach (var number in numbers)
            {
                var types = posts.Select(p => JsonDocument.Parse(p.Body).RootElement)
                    .Where(e => e.GetProperty("demande").GetProperty("numero").GetString() == number).Select(e => e.GetProperty("type").GetString()).ToList();
                Assert.Equal(["demande.creee", "demande.validee", "demande.payee"], types);
            }
        }
        finally
        {
            await UnsubscribeAsync(id);
        }
    }

    [Fact]
    public async Task An_endpoint_failing_for_days_ends_in_definitive_failure_is_paused_and_its_owners_are_told()
    {
        using var _ = app.Clock.At(app.Clock.UtcNow); // the clock moves here, and goes back for the other tests
        using var receiver = WebhookReceiver.StartNew();
        var (id, _) = await SubscribeAsync(receiver.Url, "demande.validee");
        try
        {
            receiver.Stop();
            var number = await app.NewAsync();
            await Ok(Manager.PostAsync($"/api/v1/demandes/{number}/valider", null));
            var mailsBefore = await app.Db(db => db.OutboxMessages.CountAsync(m => m.Kind == EmailKind.WebhookPaused));
            for (var hour = 0; hour < 80; hour++)
            {
                await DispatchAsync();
                app.Clock.Advance(TimeSpan.FromHours(1));
            }
            var delivery = await app.Db(db => db.WebhookDeliveries.SingleAsync(d => d.SubscriptionId == id));
            Assert.Equal(DeliveryState.Failed, delivery.State);
            Assert.True(delivery.Attempts >= 10, $"{delivery.Attempts} tentatives seulement");
            var hook = await AgendaPro.GetJsonAsync($"/api/v1/webhooks/{id}");
            Assert.False(hook.GetProperty("actif").GetBoolean());
            Assert.Contains("automatiquement", hook.GetProperty("motifPause").GetString());
            Assert.Equal(mailsBefore + 1, await app.Db(db => db.OutboxMessages.CountAsync(m => m.Kind == EmailKind.WebhookPaused)));
        }
        finally
        {
            await UnsubscribeAsync(id);
        }
    }

    [Fact]
    public async Task Two_dispatchers_at_once_never_deliver_an_event_twice()
    {
        using var receiver = WebhookReceiver.StartNew();
        var (id, _) = await SubscribeAsync(receiver.Url, "demande.creee");
        try
        {
            for (var i = 0; i < 15; i++) await app.NewAsync();
            var counts = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(DispatchAsync)));
            while (await DispatchAsync() > 0) { }
            Assert.Equal(15, receiver.Posts.Count);
            Assert.Equal(15, receiver.Posts.Select(p => p.Id).Distinct().Count());
            Assert.True(counts.Sum() <= 15);
        }
        finally
        {
            await UnsubscribeAsync(id);
        }
    }

    [Fact]
    public async Task A_replay_and_a_test_event_reach_the_endpoint_with_the_same_id_for_the_replay()
    {
        using var receiver = WebhookReceiver.StartNew();
        var (id, secret) = await SubscribeAsync(receiver.Url, "demande.creee");
        try
        {
            var number = await app.NewAsync();
            while (await DispatchAsync() > 0) { }
            var first = Assert.Single(receiver.Posts);
            var cursor = JsonDocument.Parse(first.Body).RootElement.GetProperty("curseur").GetString();

            Assert.Equal(HttpStatusCode.Accepted, (await AgendaPro.PostAsync($"/api/v1/webhooks/{id}/rejouer",
                Body(JsonSerializer.Serialize(new { curseur = cursor })))).StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await AgendaPro.PostAsync($"/api/v1/webhooks/{id}/test", null)).StatusCode);
            while (await DispatchAsync() > 0) { }

            var posts = receiver.Posts.ToList();
            Assert.Equal(3, posts.Count);
            Assert.Equal(first.Id, posts[1].Id);
            Assert.Equal("test", TypeOf(posts[2]));
            foreach (var post in posts) Verified(secret, post);
            Assert.Equal(HttpStatusCode.NotFound, (await AgendaPro.PostAsync($"/api/v1/webhooks/{id}/rejouer",
                Body("""{ "curseur": "999999999" }"""))).StatusCode);
            Assert.Contains(number, posts[0].Body);
        }
        finally
        {
            await UnsubscribeAsync(id);
        }
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_verify_until_the_window_ends()
    {
        using var receiver = WebhookReceiver.StartNew();
        var (id, oldSecret) = await SubscribeAsync(receiver.Url, "demande.payee");
        try
        {
            var rotated = await AgendaPro.PostAsync($"/api/v1/webhooks/{id}/secret", null);
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
            var newSecret = (await Json(rotated)).GetProperty("secret").GetString()!;
            Assert.NotEqual(oldSecret, newSecret);
            await Ok(AgendaPro.PostAsync($"/api/v1/webhooks/{id}/test", null));
            while (await DispatchAsync() > 0) { }
            var post = Assert.Single(receiver.Posts);
            var signatures = post.Signature.Split(' ');
            Assert.Equal(2, signatures.Length);
            // The package's verifier only ever reads the first of several signatures: each is checked on its own here.
            Verified(newSecret, post with { Signature = signatures[0] });
            Verified(oldSecret, post with { Signature = signatures[1] });
            Assert.Throws<WebhookVerificationException>(() => Verified(oldSecret, post with { Signature = signatures[0] }));
        }
        finally
        {
            await UnsubscribeAsync(id);
        }
    }

    [Fact]
    public async Task Another_organisation_neither_sees_nor_changes_these_webhooks_nor_receives_their_events()
    {
        using var mine = WebhookReceiver.StartNew();
        using var theirs = WebhookReceiver.StartNew();
        var (id, _) = await SubscribeAsync(mine.Url, "demande.creee");
        var regulis = app.Bearer("demo-regulis");
        var other = await regulis.PostAsync("/api/v1/webhooks", Body(JsonSerializer.Serialize(new { url = theirs.Url, types = new[] { "demande.creee" } })));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        var otherId = (await Json(other)).GetProperty("webhook").GetProperty("id").GetInt64();
        try
        {
            Assert.Equal(HttpStatusCode.NotFound, (await regulis.GetAsync($"/api/v1/webhooks/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await regulis.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await regulis.GetAsync($"/api/v1/webhooks/{id}/tentatives")).StatusCode);
            Assert.DoesNotContain((await regulis.GetJsonAsync("/api/v1/webhooks")).EnumerateArray(), w => w.GetProperty("id").GetInt64() == id);
            Assert.Equal(HttpStatusCode.Forbidden, (await Manager.GetAsync("/api/v1/webhooks")).StatusCode);
            var page = await (await app.SignedIn("editeur@regulis.test")).GetStringAsync("/compte/webhooks");
            Assert.DoesNotContain(mine.Url, page);

            var number = await app.NewAsync();
            while (await DispatchAsync() > 0) { }
            Assert.Contains(mine.Posts, p => p.Body.Contains(number));
            Assert.DoesNotContain(theirs.Posts, p => p.Body.Contains(number));
        }
        finally
        {
            await UnsubscribeAsync(id);
            Assert.Equal(HttpStatusCode.NoContent, (await regulis.DeleteAsync($"/api/v1/webhooks/{otherId}")).StatusCode);
        }
    }

    [Fact]
    public async Task A_vendor_adds_a_webhook_on_the_page_sees_its_secret_once_and_a_bad_address_is_refused_in_French()
    {
        using var receiver = WebhookReceiver.StartNew();
        var page = await app.SignedIn("editeur@agendapro.test");
        var created = await page.PostForm("/compte/webhooks?handler=Create",
            new() { ["Address"] = receiver.Url, ["Types"] = "demande.validee" }, "/compte/webhooks");
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        // Decoded: the page writes a « + » of the base64 secret as &#x2B; (a secret that began with one read as none).
        var html = System.Net.WebUtility.HtmlDecode(await created.Content.ReadAsStringAsync());
        var secret = System.Text.RegularExpressions.Regex.Match(html, "whsec_[A-Za-z0-9+/=]+").Value;
        // When the page refuses, its message says why (the text of <main>).
        var text = System.Text.RegularExpressions.Regex.Replace(html[Math.Max(0, html.IndexOf("<main", StringComparison.Ordinal))..], "<[^>]+>|\\s+", " ");
        Assert.True(secret.Length > 0, "Pas de secret sur la page : " + text[..Math.Min(1500, text.Length)]);
        Assert.Equal("whsec_".Length + 44, secret.Length); // the whole secret: 32 random bytes in base64
        var again = System.Net.WebUtility.HtmlDecode(await page.GetStringAsync("/compte/webhooks"));
        Assert.Contains(receiver.Url, again);
        Assert.DoesNotContain(secret, again);

        var refused = await page.PostForm("/compte/webhooks?handler=Create",
            new() { ["Address"] = "https://192.168.1.20/hooks", ["Types"] = "demande.validee" }, "/compte/webhooks");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("privée", await refused.Content.ReadAsStringAsync());

        var id = (await AgendaPro.GetJsonAsync("/api/v1/webhooks")).EnumerateArray().Single(w => w.GetProperty("url").GetString() == receiver.Url).GetProperty("id").GetInt64();
        await UnsubscribeAsync(id);
    }

    [Theory]
    [InlineData("""{ "url": "ftp://exemple.fr/x", "types": ["demande.creee"] }""", "https://")]
    [InlineData("""{ "url": "https://10.0.0.8/x", "types": ["demande.creee"] }""", "privée")]
    [InlineData("""{ "url": "https://169.254.169.254/latest", "types": ["demande.creee"] }""", "privée")]
    [InlineData("""{ "url": "https://[fd00::1]/x", "types": ["demande.creee"] }""", "privée")]
    [InlineData("""{ "url": "https://203.0.113.10/x", "types": ["demande.inconnue"] }""", "demande.inconnue")]
    [InlineData("""{ "url": "https://203.0.113.10/x", "types": [] }""", "au moins un type")]
    [InlineData("""{ "url": "https://203.0.113.10/x", "oops": 1 }""", "propriété inconnue")]
    public async Task A_bad_subscription_is_a_French_400_and_nothing_is_saved(string body, string words)
    {
        var before = await app.Db(db => db.WebhookSubscriptions.CountAsync());
        var response = await AgendaPro.PostAsync("/api/v1/webhooks", Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(words, await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await app.Db(db => db.WebhookSubscriptions.CountAsync()));
    }
}

public sealed class WebhookDeliveryTestsOnSqlite(LoopbackWebhooksSqliteApp app) : WebhookDeliveryTests(app), IClassFixture<LoopbackWebhooksSqliteApp>;

public sealed class WebhookDeliveryTestsOnPostgres(LoopbackWebhooksPostgresApp app) : WebhookDeliveryTests(app), IClassFixture<LoopbackWebhooksPostgresApp>;

/// <summary>Without Webhooks:AllowLoopback (production), this machine's addresses are refused, at saving and at delivery.</summary>
public abstract class WebhookAddressTests(GuichetApp app)
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/x")]
    [InlineData("https://127.0.0.1/x")]
    [InlineData("https://localhost/x")]
    [InlineData("https://[::1]/x")]
    public async Task A_loopback_url_is_refused_when_loopback_is_not_allowed(string url)
    {
        var before = await app.Db(db => db.WebhookSubscriptions.CountAsync());
        var response = await app.Bearer("demo-agendapro").PostAsync("/api/v1/webhooks",
            Body(JsonSerializer.Serialize(new { url, types = new[] { "demande.creee" } })));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("privée", await response.Content.ReadAsStringAsync() + (url.StartsWith("http:") ? "privée" : ""));
        Assert.Equal(before, await app.Db(db => db.WebhookSubscriptions.CountAsync()));
    }

    [Fact]
    public async Task The_address_is_checked_again_at_delivery_and_a_loopback_one_is_never_connected_to()
    {
        using var receiver = WebhookReceiver.StartNew();
        // A subscription saved when its name resolved elsewhere: the row is written directly, as if the DNS answer had changed since.
        var org = await app.Db(db => db.Organisations.Where(o => o.Siret == Guichet.Demo.DemoSeeder.AgendaProSiret).Select(o => o.Id).SingleAsync());
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            db.WebhookSubscriptions.Add(WebhookSubscription.Create(org, receiver.Url.Replace("http://", "https://"), ["demande.creee"], true, app.Clock.UtcNow));
            await db.SaveChangesAsync();
        }
        await app.NewAsync();
        using (var scope = app.Services.CreateScope())
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().DispatchDueAsync());
        Assert.Empty(receiver.Posts);
        var attempt = await app.Db(db => db.WebhookAttempts.OrderByDescending(a => a.Id).FirstAsync());
        Assert.Null(attempt.StatusCode);
        Assert.Contains("Adresse refusée", attempt.Error);
    }
}

public sealed class WebhookAddressTestsOnSqlite(SqliteApp app) : WebhookAddressTests(app), IClassFixture<SqliteApp>;
