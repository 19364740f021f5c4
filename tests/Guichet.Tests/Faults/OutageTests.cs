using System.Diagnostics;
using System.Net;
using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Guichet.Tests.Faults;

/// <summary>
/// PostgreSQL stopped under a running portal (a real <c>pg_ctl stop -m immediate</c>), then started again: reads and
/// writes answer an honest 503 meanwhile, nothing is half-written, and the portal and its loops recover without a restart.
/// </summary>
[Trait("Category", "Faults")]
public sealed class OutageTests(OutageApp app, ITestOutputHelper output) : IClassFixture<OutageApp>
{
    [Fact]
    public async Task Reads_answer_503_with_Retry_After_while_the_database_is_down_and_200_once_it_is_back()
    {
        var vendor = await app.SignedIn("editeur@agendapro.test");
        var api = app.Bearer("demo-agendapro");
        Assert.Equal(HttpStatusCode.OK, (await vendor.GetAsync("/demandes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);

        await app.StopAsync();
        try
        {
            var watch = Stopwatch.StartNew();
            await FaultRequests.AssertUnavailable(await vendor.GetAsync("/demandes"), api: false);
            await FaultRequests.AssertUnavailable(await api.GetAsync("/api/v1/demandes"), api: true);
            var health = await app.Anonymous().GetAsync("/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            output.WriteLine($"Base arrêtée : page, API et /health en {watch.ElapsedMilliseconds} ms.");
        }
        finally
        {
            await app.StartAsync();
        }

        // The same portal, the same clients: the first requests after the restart succeed.
        Assert.Equal(HttpStatusCode.OK, (await vendor.GetAsync("/demandes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task A_decision_cut_by_the_outage_in_its_transaction_answers_503_and_writes_nothing()
    {
        var number = await app.NewOfAsync(DemoSeeder.AgendaProSiret);
        var before = await app.LoadAsync(number);
        var manager = app.Bearer("demo-gestionnaire");

        // Hold the request's row so that the decision's transaction is caught half-way, in its UPDATE, when the server dies.
        string connectionString;
        using (var scope = app.Services.CreateScope())
            connectionString = scope.ServiceProvider.GetRequiredService<GuichetDbContext>().Database.GetConnectionString()!;
        var holder = new NpgsqlConnection(connectionString + ";Pooling=false");
        await holder.OpenAsync();
        var tx = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("""SELECT 1 FROM "Requests" WHERE "Number" = @n FOR UPDATE""", holder, tx))
        {
            lockRow.Parameters.AddWithValue("n", number);
            await lockRow.ExecuteScalarAsync();
        }
        var decision = manager.PostAsync($"/api/v1/demandes/{number}/valider", null);
        await WaitForALockWaitAsync(holder, tx);

        await app.StopAsync();
        HttpResponseMessage response;
        try
        {
            response = await decision.WaitAsync(TimeSpan.FromSeconds(30));
            await FaultRequests.AssertUnavailable(response, api: true);
        }
        finally
        {
            await holder.DisposeAsync().AsTask().ContinueWith(_ => { });
            await app.StartAsync();
        }

        var after = await app.LoadAsync(number);
        Assert.Equal(RequestStatus.EnCours, after.Status);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.History.Count, after.History.Count);
        Assert.Empty(await app.MailsAsync(number));
        Assert.Empty(await app.Db(db => RequestCounters.DifferencesAsync(db, default)));

        // And the same decision, asked again, now goes through.
        Assert.Equal(HttpStatusCode.OK, (await manager.PostAsync($"/api/v1/demandes/{number}/valider", null)).StatusCode);
        Assert.Equal(RequestStatus.Validee, (await app.LoadAsync(number)).Status);
    }

    [Fact]
    public async Task The_deadline_loop_survives_the_outage_and_sends_the_reminder_due_meanwhile()
    {
        var number = await app.NewOfAsync(DemoSeeder.AgendaProSiret);
        // A round opened nine Paris days ago (at noon: nine times 24 h back crosses a change to summer time an hour short)…
        using (app.Clock.At(ParisCalendar.StartOfDayUtc(ParisCalendar.DateOf(app.Clock.UtcNow).AddDays(-9)).AddHours(12)))
            await app.OpenRoundAsManagerAsync(number, "Corrigez le contact.", EditableField.ContactSupport);
        var worker = app.Services.GetServices<IHostedService>().OfType<DeadlineWorker>().Single();
        await Task.Delay(TimeSpan.FromSeconds(6)); // at least one pass of the loop with the database up
        Assert.DoesNotContain(await app.MailsAsync(number), m => m.Kind == EmailKind.Reminder);

        var failuresBefore = app.Logs.Count(typeof(DeadlineWorker).FullName!, "échéances");
        await app.StopAsync();
        try
        {
            // …and becomes due while the database is down: two days pass.
            using var later = app.Clock.At(app.Clock.UtcNow.AddDays(2));
            var watch = Stopwatch.StartNew();
            while (app.Logs.Count(typeof(DeadlineWorker).FullName!, "échéances") < failuresBefore + 2 && watch.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(250);
            Assert.True(app.Logs.Count(typeof(DeadlineWorker).FullName!, "échéances") >= failuresBefore + 2,
                "La boucle des échéances n'a pas signalé l'indisponibilité de la base.");
            Assert.False(worker.ExecuteTask!.IsCompleted, "La boucle des échéances s'est arrêtée pendant la panne.");

            await app.StartAsync();
            watch.Restart();
            List<OutboxMessage> mails = [];
            while (watch.Elapsed < TimeSpan.FromSeconds(40))
            {
                try
                {
                    mails = await app.MailsAsync(number);
                    if (mails.Any(m => m.Kind == EmailKind.Reminder)) break;
                }
                catch (NpgsqlException) { } // the test's own read may meet a connection the crash left broken
                await Task.Delay(500);
            }
            output.WriteLine($"Relance envoyée {watch.ElapsedMilliseconds} ms après le retour de la base.");
            Assert.Single(mails, m => m.Kind == EmailKind.Reminder);
            Assert.False(worker.ExecuteTask!.IsCompleted);
        }
        finally
        {
            if (app.IsDown) await app.StartAsync();
        }
    }

    // Until another session of the database waits for a lock (the decision, behind the held row).
    private static async Task WaitForALockWaitAsync(NpgsqlConnection holder, NpgsqlTransaction tx)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()", holder, tx);
            if ((long)(await cmd.ExecuteScalarAsync())! > 0) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("La décision n'a jamais attendu le verrou de la demande.");
    }
}
