using System.Net;
using Guichet.Deposits;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>
/// The portal with one slot for large files and every file counted as large, so that each simulation and each deposit
/// here goes through the <see cref="DepositGate"/>. A test holds the slot itself, as a long deposit would, to see who waits.
/// </summary>
public abstract class OneSlotApp : GuichetApp
{
    /// <summary>How long a large simulation may wait for the slot (long here: only the tests release it).</summary>
    protected virtual int WaitSeconds => 600;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Deposits:LargeChecksAtOnce", "1");
        builder.UseSetting("Deposits:BackgroundAboveJsonBytes", "100");
        builder.UseSetting("Deposits:SimulationWaitSeconds", WaitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public DepositGate Gate => Services.GetRequiredService<DepositGate>();
}

public sealed class OneSlotSqliteApp : OneSlotApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
}

public sealed class OneSlotPostgresApp(PostgresFixture postgres) : OneSlotApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
}

/// <summary>The slot is never free in time: a large simulation does not wait.</summary>
public sealed class NoWaitSqliteApp : OneSlotApp
{
    protected override int WaitSeconds => 0;
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
}

/// <summary>Large simulations share the deposits' bound: they wait for a slot, one at a time, and leave no file.</summary>
public abstract class SimulationQueueTests(OneSlotApp app) : DepositScenario(app)
{
    private DepositGate Gate => app.Gate;

    [Fact]
    public async Task Two_large_simulations_wait_for_the_one_slot_then_run_one_after_the_other()
    {
        var (first, second) = (await FreshFile(), await FreshFile());
        Task<HttpResponseMessage> a, b;
        using (await Gate.EnterAsync(default))
        {
            a = AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(first));
            b = AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(second));
            await Until(() => Gate.Waiting == 2, "les deux simulations attendent la place");
            Assert.False(a.IsCompleted || b.IsCompleted);
            Assert.Equal(1, Gate.Running);
        }
        foreach (var response in await Task.WhenAll(a, b))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True((await Json(response)).GetProperty("valide").GetBoolean());
        }
        Assert.Equal(1, Gate.Peak); // never two at once
        Assert.Equal((0, 1), (Gate.Running, Gate.Free));
        await Until(() => UploadLeftovers().Count == 0, "les fichiers des simulations sont supprimés");
    }

    [Fact]
    public async Task A_cancelled_waiting_simulation_frees_nothing_it_did_not_take_and_leaves_no_file()
    {
        using (await Gate.EnterAsync(default))
        {
            using var cancel = new CancellationTokenSource();
            var waiting = AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(await FreshFile()), cancel.Token);
            await Until(() => Gate.Waiting == 1, "la simulation attend la place");
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
            await Until(() => Gate.Waiting == 0, "la simulation annulée n'attend plus");
            Assert.Equal((1, 0), (Gate.Running, Gate.Free)); // the slot is still the test's, and only one exists
        }
        Assert.Equal((0, 1), (Gate.Running, Gate.Free));
        await Until(() => UploadLeftovers().Count == 0, "les fichiers de la simulation annulée sont supprimés");
        // The slot works as before: a new simulation goes through.
        var verdict = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(await FreshFile())));
        Assert.True(verdict.GetProperty("valide").GetBoolean());
    }

    [Fact]
    public async Task A_background_deposit_waits_for_the_slot_a_simulation_holds_then_completes()
    {
        var before = await TotalRequests();
        HttpResponseMessage accepted;
        using (await Gate.EnterAsync(default))
        {
            accepted = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(await FreshFile()));
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            await Until(() => Gate.Waiting == 1, "le dépôt en tâche de fond attend la place");
            var url = (await Json(accepted)).GetProperty("url").GetString()!;
            Assert.Equal("EN_TRAITEMENT", (await AgendaPro.GetJsonAsync(url)).GetProperty("statut").GetString());
        }
        var done = (await Json(accepted)).GetProperty("url").GetString()!;
        await Until(async () => (await AgendaPro.GetJsonAsync(done)).GetProperty("statut").GetString() == "TERMINE", "le dépôt se termine");
        Assert.Equal(before + 1, await TotalRequests());
        Assert.Equal(1, Gate.Peak);
    }

    /// <summary>Polls a condition of the app; the patience is a bound on the wait, not a time the app must meet.</summary>
    internal static Task Until(Func<bool> condition, string what) => Until(() => Task.FromResult(condition()), what);

    internal static async Task Until(Func<Task<bool>> condition, string what)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (patience.IsCancellationRequested) Assert.Fail($"Toujours pas vrai après 60 s : {what}.");
            await Task.Delay(20);
        }
    }
}

public sealed class SimulationQueueTestsOnSqlite(OneSlotSqliteApp app) : SimulationQueueTests(app), IClassFixture<OneSlotSqliteApp>;

public sealed class SimulationQueueTestsOnPostgres(OneSlotPostgresApp app) : SimulationQueueTests(app), IClassFixture<OneSlotPostgresApp>;

/// <summary>A large simulation that cannot get a slot in time is told to come back: a French 503 with Retry-After, no file left.</summary>
public sealed class SimulationBusyTests(NoWaitSqliteApp app) : DepositScenario(app), IClassFixture<NoWaitSqliteApp>
{
    [Fact]
    public async Task A_large_simulation_without_a_free_slot_is_a_french_503_with_retry_after_on_the_api_and_the_page()
    {
        var browser = await App.SignedIn("editeur@agendapro.test");
        var token = AntiforgeryToken(await browser.GetStringAsync("/simulateur"));
        var file = await FreshFile();
        using (await app.Gate.EnterAsync(default))
        {
            var api = await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
            Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
            Assert.Equal("10", api.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var body = await Json(api);
            Assert.Equal("Service momentanément indisponible", body.GetProperty("title").GetString());
            Assert.Equal(DepositGate.BusyMessage, body.GetProperty("detail").GetString());

            var form = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" }, { JsonPart(file), "json", "demandes.json" } };
            var page = await browser.PostAsync("/simulateur", form);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.NotNull(page.Headers.RetryAfter);
            Assert.Contains("Réessayez dans quelques instants", await page.Content.ReadAsStringAsync());
        }
        Assert.Equal((0, 1), (app.Gate.Running, app.Gate.Free));
        await SimulationQueueTests.Until(() => UploadLeftovers().Count == 0, "les fichiers des simulations refusées sont supprimés");
        // With the slot free, the same file is simulated.
        Assert.True((await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file)))).GetProperty("valide").GetBoolean());
    }
}
