using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Guichet.Tests.Faults;

/// <summary>
/// The background e-mail loop and a PostgreSQL database that goes away under it: the server terminates its connections
/// and refuses new ones (as during a restart), then accepts them again. The loop must log, wait, retry, and send again.
/// </summary>
[Trait("Category", "Faults")]
public sealed class EmailDispatchOutageTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    [Fact]
    public async Task The_dispatch_loop_survives_a_database_outage_and_sends_again_once_it_is_back()
    {
        await app.DrainOutboxAsync();
        var appConnection = await app.Db(db => Task.FromResult(db.Database.GetConnectionString()!));
        var database = new NpgsqlConnectionStringBuilder(appConnection).Database!;
        await using var relay = await SmtpCatcher.StartAsync();
        var logs = new LogSink();

        // The loop as the portal builds it, in its own container: its own connection pool, a one-second period.
        var options = Dispatchers.Smtp(relay.Port);
        options.Dispatch.PeriodSeconds = 1;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Guichet"] = new NpgsqlConnectionStringBuilder(appConnection) { ApplicationName = "guichet-outage-loop" }.ToString(),
        }).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information))
            .AddSingleton(TimeProvider.System)
            .AddSingleton(app.Services.GetRequiredService<IHostEnvironment>())
            .AddSingleton(Options.Create(options))
            .AddSingleton(Options.Create(new WorkersOptions { Enabled = true }))
            .AddSingleton<EmailSender>()
            .AddScoped<EmailDispatcher>()
            .AddGuichetDatabase(configuration, Path.GetTempPath());
        await using var provider = services.BuildServiceProvider();
        var loop = ActivatorUtilities.CreateInstance<EmailDispatchService>(provider);
        var category = typeof(EmailDispatchService).FullName!;

        await loop.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var before = await app.EnqueueAsync(2);
            await WaitUntil(() => before.All(m => relay.CountOf(m.MessageId) == 1), "les e-mails avant la panne");

            await Outage(appConnection, database, down: true);
            await WaitUntil(() => logs.Count(category, LogLevel.Error) >= 2, "deux échecs de la boucle pendant la panne");
            Assert.False(loop.ExecuteTask!.IsCompleted, "La boucle d'envoi s'est arrêtée pendant la panne.");
            Assert.Contains(logs.Entries, e => e.Category == category && e.Level == LogLevel.Error && (e.Exception is NpgsqlException || e.Exception?.InnerException is NpgsqlException));

            await Outage(appConnection, database, down: false);
            NpgsqlConnection.ClearPool(new NpgsqlConnection(appConnection)); // the app's connections were terminated too
            var after = await app.EnqueueAsync(2);
            await WaitUntil(() => after.All(m => relay.CountOf(m.MessageId) == 1), "les e-mails après la panne");
            await WaitUntil(() => logs.Entries.Any(e => e.Category == category && e.Level == LogLevel.Information && e.Message.Contains("rétabli")),
                "le retour de la boucle dans le journal");

            Assert.False(loop.ExecuteTask!.IsCompleted);
            var rows = await app.ReloadAsync([.. before, .. after]);
            Assert.All(rows, m => Assert.NotNull(m.SentAt));
            Assert.All(rows, m => Assert.Equal(1, relay.CountOf(m.MessageId)));
        }
        finally
        {
            await Outage(appConnection, database, down: false);
            await loop.StopAsync(CancellationToken.None);
        }
        Assert.True(loop.ExecuteTask!.IsCompletedSuccessfully, "La boucle d'envoi ne s'est pas arrêtée proprement.");
    }

    /// <summary>Down: the database refuses new connections and its open ones are terminated. Up: it accepts them again.</summary>
    private static async Task Outage(string appConnection, string database, bool down)
    {
        var admin = new NpgsqlConnectionStringBuilder(appConnection) { Database = "postgres", Pooling = false, ApplicationName = "guichet-outage-admin" };
        await using var conn = new NpgsqlConnection(admin.ToString());
        await conn.OpenAsync();
        var sql = down
            ? $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false; "
              + $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid();"
            : $"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS true;";
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        // The loop's pause doubles after each failure (2, 4, 8, 16 s): 60 s leaves room for one more on a slow machine.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Attendu en 60 s, sans succès : {what}.");
            await Task.Delay(100);
        }
    }
}
