using Guichet.Data;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features.Deposits;

/// <summary>A background deposit cut off by a restart is closed as failed, and the uploads it left are cleaned.</summary>
public abstract class InterruptedDepositTests(GuichetApp app) : DepositScenario(app)
{
    [Fact]
    public async Task A_deposit_cut_off_by_a_restart_is_closed_as_failed_with_a_clear_message()
    {
        Guid id;
        using (var scope = App.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var org = await db.Organisations.SingleAsync(o => o.Siret == "90000001900019");
            var user = await db.Users.SingleAsync(u => u.Email == "editeur@agendapro.test");
            var job = Guichet.Deposits.DepositJob.Start(org.Id, user.Id, "ancien.json", null, App.Clock.UtcNow.AddHours(-2));
            db.DepositJobs.Add(job);
            await db.SaveChangesAsync();
            id = job.Id;
        }
        // The folders of uploads cut off by the restart go too; one still being written stays.
        var uploads = Path.Combine(App.StoragePath, Guichet.Deposits.DepositUploads.UploadsFolder);
        var (abandoned, live) = (Path.Combine(uploads, "abandonne"), Path.Combine(uploads, "en-cours"));
        foreach (var folder in new[] { abandoned, live })
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, "pieces.zip"), "PK");
        }
        File.SetLastWriteTimeUtc(Path.Combine(abandoned, "pieces.zip"), App.Clock.UtcNow.AddHours(-2));
        Directory.SetLastWriteTimeUtc(abandoned, App.Clock.UtcNow.AddHours(-2));
        Assert.True(await App.Services.GetRequiredService<Guichet.Deposits.DepositRunner>().CloseStaleAsync(CancellationToken.None) >= 1);
        await App.Services.GetRequiredService<Guichet.Deposits.DepositRunner>().PurgeAsync(CancellationToken.None);
        Assert.False(Directory.Exists(abandoned));
        Assert.True(Directory.Exists(live));
        Directory.Delete(live, recursive: true);
        var status = await AgendaPro.GetJsonAsync($"/api/v1/depots/{id}");
        Assert.Equal("ECHEC", status.GetProperty("statut").GetString());
        Assert.Contains("interrompu", status.GetProperty("erreurs")[0].GetProperty("message").GetString());
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class InterruptedDepositTestsOnSqlite(SqliteApp app) : InterruptedDepositTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class InterruptedDepositTestsOnPostgres(PostgresApp app) : InterruptedDepositTests(app);
