using System.Diagnostics;
using System.Net;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Guichet.Tests.Faults;

/// <summary>The portal on the shared PostgreSQL cluster with a short command timeout (5 s), to see a lock wait end.</summary>
public sealed class ShortTimeoutApp(PostgresFixture postgres) : GuichetApp
{
    public const int CommandTimeoutSeconds = 5;
    protected override string Provider => "Postgres";
    protected override async Task<string> ConnectionStringAsync() =>
        await postgres.CreateDatabaseAsync() + $";Command Timeout={CommandTimeoutSeconds}";
}

/// <summary>
/// A slow transaction holding the counter rows (<c>RequestCounts</c>) of one organisation: the decisions of another
/// organisation go through at once; one of the same organisation waits, and if it waits past the command timeout it is
/// an honest 503 that wrote nothing.
/// </summary>
[Trait("Category", "Faults")]
public sealed class ContentionTests(ShortTimeoutApp app, ITestOutputHelper output) : IClassFixture<ShortTimeoutApp>
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(12);

    private async Task<NpgsqlConnection> ConnectAsync()
    {
        string cs;
        using (var scope = app.Services.CreateScope())
            cs = scope.ServiceProvider.GetRequiredService<GuichetDbContext>().Database.GetConnectionString()!;
        var connection = new NpgsqlConnection(cs + ";Pooling=false;Command Timeout=30");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A transaction that locks every counter row of <paramref name="siret"/>'s organisation and keeps them until disposed.</summary>
    private async Task<(NpgsqlConnection, NpgsqlTransaction)> HoldCountersOfAsync(string siret)
    {
        var connection = await ConnectAsync();
        var tx = await connection.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand("""
            UPDATE "RequestCounts" SET "Count" = "Count"
            WHERE "OrganisationId" = (SELECT "Id" FROM "Organisations" WHERE "Siret" = @siret)
            """, connection, tx);
        cmd.Parameters.AddWithValue("siret", siret);
        var rows = await cmd.ExecuteNonQueryAsync();
        Assert.True(rows > 0);
        return (connection, tx);
    }

    [Fact]
    public async Task Decisions_of_another_organisation_do_not_wait_for_a_transaction_holding_one_organisations_counters()
    {
        var numbers = new List<string>();
        for (var i = 0; i < 3; i++) numbers.Add(await app.NewOfAsync(DemoSeeder.RegulisSiret));
        var manager = app.Bearer("demo-gestionnaire");
        Assert.Equal(HttpStatusCode.OK, (await manager.PostAsync($"/api/v1/demandes/{await app.NewOfAsync(DemoSeeder.RegulisSiret)}/valider", null)).StatusCode);

        var (connection, tx) = await HoldCountersOfAsync(DemoSeeder.AgendaProSiret);
        await using (connection)
        {
            var held = Stopwatch.StartNew();
            var timings = new List<long>();
            var decisions = Task.Run(async () =>
            {
                foreach (var number in numbers)
                {
                    var one = Stopwatch.StartNew();
                    var response = await manager.PostAsync($"/api/v1/demandes/{number}/valider", null);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    timings.Add(one.ElapsedMilliseconds);
                }
            });
            var first = await Task.WhenAny(decisions, Task.Delay(Hold));
            output.WriteLine($"Décisions de Regulis pendant que les compteurs d'AgendaPro sont tenus : {string.Join(", ", timings)} ms "
                + $"(toutes en {held.ElapsedMilliseconds} ms, verrou tenu {Hold.TotalSeconds} s).");
            Assert.True(first == decisions, "Les décisions d'un autre organisme ont attendu le verrou des compteurs.");
            await decisions;
            await tx.RollbackAsync();
        }
        foreach (var number in numbers) Assert.Equal(RequestStatus.Validee, (await app.LoadAsync(number)).Status);
    }

    [Fact]
    public async Task A_decision_of_the_same_organisation_waits_and_answers_503_at_the_command_timeout_having_written_nothing()
    {
        var number = await app.NewOfAsync(DemoSeeder.AgendaProSiret);
        var other = await app.NewOfAsync(DemoSeeder.AgendaProSiret);
        var manager = app.Bearer("demo-gestionnaire");
        // The counter row « validée » exists (a first validation), so that the decision meets the held rows.
        Assert.Equal(HttpStatusCode.OK, (await manager.PostAsync($"/api/v1/demandes/{other}/valider", null)).StatusCode);
        var before = await app.LoadAsync(number);

        var (connection, tx) = await HoldCountersOfAsync(DemoSeeder.AgendaProSiret);
        await using (connection)
        {
            var watch = Stopwatch.StartNew();
            var response = await manager.PostAsync($"/api/v1/demandes/{number}/valider", null).WaitAsync(Hold);
            output.WriteLine($"Décision d'AgendaPro derrière ses compteurs tenus : {(int)response.StatusCode} après {watch.ElapsedMilliseconds} ms "
                + $"(délai de commande {ShortTimeoutApp.CommandTimeoutSeconds} s).");
            await FaultRequests.AssertUnavailable(response, api: true);
            Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(ShortTimeoutApp.CommandTimeoutSeconds - 1));
            await tx.RollbackAsync();
        }

        var after = await app.LoadAsync(number);
        Assert.Equal(RequestStatus.EnCours, after.Status);
        Assert.Equal(before.Version, after.Version);
        Assert.Empty(await app.MailsAsync(number));
        // Once the rows are free, the same decision goes through.
        Assert.Equal(HttpStatusCode.OK, (await manager.PostAsync($"/api/v1/demandes/{number}/valider", null)).StatusCode);
    }

    [Fact]
    public async Task A_decision_of_the_same_organisation_waits_for_a_short_hold_then_succeeds()
    {
        var number = await app.NewOfAsync(DemoSeeder.AgendaProSiret);
        var manager = app.Bearer("demo-gestionnaire");
        var (connection, tx) = await HoldCountersOfAsync(DemoSeeder.AgendaProSiret);
        await using (connection)
        {
            var watch = Stopwatch.StartNew();
            var decision = manager.PostAsync($"/api/v1/demandes/{number}/valider", null);
            await Task.Delay(TimeSpan.FromSeconds(2));
            await tx.CommitAsync();
            var response = await decision;
            output.WriteLine($"Décision d'AgendaPro derrière un verrou de 2 s : {(int)response.StatusCode} après {watch.ElapsedMilliseconds} ms.");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
