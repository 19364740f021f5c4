using System.Net;
using System.Text.Json.Nodes;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>A vendor deposits a good file over the API: the requests are created once, with their documents, and listed.</summary>
public abstract class DepositAcceptedTests(GuichetApp app) : DepositScenario(app)
{
    [Fact]
    public async Task The_published_example_deposits_with_its_zip_and_is_found_on_the_tracking_list()
    {
        var example = await Example();
        // The example is deposited as published, on this class's fresh database.
        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(example, ExampleZip()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await Json(response)).GetProperty("demandes")[0];
        Assert.Equal("AGP-2026-0001", created.GetProperty("referenceFournisseur").GetString());
        Assert.Equal("EN_COURS", created.GetProperty("statut").GetString());
        var number = created.GetProperty("numero").GetString()!;
        Assert.Matches(@"^SAS-A-\d{4}-\d{6}$", number);

        var detail = await AgendaPro.GetJsonAsync($"/api/v1/demandes/{number}");
        var piece = detail.GetProperty("piecesJointes")[0];
        Assert.Equal("bc-2026-001.pdf", piece.GetProperty("nom").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(DepositFiles.Pdf)), piece.GetProperty("sha256").GetString());
        var list = await AgendaPro.GetJsonAsync("/api/v1/demandes?q=AGP-2026-0001");
        Assert.Equal(number, list.GetProperty("demandes")[0].GetProperty("numero").GetString());

        // The same file again: the reference is refused, never duplicated.
        await Refused(AgendaPro, DepositFiles.Form(example, ExampleZip()), "$.demandes[0].referenceFournisseur", "déjà été déposée");
    }

    [Fact]
    public async Task The_json_may_come_after_the_zip_and_field_names_ignore_case()
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent("ignoré"), "commentaire" },
            { Part(ExampleZip(), "application/zip"), "ZIP", "pieces.zip" },
            { JsonPart(await FreshFile()), "Json", "demandes.json" },
            { Part("{}"u8.ToArray(), "application/json"), "json", "second.json" },
        };
        var response = await AgendaPro.PostAsync("/api/v1/depots", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("EN_COURS", (await Json(response)).GetProperty("demandes")[0].GetProperty("statut").GetString());
        Assert.Empty(UploadLeftovers());
    }

    [Fact]
    public async Task Two_racing_deposits_of_the_same_reference_store_it_once()
    {
        var file = await FreshFile();
        var before = await TotalRequests();
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => App.Bearer("demo-agendapro").PostAsync("/api/v1/depots", DepositFiles.Form(file))));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Equal(before + 1, await TotalRequests());
    }

    [Fact]
    public async Task The_format_is_published()
    {
        var anonymous = App.Anonymous();
        var schema = JsonNode.Parse(await anonymous.GetStringAsync("/format/schema.json"))!;
        Assert.False(schema["additionalProperties"]!.GetValue<bool>());
        Assert.NotNull(JsonNode.Parse(await anonymous.GetStringAsync("/format/modele-vierge.json")));
        Assert.Contains("contactSupport", await anonymous.GetStringAsync("/format"));
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class DepositAcceptedTestsOnSqlite(SqliteApp app) : DepositAcceptedTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class DepositAcceptedTestsOnPostgres(PostgresApp app) : DepositAcceptedTests(app);
