using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>
/// Every SQL command the portal sends while serving a request that carries the header « X-Test-Requetes: tag », by tag.
/// Only those requests are counted, so that nothing else running in the app (start, seeding, test set-up) is.
/// </summary>
public sealed class CommandLog : DbCommandInterceptor
{
    public const string Header = "X-Test-Requetes";
    private readonly HttpContextAccessor _http = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _byTag = new();

    public IReadOnlyList<string> Of(string tag) => _byTag.TryGetValue(tag, out var q) ? [.. q] : [];

    private void Note(DbCommand command)
    {
        if (_http.HttpContext?.Request.Headers[Header].ToString() is { Length: > 0 } tag)
            _byTag.GetOrAdd(tag, _ => new()).Enqueue(command.CommandText);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    { Note(command); return result; }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    { Note(command); return ValueTask.FromResult(result); }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    { Note(command); return result; }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    { Note(command); return ValueTask.FromResult(result); }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    { Note(command); return result; }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    { Note(command); return ValueTask.FromResult(result); }
}

/// <summary>Every connection the portal opens while serving a request tagged as for <see cref="CommandLog"/>, by tag.</summary>
public sealed class ConnectionLog : DbConnectionInterceptor
{
    private readonly HttpContextAccessor _http = new();
    private readonly ConcurrentDictionary<string, int> _opened = new();

    public int OpenedBy(string tag) => _opened.GetValueOrDefault(tag);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (_http.HttpContext?.Request.Headers[CommandLog.Header].ToString() is { Length: > 0 } tag)
            _opened.AddOrUpdate(tag, 1, (_, n) => n + 1);
    }

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ConnectionOpened(connection, eventData);
        return Task.CompletedTask;
    }
}

/// <summary>The portal with a <see cref="CommandLog"/> and a <see cref="ConnectionLog"/> on its contexts.</summary>
public abstract class CountedApp : GuichetApp
{
    public CommandLog Commands { get; } = new();
    public ConnectionLog Connections { get; } = new();

    protected abstract void Count(IServiceCollection services);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddHttpContextAccessor();
            Count(services);
        });
    }

    /// <summary>GETs <paramref name="url"/> with <paramref name="client"/>, and returns the answer with the SQL it cost.</summary>
    public async Task<(HttpResponseMessage Response, IReadOnlyList<string> Sql)> CountedGet(HttpClient client, string url)
    {
        var (response, sql, _) = await CountedGetWithConnections(client, url);
        return (response, sql);
    }

    /// <summary>As <see cref="CountedGet"/>, with the number of connections opened to serve it.</summary>
    public async Task<(HttpResponseMessage Response, IReadOnlyList<string> Sql, int Connections)> CountedGetWithConnections(HttpClient client, string url)
    {
        var tag = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add(CommandLog.Header, tag);
        var response = await client.SendAsync(request);
        return (response, Commands.Of(tag), Connections.OpenedBy(tag));
    }
}

public sealed class CountedSqliteApp : CountedApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
    protected override void Count(IServiceCollection services) =>
        services.ConfigureDbContext<SqliteGuichetDbContext>(o => o.AddInterceptors(Commands, Connections));
}

public sealed class CountedPostgresApp(PostgresFixture postgres) : CountedApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
    protected override void Count(IServiceCollection services) =>
        services.ConfigureDbContext<PostgresGuichetDbContext>(o => o.AddInterceptors(Commands, Connections));
}

/// <summary>
/// What one read costs the portal in SQL (counted, not timed), and the guarantees the savings must keep: a token revoked,
/// a user deactivated or a role removed applies at the next call; last use is still written; a pooled context comes back clean.
/// </summary>
public abstract class RequestCostTests(CountedApp app)
{
    private const string Password = "Cout-Test-2026!";

    private static string Listing(IReadOnlyList<string> sql) => $"{sql.Count} requêtes SQL :\n" + string.Join("\n---\n", sql);

    /// <summary>A fresh user of <paramref name="role"/> (of AgendaPro for a vendor) with a personal API token of its own.</summary>
    private async Task<(string UserId, string Token)> UserWithTokenAsync(string role)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
        var org = role == Roles.Fournisseur ? await db.Organisations.Where(o => o.Siret == DemoSeeder.AgendaProSiret).Select(o => (int?)o.Id).SingleAsync() : null;
        var email = $"cout-{Guid.NewGuid():N}@agendapro.test";
        var user = new GuichetUser { UserName = email, Email = email, EmailConfirmed = true, FullName = "Claude Coût", OrganisationId = org };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        var token = ApiTokens.Generate();
        db.ApiTokens.Add(new ApiToken { UserId = user.Id, Name = "Robot", Hash = ApiTokens.Hash(token), Prefix = token[..8], CreatedAt = app.Clock.UtcNow });
        await db.SaveChangesAsync();
        return (user.Id, token);
    }

    [Fact]
    public async Task The_api_list_reads_the_token_its_user_and_roles_in_one_query_and_costs_three_in_all()
    {
        var api = app.Bearer("demo-agendapro");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode); // last use written here, if due

        var (response, sql) = await app.CountedGet(api, "/api/v1/demandes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokenReads = sql.Where(s => s.Contains("ApiTokens", StringComparison.Ordinal)).ToList();
        Assert.True(tokenReads.Count == 1, Listing(sql));
        Assert.Contains("AspNetUserRoles", tokenReads[0], StringComparison.Ordinal);
        Assert.DoesNotContain(sql, s => s.Contains("AspNetUserRoles", StringComparison.Ordinal) && !s.Contains("ApiTokens", StringComparison.Ordinal));
        // The token with its user and roles, the counts per status, the page of rows.
        Assert.True(sql.Count <= 3, Listing(sql));
    }

    [Fact]
    public async Task The_tracking_page_costs_the_session_check_the_counts_and_the_rows_and_nothing_more()
    {
        var browser = await app.SignedIn("editeur@agendapro.test");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/demandes")).StatusCode); // last activity written here, if due

        var (response, sql) = await app.CountedGet(browser, "/demandes");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(sql, s => s.Contains("UserSessions", StringComparison.Ordinal));
        Assert.DoesNotContain(sql, s => s.Contains("AspNetUserRoles", StringComparison.Ordinal));
        Assert.True(sql.Count <= 3, Listing(sql));
    }

    [Fact]
    public async Task The_tracking_page_and_the_api_list_open_one_connection_for_all_their_queries()
    {
        var browser = await app.SignedIn("editeur@agendapro.test");
        var api = app.Bearer("demo-agendapro");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/demandes")).StatusCode); // last activity written here, if due
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode); // last use written here, if due

        foreach (var (client, url) in new[] { (browser, "/demandes"), (api, "/api/v1/demandes"), (browser, "/demandes?statut=EN_COURS") })
        {
            var (response, sql, connections) = await app.CountedGetWithConnections(client, url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(sql.Count >= 3, url + " : " + Listing(sql));
            Assert.True(connections == 1, $"{url} : {connections} connexions ouvertes pour {sql.Count} requêtes SQL");
        }
    }

    [Fact]
    public async Task The_connection_a_request_opened_is_closed_when_its_context_goes_back_to_the_pool()
    {
        var browser = await app.SignedIn("editeur@agendapro.test");
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/demandes")).StatusCode);

        // Every context the pool hands out now starts with its connection closed, the ones the requests used included.
        var seen = new List<GuichetDbContext>();
        var scopes = new List<IServiceScope>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var scope = app.Services.CreateScope();
                scopes.Add(scope);
                var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
                Assert.Equal(System.Data.ConnectionState.Closed, db.Database.GetDbConnection().State);
                seen.Add(db);
            }
        }
        finally
        {
            foreach (var scope in scopes) scope.Dispose();
        }
        Assert.Contains(seen, db => db.ContextId.Lease > 1);
    }

    [Fact]
    public async Task A_revoked_token_is_refused_at_its_next_call()
    {
        var (_, token) = await UserWithTokenAsync(Roles.Fournisseur);
        var api = app.Bearer(token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);

        await app.Db(db => db.ApiTokens.Where(t => t.Hash == ApiTokens.Hash(token))
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, app.Clock.UtcNow)));

        var refused = await api.GetAsync("/api/v1/demandes");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("jeton d'API valide", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_deactivated_users_token_is_refused_at_its_next_call()
    {
        var (userId, token) = await UserWithTokenAsync(Roles.Fournisseur);
        var api = app.Bearer(token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);

        await app.Db(db => db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsActive, false)));

        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/demandes")).StatusCode);
    }

    [Fact]
    public async Task A_role_removed_from_a_tokens_user_is_refused_at_its_next_call()
    {
        var (userId, token) = await UserWithTokenAsync(Roles.Gestionnaire);
        var api = app.Bearer(token);
        // « Valider » an unknown request: a manager is let through to « introuvable »; without the role, refused.
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/v1/demandes/INCONNUE/valider", null)).StatusCode);

        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
            Assert.True((await users.RemoveFromRoleAsync((await users.FindByIdAsync(userId))!, Roles.Gestionnaire)).Succeeded);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await api.PostAsync("/api/v1/demandes/INCONNUE/valider", null)).StatusCode);
    }

    [Fact]
    public async Task Every_role_of_a_tokens_user_counts_not_only_the_first_row_read()
    {
        // The token's read returns one row per role: each must reach the principal.
        var (userId, token) = await UserWithTokenAsync(Roles.Fournisseur);
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
            Assert.True((await users.AddToRoleAsync((await users.FindByIdAsync(userId))!, Roles.Gestionnaire)).Succeeded);
        }
        var api = app.Bearer(token);

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/webhooks")).StatusCode); // a vendor's resource
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/v1/demandes/INCONNUE/valider", null)).StatusCode); // a manager's
    }

    [Fact]
    public async Task A_tokens_last_use_is_written_at_its_first_call_then_at_most_once_a_minute()
    {
        var (_, token) = await UserWithTokenAsync(Roles.Fournisseur);
        var api = app.Bearer(token);
        var hash = ApiTokens.Hash(token);
        Task<DateTime?> LastUse() => app.Db(db => db.ApiTokens.Where(t => t.Hash == hash).Select(t => t.LastUsedAt).SingleAsync());
        Assert.Null(await LastUse());

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);
        var first = await LastUse();
        Assert.NotNull(first);

        app.Clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);
        Assert.Equal(first, await LastUse());

        app.Clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);
        Assert.True(await LastUse() > first, "la dernière utilisation doit avancer après plus d'une minute");
    }

    [Fact]
    public async Task A_pooled_context_comes_back_to_its_next_user_with_nothing_of_the_previous_one()
    {
        // First use: a transaction left open, a tracked change never saved, request counts deferred and never flushed nor ended.
        Guid instance;
        int lease;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            (instance, lease) = (db.ContextId.InstanceId, db.ContextId.Lease);
            await db.Database.BeginTransactionAsync();
            var organisation = await db.Organisations.FirstAsync();
            organisation.Name += " (jamais enregistré)";
            _ = db.DeferRequestCounts();
        }

        // Later uses: the same instance comes back from the pool (after the others queued before it).
        for (var i = 0; i < 5000; i++)
        {
            using var scope = app.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            if (db.ContextId.InstanceId != instance) continue;

            Assert.True(db.ContextId.Lease > lease, "le contexte doit avoir été rendu puis reloué");
            Assert.Empty(db.ChangeTracker.Entries());
            Assert.Null(db.Database.CurrentTransaction);
            Assert.Equal(0, await db.SaveChangesAsync());
            // No deferred batch left over: deferring works again.
            await using (await db.Database.BeginTransactionAsync())
                using (db.DeferRequestCounts()) { }
            Assert.DoesNotContain("jamais enregistré", (await db.Organisations.AsNoTracking().FirstAsync()).Name, StringComparison.Ordinal);
            return;
        }
        Assert.Fail("Le contexte n'est jamais revenu du pool : les contextes ne sont pas mis en commun.");
    }
}

public sealed class RequestCostTestsOnSqlite(CountedSqliteApp app) : RequestCostTests(app), IClassFixture<CountedSqliteApp>;

public sealed class RequestCostTestsOnPostgres(CountedPostgresApp app) : RequestCostTests(app), IClassFixture<CountedPostgresApp>;

/// <summary>The portal on PostgreSQL with a pool of three connections that gives up after 5 s: a connection kept by a request would soon be missed.</summary>
public sealed class SmallPoolPostgresApp(PostgresFixture postgres) : GuichetApp
{
    protected override string Provider => "Postgres";
    protected override async Task<string> ConnectionStringAsync() => await postgres.CreateDatabaseAsync() + ";Maximum Pool Size=3;Timeout=5";
}

/// <summary>Each request gives back the connection it opened once for all its queries (Accounts/SessionCheck.cs).</summary>
public sealed class ConnectionPerRequestTests(SmallPoolPostgresApp app) : IClassFixture<SmallPoolPostgresApp>
{
    [Fact]
    public async Task Forty_pages_and_calls_in_a_row_and_eight_at_once_are_served_by_a_pool_of_three_connections()
    {
        var browser = await app.SignedIn("editeur@agendapro.test");
        var api = app.Bearer("demo-agendapro");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/demandes")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);
        }
        var together = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? browser.GetAsync("/demandes") : api.GetAsync("/api/v1/demandes")));
        Assert.All(together, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        // Refused sessions (ended elsewhere) give their connection back too.
        await app.Db(db => db.UserSessions.Where(s => s.RevokedAt == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, app.Clock.UtcNow)));
        for (var i = 0; i < 6; i++) Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/demandes")).StatusCode);
        for (var i = 0; i < 6; i++) Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);
    }
}
