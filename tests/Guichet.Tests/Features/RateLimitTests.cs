using System.Net;
using System.Text.Json;
using Guichet.Email;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>
/// The portal with small limits, for these tests only (every other app raises them, GuichetApp). A test-only header
/// « X-Test-Source » sets the client's address, so that each test has sources of its own.
/// </summary>
public abstract class LimitedApp : GuichetApp
{
    public const string SourceHeader = TestSource.Header;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        void Limit(string name, int permits, int seconds)
        {
            builder.UseSetting($"RateLimits:{name}:Permits", permits.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting($"RateLimits:{name}:WindowSeconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Limit("SignInPerAddress", 3, 600);
        Limit("SignInPerSource", 5, 600);
        Limit("ForgotPasswordPerAddress", 3, 3600);
        Limit("ForgotPasswordPerSource", 5, 3600);
        Limit("ApiPerUser", 5, 600);
        Limit("SimulationsPerOrganisation", 3, 600);
        builder.ConfigureTestServices(services => services.AddTestSource());
    }

    /// <summary>An anonymous client seen as coming from <paramref name="source"/>.</summary>
    public HttpClient From(string source)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Add(SourceHeader, source);
        return client;
    }
}

public sealed class LimitedSqliteApp : LimitedApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
}

public sealed class LimitedPostgresApp(PostgresFixture postgres) : LimitedApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
}

/// <summary>Sign-in, « mot de passe oublié », the API per user and simulations per organisation answer 429 in French with Retry-After.</summary>
public abstract class RateLimitTests(LimitedApp app)
{
    private static int _source;
    // Each test its own client addresses, so that the tests of the class do not share a source partition.
    private static string NewSource() => $"203.0.113.{Interlocked.Increment(ref _source)}";

    private static async Task AssertTooManyPage(HttpResponseMessage response, string words)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After en secondes attendu");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains(words, html);
        Assert.Matches("Réessayez dans \\d+ (minutes?|secondes?)", html);
    }

    private static async Task AssertTooManyProblem(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After en secondes attendu");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Trop de requêtes", problem.GetProperty("title").GetString());
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Contains("Réessayez dans", problem.GetProperty("detail").GetString());
    }

    private static Task<HttpResponseMessage> SignIn(HttpClient client, string email, string password) =>
        client.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = password });

    [Fact]
    public async Task Sign_in_is_throttled_per_address_alike_for_a_known_and_an_unknown_address()
    {
        // A known account and an unknown address, each tried from several sources (a distributed guess).
        const string known = "editeur@regulis.test";
        var unknown = $"personne-{Guid.NewGuid():N}@nulle-part.test";
        foreach (var email in new[] { known, unknown })
            for (var i = 0; i < 3; i++)
                Assert.Equal(HttpStatusCode.BadRequest, (await SignIn(app.From(NewSource()), email, "mauvais")).StatusCode);

        var knownRefused = await SignIn(app.From(NewSource()), known, "mauvais");
        var unknownRefused = await SignIn(app.From(NewSource()), unknown, "mauvais");
        await AssertTooManyPage(knownRefused, "Trop de tentatives de connexion");
        await AssertTooManyPage(unknownRefused, "Trop de tentatives de connexion");
        Assert.Equal(await knownRefused.Content.ReadAsStringAsync(), await unknownRefused.Content.ReadAsStringAsync());
        // The right password waits like anyone else until the window is over; nothing is locked in the database.
        await AssertTooManyPage(await SignIn(app.From(NewSource()), known, Guichet.Demo.DemoSeeder.Password), "Trop de tentatives de connexion");
        var user = await app.Db(db => db.Users.SingleAsync(u => u.Email == known));
        Assert.Null(user.LockoutEnd);
        Assert.Equal(0, user.AccessFailedCount);
        // Another account is not slowed by it.
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(app.From(NewSource()), "gestionnaire@asp.test", Guichet.Demo.DemoSeeder.Password)).StatusCode);
    }

    [Fact]
    public async Task A_very_long_typed_address_is_counted_like_any_other_and_apart_from_its_neighbours()
    {
        // Beyond the counter's key length, the key keeps a hash of the whole address: two long addresses with the same
        // beginning are two partitions.
        var start = new string('a', 400) + Guid.NewGuid().ToString("N");
        string first = start + "1@nulle-part.test", second = start + "2@nulle-part.test";
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await SignIn(app.From(NewSource()), first, "mauvais")).StatusCode);
        await AssertTooManyPage(await SignIn(app.From(NewSource()), first, "mauvais"), "Trop de tentatives de connexion");
        Assert.Equal(HttpStatusCode.BadRequest, (await SignIn(app.From(NewSource()), second, "mauvais")).StatusCode);
    }

    [Fact]
    public async Task The_windows_of_the_shared_counters_are_purged_once_over()
    {
        var now = app.Clock.GetUtcNow().ToUnixTimeSeconds();
        var old = "essai|" + Guid.NewGuid().ToString("N");
        await app.Db(db =>
        {
            db.RateCounters.Add(new Guichet.Hosting.RateCounter { Key = old, WindowStart = now - 700, Count = 9, ExpiresAt = now - 100 });
            return db.SaveChangesAsync();
        });
        // A day later, the first hit of a new window purges what is over (ours, and the windows of the tests before).
        using (app.Clock.At(app.Clock.UtcNow.AddDays(1)))
            Assert.Equal(HttpStatusCode.BadRequest, (await SignIn(app.From(NewSource()), $"purge-{Guid.NewGuid():N}@nulle-part.test", "mauvais")).StatusCode);
        Assert.False(await app.Db(db => db.RateCounters.AnyAsync(c => c.Key == old)));
        Assert.True(await app.Db(db => db.RateCounters.AnyAsync(c => c.Key.StartsWith("connexion|address:PURGE-"))));
    }

    [Fact]
    public async Task Sign_in_is_throttled_per_source_whatever_the_addresses()
    {
        var source = NewSource();
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await SignIn(app.From(source), $"essai-{Guid.NewGuid():N}@nulle-part.test", "mauvais")).StatusCode);
        await AssertTooManyPage(await SignIn(app.From(source), $"essai-{Guid.NewGuid():N}@nulle-part.test", "mauvais"), "Trop de tentatives de connexion");
        // The page itself (GET) is not counted, and another source is not slowed.
        Assert.Equal(HttpStatusCode.OK, (await app.From(source).GetAsync("/connexion")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SignIn(app.From(NewSource()), $"essai-{Guid.NewGuid():N}@nulle-part.test", "mauvais")).StatusCode);
    }

    [Fact]
    public async Task Forgot_password_sends_at_most_three_emails_per_address_then_answers_429()
    {
        const string email = "editeur@agendapro.test";
        Task<int> Resets() => app.Db(db => db.OutboxMessages.CountAsync(m => m.Kind == EmailKind.PasswordReset && m.Recipients == email));
        var before = await Resets();
        for (var i = 0; i < 3; i++)
        {
            var sent = await app.From(NewSource()).PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = email });
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        }
        for (var i = 0; i < 8; i++)
            await AssertTooManyPage(await app.From(NewSource()).PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = email }),
                "Aucun e-mail supplémentaire");
        Assert.Equal(before + 3, await Resets());
    }

    [Fact]
    public async Task Forgot_password_is_throttled_per_source_too()
    {
        var source = NewSource();
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.OK, (await app.From(source).PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = $"x-{Guid.NewGuid():N}@nulle-part.test" })).StatusCode);
        await AssertTooManyPage(await app.From(source).PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = $"x-{Guid.NewGuid():N}@nulle-part.test" }),
            "Trop de demandes de réinitialisation");
    }

    [Fact]
    public async Task The_API_is_throttled_per_user_with_French_problem_details()
    {
        var client = app.Bearer("demo-agendapro");
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/demandes")).StatusCode);
        await AssertTooManyProblem(await client.GetAsync("/api/v1/demandes"));
        // Another user keeps its own allowance; a request without token is still 401, not 429.
        Assert.Equal(HttpStatusCode.OK, (await app.Bearer("demo-gestionnaire").GetAsync("/api/v1/demandes")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync("/api/v1/demandes")).StatusCode);
    }

    [Fact]
    public async Task Simulations_are_throttled_per_organisation()
    {
        var client = app.Bearer("demo-regulis");
        for (var i = 0; i < 3; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await client.PostAsync("/api/v1/simulations", DepositFiles.Form("{}"))).StatusCode);
        await AssertTooManyProblem(await client.PostAsync("/api/v1/simulations", DepositFiles.Form("{}")));
    }
}

public sealed class RateLimitTestsOnSqlite(LimitedSqliteApp app) : RateLimitTests(app), IClassFixture<LimitedSqliteApp>;

public sealed class RateLimitTestsOnPostgres(LimitedPostgresApp app) : RateLimitTests(app), IClassFixture<LimitedPostgresApp>;
