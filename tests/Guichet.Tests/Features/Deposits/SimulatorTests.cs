using System.Text;
using Guichet.Deposits;
using Microsoft.EntityFrameworkCore;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>The simulator gives a deposit's verdict without storing anything.</summary>
public abstract class SimulatorTests(GuichetApp app) : DepositScenario(app)
{
    [Fact]
    public async Task The_simulator_gives_the_same_verdict_and_stores_nothing()
    {
        var file = await FreshFile();
        var before = await TotalRequests();
        var valid = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file)));
        Assert.True(valid.GetProperty("valide").GetBoolean());
        file["demandes"]![0]!["montantDemande"] = 300.01m;
        var invalid = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file)));
        Assert.False(invalid.GetProperty("valide").GetBoolean());
        Assert.Contains("300,00", invalid.GetProperty("erreurs")[0].GetProperty("message").GetString());
        Assert.Equal(before, await TotalRequests());
    }

    [Fact]
    public async Task The_simulator_reads_a_zip_and_leaves_no_file()
    {
        var file = await FreshFile();
        var files = await StoredFiles();
        var verdict = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file, ExampleZip())));
        Assert.True(verdict.GetProperty("valide").GetBoolean());
        var missing = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file, DepositFiles.Zip(("autre.pdf", DepositFiles.Pdf)))));
        Assert.Contains("absent du ZIP", missing.GetProperty("erreurs")[0].GetProperty("message").GetString());
        Assert.Equal(files, await StoredFiles());
    }

    [Fact]
    public async Task The_simulator_page_shows_the_errors_of_a_file()
    {
        var browser = await App.SignedIn("editeur@agendapro.test");
        var token = AntiforgeryToken(await browser.GetStringAsync("/simulateur"));
        var simForm = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" }, { new ByteArrayContent("{\"versionFormat\":\"2.0\"}"u8.ToArray()), "Json", "faux.json" } };
        var verdict = await browser.PostAsync("/simulateur", simForm);
        var html = await verdict.Content.ReadAsStringAsync();
        Assert.Contains("non prise en charge", html);
        Assert.Contains("$.fournisseur", html);
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class SimulatorTestsOnSqlite(SqliteApp app) : SimulatorTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class SimulatorTestsOnPostgres(PostgresApp app) : SimulatorTests(app)
{
    [Fact]
    public async Task The_deposit_rules_batch_lookups_are_planned_with_the_files_values_however_often_they_run()
    {
        // docs/architecture.md « Performances »: after five runs of a prepared statement PostgreSQL may keep a generic plan,
        // which cannot hash a list it has not seen: it probes an index once per value of the file, or compares each row of
        // a vendor larger than the average with the whole list (3 s a simulation at 100 000 requests).
        var example = await Example();
        // Advances (references, clients) and balances naming advances (numbers, balances settling them): each lookup runs.
        var balances = Enumerable.Range(0, 10).Select(i =>
        {
            var balance = DepositFiles.FreshAdvance(example, Seed());
            balance["type"] = "SOLDE";
            balance["numeroDemandeAvance"] = $"SAS-A-2026-9{i:D5}";
            return balance;
        });
        var file = DepositFiles.With(example, [.. Enumerable.Range(0, 20).Select(_ => DepositFiles.FreshAdvance(example, Seed())), .. balances]);
        var statements = await App.Db(async db =>
        {
            var org = await db.Organisations.SingleAsync(o => o.Siret == "90000001900019");
            var parsed = FormatV1.Parse(Encoding.UTF8.GetBytes(file.ToJsonString()), 20_000, []);
            await db.Database.OpenConnectionAsync();
            try
            {
                // A pooled connection of the shared app: only the statements of this test are looked at.
                ((Npgsql.NpgsqlConnection)db.Database.GetDbConnection()).UnprepareAll();
                // Prepared after a few runs (Max Auto Prepare), then run more than five times as a prepared statement.
                for (var i = 0; i < 15; i++)
                    await DepositRules.CheckAsync(db, org, parsed, DateTime.UtcNow, [], CancellationToken.None, DepositCheck.Simulation);
                return await db.Database.SqlQueryRaw<PreparedStatement>(
                    "SELECT statement AS \"Text\", generic_plans AS \"Generic\", custom_plans AS \"Custom\" FROM pg_prepared_statements").ToListAsync();
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        });
        foreach (var column in new[] { "\"VendorReference\" = ANY", "\"ClientId\" = ANY", "\"Number\" = ANY", "\"AdvanceNumber\" = ANY" })
        {
            var statement = Assert.Single(statements, s => s.Text.Contains(column, StringComparison.Ordinal));
            Assert.Equal(0, statement.Generic);
            Assert.True(statement.Custom >= 6, $"{column} : {statement.Custom} plan(s) avec les valeurs.");
        }
    }

    private sealed class PreparedStatement
    {
        public string Text { get; set; } = "";
        public long Generic { get; set; }
        public long Custom { get; set; }
    }
}
