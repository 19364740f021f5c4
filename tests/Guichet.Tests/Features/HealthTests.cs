using System.Globalization;
using System.Net;
using System.Text.Json;
using Guichet.Testing;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features;

/// <summary>The three doors of a supervisor: /health (as always), /health/live (the process), /health/ready (what it needs).</summary>
public abstract class HealthTests(GuichetApp app)
{
    private static readonly string[] Checks = ["base-de-donnees", "stockage", "antivirus", "smtp"];

    [Fact]
    public async Task Live_answers_200_without_asking_any_dependency()
    {
        var response = await app.Anonymous().GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("Healthy", body.GetProperty("statut").GetString());
        Assert.Empty(body.GetProperty("verifications").EnumerateArray());
    }

    [Fact]
    public async Task Ready_answers_200_and_names_the_database_the_storage_the_scanner_and_the_smtp_server_each_in_French()
    {
        var response = await app.Anonymous().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var checks = ChecksOf(await Json(response));
        Assert.Equal(Checks.Order(), checks.Keys.Order());
        Assert.All(checks.Values, c => Assert.Equal("Healthy", c.GetProperty("statut").GetString()));
        Assert.Equal("Base de données joignable.", checks["base-de-donnees"].GetProperty("description").GetString());
        Assert.Equal("Stockage des pièces accessible en écriture.", checks["stockage"].GetProperty("description").GetString());
        Assert.StartsWith("Antivirus non configuré", checks["antivirus"].GetProperty("description").GetString());
        Assert.StartsWith("Pas de serveur SMTP configuré", checks["smtp"].GetProperty("description").GetString());
    }

    [Fact]
    public async Task The_health_endpoint_still_answers_Healthy_in_plain_text()
    {
        var response = await app.Anonymous().GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_are_not_found_when_Prometheus_is_not_enabled()
    {
        var response = await app.Anonymous().GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_storage_that_cannot_be_written_makes_the_portal_not_ready_naming_the_storage_while_live_stays_200()
    {
        var away = app.StoragePath + ".ailleurs";
        Directory.Move(app.StoragePath, away);
        await File.WriteAllTextAsync(app.StoragePath, "pas un dossier");
        try
        {
            var response = await app.Anonymous().GetAsync("/health/ready");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After attendu");
            var body = await Json(response);
            Assert.Equal("Unhealthy", body.GetProperty("statut").GetString());
            var checks = ChecksOf(body);
            Assert.Equal("Unhealthy", checks["stockage"].GetProperty("statut").GetString());
            Assert.StartsWith("Stockage des pièces inaccessible", checks["stockage"].GetProperty("description").GetString());
            Assert.Equal("Healthy", checks["base-de-donnees"].GetProperty("statut").GetString());
            Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            File.Delete(app.StoragePath);
            Directory.Move(away, app.StoragePath);
        }
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health/ready")).StatusCode);
    }

    public static Dictionary<string, JsonElement> ChecksOf(JsonElement body) =>
        body.GetProperty("verifications").EnumerateArray().ToDictionary(c => c.GetProperty("nom").GetString()!);
}

public sealed class HealthTestsOnSqlite(SqliteApp app) : HealthTests(app), IClassFixture<SqliteApp>;

public sealed class HealthTestsOnPostgres(PostgresApp app) : HealthTests(app), IClassFixture<PostgresApp>;

/// <summary>The portal with its scanner and its SMTP server each on a loopback port where nothing listens.</summary>
public abstract class UnreachableDependenciesApp : GuichetApp
{
    public int SmtpPort { get; } = ClamdServer.ClosedPort();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        ScannerSettings.Apply(builder, ClamdServer.ClosedPort());
        builder.UseSetting("Email:Smtp:Host", "127.0.0.1");
        builder.UseSetting("Email:Smtp:Port", SmtpPort.ToString(CultureInfo.InvariantCulture));
    }
}

public sealed class UnreachableDependenciesSqliteApp : UnreachableDependenciesApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
}

public sealed class UnreachableDependenciesPostgresApp(PostgresFixture postgres) : UnreachableDependenciesApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
}

/// <summary>A scanner or an SMTP server that does not answer keeps the portal out of the load balancer, not down.</summary>
public abstract class UnreachableDependenciesTests(UnreachableDependenciesApp app)
{
    [Fact]
    public async Task Ready_is_503_naming_the_scanner_and_the_smtp_server_while_live_and_health_stay_200()
    {
        var response = await app.Anonymous().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("Unhealthy", body.GetProperty("statut").GetString());
        var checks = HealthTests.ChecksOf(body);
        Assert.Equal("Unhealthy", checks["antivirus"].GetProperty("statut").GetString());
        Assert.StartsWith("Antivirus injoignable (127.0.0.1:", checks["antivirus"].GetProperty("description").GetString());
        Assert.Equal("Unhealthy", checks["smtp"].GetProperty("statut").GetString());
        Assert.StartsWith($"Serveur SMTP injoignable (127.0.0.1:{app.SmtpPort})", checks["smtp"].GetProperty("description").GetString());
        Assert.Equal("Healthy", checks["base-de-donnees"].GetProperty("statut").GetString());
        Assert.Equal("Healthy", checks["stockage"].GetProperty("statut").GetString());

        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health/live")).StatusCode);
        Assert.Equal("Healthy", await (await app.Anonymous().GetAsync("/health")).Content.ReadAsStringAsync());
    }
}

public sealed class UnreachableDependenciesTestsOnSqlite(UnreachableDependenciesSqliteApp app) : UnreachableDependenciesTests(app),
    IClassFixture<UnreachableDependenciesSqliteApp>;

public sealed class UnreachableDependenciesTestsOnPostgres(UnreachableDependenciesPostgresApp app) : UnreachableDependenciesTests(app),
    IClassFixture<UnreachableDependenciesPostgresApp>;
