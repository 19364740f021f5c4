using Microsoft.AspNetCore.Hosting;

namespace Guichet.Tests.Support;

/// <summary>The portal with webhooks allowed to reach this machine (Webhooks:AllowLoopback), as in development.</summary>
public sealed class LoopbackWebhooksSqliteApp : GuichetApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Webhooks:AllowLoopback", "true");
        builder.UseSetting("Webhooks:TimeoutSeconds", "3");
    }
}

public sealed class LoopbackWebhooksPostgresApp(PostgresFixture postgres) : GuichetApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Webhooks:AllowLoopback", "true");
        builder.UseSetting("Webhooks:TimeoutSeconds", "3");
    }
}
