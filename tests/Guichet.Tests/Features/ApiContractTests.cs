using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Tests.Support;

namespace Guichet.Tests.Features;

/// <summary>The OpenAPI document an integrator starts from: complete, and the same as the committed docs/api/openapi-v1.json that CI lints.</summary>
public sealed class ApiContractTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private async Task<JsonObject> Served() =>
        JsonNode.Parse(await app.Anonymous().GetStringAsync("/api/openapi/v1.json"))!.AsObject();

    [Fact]
    public async Task The_served_document_is_the_committed_one_that_the_linter_and_the_client_generator_read()
    {
        var served = (await Served()).ToJsonString(new JsonSerializerOptions { WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        var file = RepoFiles.Path("docs", "api", "openapi-v1.json");
        if (RepoFiles.Update) await File.WriteAllTextAsync(file, served);
        Assert.True(File.Exists(file), "docs/api/openapi-v1.json manque : lancez les tests avec GUICHET_UPDATE_CONTRACT=1.");
        Assert.True(served == await File.ReadAllTextAsync(file),
            "Le document OpenAPI servi diffère de docs/api/openapi-v1.json : relancez ce test avec GUICHET_UPDATE_CONTRACT=1, "
            + "relisez la différence (aucun champ renommé ni retiré) et notez-la dans docs/api.md.");
    }
}
