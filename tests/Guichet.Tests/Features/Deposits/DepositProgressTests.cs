using System.Text;
using System.Text.Json.Nodes;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Deposits;
using Guichet.Domain;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features.Deposits;

/// <summary>
/// The progress of a deposit counts the database phase: after the files, each saved slice advances « traitees » while the
/// transaction is still open (nothing visible to others yet), and only the commit reaches the total.
/// </summary>
public abstract class DepositProgressTests(GuichetApp app) : DepositScenario(app)
{
    [Fact]
    public async Task Progress_advances_through_the_files_then_the_database_slices_before_the_commit()
    {
        const int count = 250;
        var example = await Example();
        var demandes = new JsonArray();
        var files = new List<(string, byte[])>();
        for (var i = 0; i < count; i++)
        {
            var d = DepositFiles.FreshAdvance(example, Seed());
            d["piecesJointes"]![0]!["fichier"] = $"p/{i}.pdf";
            demandes.Add(d);
            files.Add(($"p/{i}.pdf", DepositFiles.Pdf));
        }
        example["demandes"] = demandes;
        var zipPath = Path.Combine(Path.GetTempPath(), $"progress-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(zipPath, DepositFiles.Zip([.. files]));
        var before = await TotalRequests();
        var reports = new List<(int Done, int Total, int Committed)>();
        try
        {
            using var scope = App.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var org = await db.Organisations.SingleAsync(o => o.Siret == "90000001900019");
            var user = await db.Users.SingleAsync(u => u.Email == "editeur@agendapro.test");
            var service = scope.ServiceProvider.GetRequiredService<DepositService>();
            // During the database phase, what another connection sees: the requests of the organisation, committed only.
            var result = await service.DepositAsync(org, new Actor("Test", Roles.Fournisseur, user.Id), Encoding.UTF8.GetBytes(example.ToJsonString()), zipPath,
                (done, total) => reports.Add((done, total, done > count && done < total ? CommittedFor(org.Id) : -1)), CancellationToken.None);
            Assert.True(result.Valid, string.Join(" ; ", result.Errors.Select(e => e.Message)));
        }
        finally
        {
            File.Delete(zipPath);
        }

        Assert.All(reports, r => Assert.Equal(2 * count, r.Total)); // files, then requests
        Assert.Contains(reports, r => r.Done > 0 && r.Done < count); // files phase
        var databasePhase = reports.Where(r => r.Done > count && r.Done < r.Total).ToList();
        Assert.NotEmpty(databasePhase); // slices saved inside the transaction are reported…
        var committedBefore = databasePhase[0].Committed;
        Assert.All(databasePhase, r => Assert.Equal(committedBefore, r.Committed)); // …while nothing is committed yet
        Assert.Equal((2 * count, 2 * count), (reports[^1].Done, reports[^1].Total));
        Assert.Equal(before + count, await TotalRequests());
    }

    private int CommittedFor(int organisationId)
    {
        using var scope = App.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<GuichetDbContext>().Requests.Count(r => r.OrganisationId == organisationId);
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class DepositProgressTestsOnSqlite(SqliteApp app) : DepositProgressTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class DepositProgressTestsOnPostgres(PostgresApp app) : DepositProgressTests(app);
