using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Tests.Support;

namespace Guichet.Tests.Features;

/// <summary>The OpenAPI document an integrator starts from: complete, and the same as the committed docs/api/openapi-v1.json that CI lints.</summary>
public sealed class ApiContractTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private async Task<JsonObject> Served() =>
        JsonNode.Parse(await app.Anonymous().GetStringAsync("/api/openapi/v1.json"))!.AsObject();

    /// <summary>The served document as the committed file writes it (indented, French text as is).</summary>
    private async Task<string> ServedText() => (await Served()).ToJsonString(new JsonSerializerOptions { WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";

    [Fact]
    public async Task The_served_document_is_the_committed_one_that_the_linter_and_the_client_generator_read()
    {
        var served = await ServedText();
        var file = RepoFiles.Path("docs", "api", "openapi-v1.json");
        if (RepoFiles.Update) await File.WriteAllTextAsync(file, served);
        Assert.True(File.Exists(file), "docs/api/openapi-v1.json manque : lancez les tests avec GUICHET_UPDATE_CONTRACT=1.");
        Assert.True(served == await File.ReadAllTextAsync(file),
            "Le document OpenAPI servi diffère de docs/api/openapi-v1.json : relancez ce test avec GUICHET_UPDATE_CONTRACT=1, "
            + "relisez la différence (aucun champ renommé ni retiré) et notez-la dans docs/api.md.");
    }

    /// <summary>The operationIds are a contract (docs/api.md): generated clients name their methods after them.</summary>
    private static readonly string[] OperationIds =
    [
        "ListRequests", "GetRequest", "CompleteRequest", "Deposit", "GetDeposit", "Simulate", "GetModification", "EditDraft",
        "ImportDraftDocument", "RemoveDraftDocument", "ConfirmModification", "DeclineModification", "OpenModificationRound",
        "CancelModificationRound", "ValidateRequest", "RejectRequest", "MarkPaid",
        "ListEvents", "ListWebhooks", "CreateWebhook", "GetWebhook", "ChangeWebhook", "DeleteWebhook", "RotateWebhookSecret",
        "ListWebhookAttempts", "SendWebhookTest", "ReplayWebhookEvent",
        "StartBulkOperation", "GetBulkOperation", "GetBulkOperationSummary",
    ];

    [Fact]
    public async Task Every_operation_says_its_bodies_its_errors_and_the_bearer_scheme_in_French()
    {
        var document = await Served();
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        var contract = await app.ContractAsync();
        var operations = contract.Operations.ToList();
        Assert.Equal(OperationIds.Order(), operations.Select(o => o.Operation["operationId"]!.GetValue<string>()).Order());
        foreach (var (path, method, op) in operations)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            Assert.False(string.IsNullOrWhiteSpace(op["summary"]?.GetValue<string>()), name + " : résumé manquant");
            Assert.False(string.IsNullOrWhiteSpace(op["description"]?.GetValue<string>()), name + " : description manquante");
            Assert.NotNull(op["security"]?[0]?["bearer"]);
            var responses = op["responses"]!.AsObject();
            foreach (var status in new[] { "401", "429", "500", "503" }) Assert.True(responses.ContainsKey(status), $"{name} : {status} manquant");
            foreach (var (status, response) in responses)
            {
                Assert.False(string.IsNullOrWhiteSpace(response!["description"]?.GetValue<string>()), $"{name} {status} : description manquante");
                var content = response["content"]?.AsObject();
                if (status == "204") { Assert.Null(content); continue; }
                // The one text download: the CSV summary of an operation groupée.
                var media = !status.StartsWith('2') ? "application/problem+json" : op["operationId"]!.GetValue<string>() == "GetBulkOperationSummary" ? "text/csv" : "application/json";
                var schema = content?[media]?["schema"];
                Assert.True(schema is not null, $"{name} {status} : schéma {media} manquant");
                if (!status.StartsWith('2')) Assert.Equal("#/$defs/Probleme", schema!["$ref"]!.GetValue<string>());
            }
            if (method is "post" or "patch" && op["requestBody"] is { } body)
                Assert.NotEmpty(body["content"]!.AsObject());
        }
        // Every write whose action reads a body says so; the deposit's « json » part is the published format.
        var writes = operations.Where(o => o.Operation["requestBody"] is not null).Select(o => o.Operation["operationId"]!.GetValue<string>()).Order();
        Assert.Equal(["CancelModificationRound", "ChangeWebhook", "CompleteRequest", "CreateWebhook", "Deposit", "EditDraft", "ImportDraftDocument",
            "OpenModificationRound", "RejectRequest", "ReplayWebhookEvent", "Simulate", "StartBulkOperation"], writes);
        var deposit = document["paths"]!["/api/v1/depots"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!;
        Assert.Equal("#/components/schemas/FormatDepot", deposit["schema"]!["properties"]!["json"]!["$ref"]!.GetValue<string>());
        Assert.Equal("application/json", deposit["encoding"]!["json"]!["contentType"]!.GetValue<string>());
        Assert.Equal("1.0", deposit["example"]!["json"]!["versionFormat"]!.GetValue<string>());
        Assert.Equal("/format/schema.json", document["components"]!["schemas"]!["FormatDepot"]!["externalDocs"]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_answer_that_strays_from_the_document_is_caught_by_the_tests_own_check()
    {
        var contract = await app.ContractAsync();
        const string problem = "{\"type\":\"about:blank\",\"title\":\"Ressource introuvable\",\"status\":404,\"erreurs\":[{\"chemin\":\"$\",\"referenceFournisseur\":null,\"message\":\"x\"}]}";
        Assert.Null(contract.Check("GET", "/api/v1/demandes/SAS-1", 404, "application/problem+json", problem));
        Assert.Contains("non documenté", contract.Check("GET", "/api/v1/demandes/SAS-1", 418, "application/problem+json", problem));
        Assert.Contains("non documenté", contract.Check("GET", "/api/v1/demandes/SAS-1", 404, "text/html", "<p>"));
        Assert.Contains("non conforme", contract.Check("GET", "/api/v1/demandes/SAS-1", 404, "application/problem+json", "{\"title\":\"x\"}"));
        Assert.Contains("non conforme", contract.Check("GET", "/api/v1/depots/" + Guid.NewGuid(), 200, "application/json", "{\"id\":\"x\",\"statut\":3}"));
        Assert.Contains("aucun", contract.Check("DELETE", "/api/v1/demandes/SAS-1/modification/pieces/" + Guid.NewGuid(), 204, null, "{}"));

        // A real answer goes through the check: the client of the fixture refuses a body the document does not describe.
        var real = await app.Bearer("demo-agendapro").GetAsync("/api/v1/demandes?taille=1");
        Assert.Equal(System.Net.HttpStatusCode.OK, real.StatusCode);
        var body = JsonNode.Parse(await real.Content.ReadAsStringAsync())!.AsObject();
        Assert.Null(contract.Check("GET", "/api/v1/demandes", 200, "application/json", body.ToJsonString()));
        body.Remove("total");
        Assert.Contains("total", contract.Check("GET", "/api/v1/demandes", 200, "application/json", body.ToJsonString()));
    }

    [Fact]
    public async Task The_committed_client_is_what_Kiota_generates_from_the_served_document()
    {
        var dir = Path.Combine(Path.GetTempPath(), "guichet-kiota-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var document = Path.Combine(dir, "openapi-v1.json");
            await File.WriteAllTextAsync(document, await ServedText());
            var output = Path.Combine(dir, "Generated");
            var psi = new System.Diagnostics.ProcessStartInfo("bash") { WorkingDirectory = RepoFiles.Root, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { RepoFiles.Path("tests", "Guichet.ApiClient", "generate.sh"), document, output }) psi.ArgumentList.Add(arg);
            using var process = System.Diagnostics.Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
            Assert.True(process.ExitCode == 0, $"Kiota a échoué : {await stdout}\n{await stderr}");

            var committed = RepoFiles.Path("tests", "Guichet.ApiClient", "Generated");
            static Dictionary<string, string> Files(string root) => Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllText);
            var generated = Files(output);
            var kept = Files(committed);
            Assert.True(generated.Keys.Order().SequenceEqual(kept.Keys.Order()),
                "Le client généré n'a pas les mêmes fichiers que tests/Guichet.ApiClient/Generated : lancez tests/Guichet.ApiClient/generate.sh.");
            var different = generated.Where(g => g.Value != kept[g.Key]).Select(g => g.Key).ToList();
            Assert.True(different.Count == 0, "Client généré différent du client déposé (lancez tests/Guichet.ApiClient/generate.sh) : " + string.Join(", ", different));
            static string Hash(string lockFile) => JsonNode.Parse(File.ReadAllText(lockFile))!["descriptionHash"]!.GetValue<string>();
            Assert.Equal(Hash(Path.Combine(committed, "kiota-lock.json")), Hash(Path.Combine(output, "kiota-lock.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
