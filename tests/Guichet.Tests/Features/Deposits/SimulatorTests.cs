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
public sealed class SimulatorTestsOnPostgres(PostgresApp app) : SimulatorTests(app);
