extern alias JsonSchemaNet;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using JsonSchemaNet::Json.Schema;

namespace Guichet.Tests.Support;

/// <summary>
/// Every <c>/api/v1</c> answer a test receives is checked against the OpenAPI document the portal serves: an operation's
/// undocumented status, content type or a body that does not match its schema fails the test (issue 18, item 4).
/// </summary>
public sealed class ContractCheck(Func<Task<ApiContract>> contract, List<string> violations) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var path = request.RequestUri?.AbsolutePath ?? "";
        if (!path.StartsWith("/api/v1/", StringComparison.Ordinal) && path != "/api/v1") return response;
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var problem = (await contract()).Check(request.Method.Method, path, (int)response.StatusCode,
            response.Content.Headers.ContentType?.MediaType, body);
        if (problem is null) return response;
        var message = $"Réponse hors contrat OpenAPI : {request.Method} {path} → {(int)response.StatusCode} : {problem}\nCorps : {Clip(body)}";
        lock (violations) violations.Add(message);
        throw new ContractViolation(message);
    }

    private static string Clip(string text) => text.Length <= 600 ? text : text[..600] + "…";
}

public sealed class ContractViolation(string message) : Exception(message);

/// <summary>The served OpenAPI document, read once, with each response schema built on demand.</summary>
public sealed class ApiContract
{
    private readonly JsonObject _paths;
    private readonly JsonObject _defs;
    private readonly List<(Regex Pattern, int Literals, string Template)> _templates;
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new();

    public ApiContract(string document)
    {
        // Component references become $defs of each response schema, so JSON Schema resolves them as the document does.
        var root = JsonNode.Parse(document.Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal))!.AsObject();
        _paths = root["paths"]!.AsObject();
        _defs = root["components"]?["schemas"]?.AsObject() ?? [];
        Strip(_defs);
        _templates = _paths.Select(p => (
            new Regex("^" + Regex.Replace(Regex.Escape(p.Key), @"\\\{[^/]+?}", "[^/]+") + "$"),
            p.Key.Split('/').Count(s => !s.StartsWith('{')),
            p.Key)).ToList();
    }

    /// <summary>Removes the OpenAPI-only keywords that JSON Schema refuses (documentation, not constraints).</summary>
    private static void Strip(JsonNode? node, bool underProperties = false)
    {
        if (node is JsonObject o)
        {
            if (!underProperties)
                foreach (var k in o.Select(p => p.Key).Where(k => k is "externalDocs" or "example" or "discriminator" or "xml" || k.StartsWith("x-")).ToList())
                    o.Remove(k);
            foreach (var (k, v) in o.ToList()) Strip(v, !underProperties && k is "properties" or "$defs");
        }
        else if (node is JsonArray a) foreach (var v in a) Strip(v);
    }

    /// <summary>The paths and methods of the document (operationId included), for the completeness test.</summary>
    public IEnumerable<(string Path, string Method, JsonObject Operation)> Operations =>
        _paths.SelectMany(p => p.Value!.AsObject().Where(m => m.Value is JsonObject o && o.ContainsKey("responses"))
            .Select(m => (p.Key, m.Key, m.Value!.AsObject())));

    /// <summary>Null when the answer is what the document says, else the reason in French.</summary>
    public string? Check(string method, string path, int status, string? mediaType, string body)
    {
        var template = _templates.Where(t => t.Pattern.IsMatch(path.TrimEnd('/'))).OrderByDescending(t => t.Literals).FirstOrDefault().Template;
        // A path or method the document does not know is not an operation: the routing answers 404 or 405 itself.
        if (template is null || _paths[template]![method.ToLowerInvariant()] is not JsonObject operation) return null;
        var responses = operation["responses"]!.AsObject();
        if (responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is not JsonObject response)
            return $"statut {status} non documenté pour {operation["operationId"]} (documentés : {string.Join(", ", responses.Select(r => r.Key))})";
        if (response["content"] is not JsonObject content || content.Count == 0)
            return body.Length == 0 ? null : "corps présent alors que le document n'en décrit aucun";
        if (mediaType is null || content[mediaType] is not JsonObject media)
            return $"type de contenu « {mediaType} » non documenté (documentés : {string.Join(", ", content.Select(c => c.Key))})";
        // A text download (the CSV summary) is documented as a string: only its status and type are checked.
        if (media["schema"] is not JsonNode schemaNode || !mediaType.Contains("json", StringComparison.Ordinal)) return null;
        var key = $"{template} {method} {status} {mediaType}";
        var schema = _schemas.GetOrAdd(key, _ =>
        {
            var s = schemaNode.DeepClone().AsObject();
            Strip(s);
            s["$defs"] = _defs.DeepClone();
            return JsonSchema.FromText(s.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() },
                new Uri("https://contrat.guichet.test/" + Guid.NewGuid().ToString("N")));
        });
        JsonDocument json;
        try { json = JsonDocument.Parse(body); }
        catch (JsonException) { return "corps qui n'est pas du JSON"; }
        using (json)
        {
            var result = schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (result.IsValid) return null;
            var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}) : {e.Value}")).Take(8);
            return "corps non conforme au schéma : " + string.Join(" ; ", errors);
        }
    }
}
