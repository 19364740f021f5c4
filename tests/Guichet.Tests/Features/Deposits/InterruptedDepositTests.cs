using System.Text;
using System.Text.Json;
using Guichet.Data;
using Guichet.Deposits;
using Guichet.Storage;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Guichet.Tests.Features.Deposits;

/// <summary>
/// A background deposit whose process died (no heartbeat for longer than Deposits:StaleAfterSeconds) is resumed by a live
/// instance and ends with its requests created once; one already resumed Deposits:MaxTakeovers times, or whose files are
/// gone, is closed as failed with a clear message. The app's own periodic look is out of the way (GuichetApp): the tests
/// look themselves.
/// </summary>
public abstract class InterruptedDepositTests(GuichetApp app) : DepositScenario(app)
{
    private DepositRunner Runner => App.Services.GetRequiredService<DepositRunner>();

    [Fact]
    public async Task A_deposit_whose_instance_died_is_resumed_and_ends_with_its_request_created_once()
    {
        var (id, reference) = await DeadJobAsync();

        var look = await Runner.TakeOverStaleAsync(CancellationToken.None);

        Assert.Contains(id, look.Resumed);
        Assert.DoesNotContain(id, look.Closed);
        var status = await OutcomeAsync(id);
        Assert.Equal("TERMINE", status.GetProperty("statut").GetString());
        Assert.Equal(reference, status.GetProperty("demandes").EnumerateArray().Single().GetProperty("referenceFournisseur").GetString());
        Assert.Equal(1, await RequestsWithReference(reference));
        Assert.Equal(1, await TakeoversOf(id));
        Assert.False(Directory.Exists(Runner.Folder(id))); // its working folder went with its end
        // Looking again finds nothing to do with it: the job has ended.
        var again = await Runner.TakeOverStaleAsync(CancellationToken.None);
        Assert.DoesNotContain(id, again.Resumed.Concat(again.Closed));
        Assert.Equal(1, await RequestsWithReference(reference));
    }

    [Fact]
    public async Task A_deposit_already_resumed_MaxTakeovers_times_is_closed_as_interrupted_and_creates_nothing()
    {
        var max = App.Services.GetRequiredService<IOptions<DepositOptions>>().Value.MaxTakeovers;
        Assert.True(max > 0, "Deposits:MaxTakeovers par défaut : au moins une reprise");
        var (id, reference) = await DeadJobAsync(takeovers: max);

        var look = await Runner.TakeOverStaleAsync(CancellationToken.None);

        Assert.Contains(id, look.Closed);
        Assert.DoesNotContain(id, look.Resumed);
        var status = await AgendaPro.GetJsonAsync($"/api/v1/depots/{id}");
        Assert.Equal("ECHEC", status.GetProperty("statut").GetString());
        Assert.Contains("interrompu", status.GetProperty("erreurs")[0].GetProperty("message").GetString());
        Assert.Equal(0, await RequestsWithReference(reference));
        Assert.Equal(max, await TakeoversOf(id));
        Assert.False(Directory.Exists(Runner.Folder(id)));
    }

    [Fact]
    public async Task A_deposit_cut_off_by_a_restart_whose_files_are_gone_is_closed_as_failed_with_a_clear_message()
    {
        var (id, _) = await DeadJobAsync(withFiles: false);
        // The folders of uploads cut off by the restart go too; one still being written stays.
        var uploads = Path.Combine(App.StoragePath, DepositUploads.UploadsFolder);
        var (abandoned, live) = (Path.Combine(uploads, "abandonne"), Path.Combine(uploads, "en-cours"));
        foreach (var folder in new[] { abandoned, live })
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, "pieces.zip"), "PK");
        }
        File.SetLastWriteTimeUtc(Path.Combine(abandoned, "pieces.zip"), App.Clock.UtcNow.AddHours(-2));
        Directory.SetLastWriteTimeUtc(abandoned, App.Clock.UtcNow.AddHours(-2));

        var look = await Runner.TakeOverStaleAsync(CancellationToken.None);
        await Runner.PurgeAsync(CancellationToken.None);

        Assert.Contains(id, look.Closed);
        Assert.DoesNotContain(id, look.Resumed);
        Assert.False(Directory.Exists(abandoned));
        Assert.True(Directory.Exists(live));
        Directory.Delete(live, recursive: true);
        var status = await AgendaPro.GetJsonAsync($"/api/v1/depots/{id}");
        Assert.Equal("ECHEC", status.GetProperty("statut").GetString());
        Assert.Contains("interrompu", status.GetProperty("erreurs")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_purge_command_closes_a_deposit_resumed_too_often_and_leaves_a_resumable_one_to_the_instances()
    {
        var max = App.Services.GetRequiredService<IOptions<DepositOptions>>().Value.MaxTakeovers;
        var (exhausted, _) = await DeadJobAsync(takeovers: max);
        var (resumable, reference) = await DeadJobAsync();

        var (code, output, error) = await App.RunVerbAsync("purge-pieces");

        Assert.True(code == 0, output + error);
        Assert.Contains("Dépôts interrompus clos :", output);
        Assert.Equal("ECHEC", (await AgendaPro.GetJsonAsync($"/api/v1/depots/{exhausted}")).GetProperty("statut").GetString());
        Assert.False(Directory.Exists(Runner.Folder(exhausted)));
        // The command has no queue to run it: the resumable deposit keeps its state and its files for an instance.
        Assert.Equal("EN_TRAITEMENT", (await AgendaPro.GetJsonAsync($"/api/v1/depots/{resumable}")).GetProperty("statut").GetString());
        Assert.Equal(0, await TakeoversOf(resumable));
        Assert.True(File.Exists(Runner.JsonPath(resumable)));
        var look = await Runner.TakeOverStaleAsync(CancellationToken.None);
        Assert.Contains(resumable, look.Resumed);
        Assert.Equal("TERMINE", (await OutcomeAsync(resumable)).GetProperty("statut").GetString());
        Assert.Equal(1, await RequestsWithReference(reference));
    }

    [Fact]
    public async Task Two_instances_looking_at_the_same_dead_deposits_at_once_resume_each_of_them_exactly_once()
    {
        // A second instance on the same database and storage: its own queue, heartbeat and look at stale jobs.
        var options = App.Services.GetRequiredService<IOptions<DepositOptions>>();
        using var gate = new DepositGate(options);
        var other = new DepositRunner(App.Services.GetRequiredService<IServiceScopeFactory>(), App.Services.GetRequiredService<AttachmentStore>(),
            App.Clock, options, gate, NullLogger<DepositRunner>.Instance,
            App.Services.GetRequiredService<IHostEnvironment>(), App.Services.GetRequiredService<IConfiguration>());
        await other.StartAsync(CancellationToken.None);
        try
        {
            var jobs = new List<(Guid Id, string Reference)>();
            for (var i = 0; i < 4; i++) jobs.Add(await DeadJobAsync());

            var looks = await Task.WhenAll(Runner.TakeOverStaleAsync(CancellationToken.None), other.TakeOverStaleAsync(CancellationToken.None));

            foreach (var (id, reference) in jobs)
            {
                Assert.False(looks[0].Resumed.Contains(id) && looks[1].Resumed.Contains(id), $"dépôt {id} repris par les deux instances");
                Assert.DoesNotContain(id, looks[0].Closed.Concat(looks[1].Closed));
                Assert.Equal("TERMINE", (await OutcomeAsync(id)).GetProperty("statut").GetString());
                Assert.Equal(1, await TakeoversOf(id)); // one claim succeeded, whoever made it
                Assert.Equal(1, await RequestsWithReference(reference));
            }
        }
        finally
        {
            await other.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A job « en traitement » of AgendaPro whose heartbeat stopped two hours ago, already resumed <paramref name="takeovers"/>
    /// times, with its uploaded files (one fresh advance and the example's ZIP) unless <paramref name="withFiles"/> is false.
    /// </summary>
    private async Task<(Guid Id, string Reference)> DeadJobAsync(int takeovers = 0, bool withFiles = true)
    {
        var file = await FreshFile();
        var reference = file["demandes"]![0]!["referenceFournisseur"]!.GetValue<string>();
        var job = await App.Db(async db =>
        {
            var org = await db.Organisations.SingleAsync(o => o.Siret == "90000001900019");
            var user = await db.Users.SingleAsync(u => u.Email == "editeur@agendapro.test");
            return DepositJob.Start(org.Id, user.Id, "ancien.json", withFiles ? "pieces.zip" : null, App.Clock.UtcNow.AddHours(-2));
        });
        if (withFiles)
        {
            Directory.CreateDirectory(Runner.Folder(job.Id));
            await File.WriteAllBytesAsync(Runner.JsonPath(job.Id), Encoding.UTF8.GetBytes(file.ToJsonString()));
            await File.WriteAllBytesAsync(Runner.ZipPath(job.Id), ExampleZip());
        }
        await App.Db(async db =>
        {
            db.DepositJobs.Add(job);
            await db.SaveChangesAsync();
            return await db.DepositJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Takeovers, takeovers));
        });
        return (job.Id, reference);
    }

    /// <summary>The job once it has left « en traitement » (a wall-clock bound on the wait, not a time of the app).</summary>
    private async Task<JsonElement> OutcomeAsync(Guid id)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        JsonElement status;
        do
        {
            await Task.Delay(100);
            status = await AgendaPro.GetJsonAsync($"/api/v1/depots/{id}");
        } while (status.GetProperty("statut").GetString() == "EN_TRAITEMENT" && !patience.IsCancellationRequested);
        return status;
    }

    private Task<int> RequestsWithReference(string reference) => App.Db(db => db.Requests.CountAsync(r => r.VendorReference == reference));

    private Task<int> TakeoversOf(Guid id) => App.Db(db => db.DepositJobs.Where(j => j.Id == id).Select(j => j.Takeovers).SingleAsync());
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class InterruptedDepositTestsOnSqlite(SqliteApp app) : InterruptedDepositTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class InterruptedDepositTestsOnPostgres(PostgresApp app) : InterruptedDepositTests(app);
