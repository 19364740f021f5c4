using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>
/// The deposit classes of a provider share one app, one after the other, as when they were a single class: one host
/// and one seeded database per provider instead of one per class.
/// </summary>
[CollectionDefinition(nameof(DepositsOnSqlite))]
public sealed class DepositsOnSqlite : ICollectionFixture<SqliteApp>;

[CollectionDefinition(nameof(DepositsOnPostgres))]
public sealed class DepositsOnPostgres : ICollectionFixture<PostgresApp>;

/// <summary>
/// What the deposit tests share: AgendaPro's API client, the published example, fresh files to deposit, and the check
/// that a refused deposit answers a French 4xx naming the faulty path and stores nothing.
/// </summary>
public abstract partial class DepositScenario(GuichetApp app)
{
    protected GuichetApp App { get; } = app;

    /// <summary>The demo vendor AgendaPro, by its API token.</summary>
    protected HttpClient AgendaPro => App.Bearer("demo-agendapro");

    protected static int Seed() => DepositFiles.NextSeed();

    protected async Task<JsonObject> Example() => await DepositFiles.Example(App.Anonymous());

    /// <summary>A deposit file of one advance of the example, with a reference and a client never deposited before.</summary>
    protected async Task<JsonObject> FreshFile()
    {
        var example = await Example();
        return DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed()));
    }

    /// <summary>The ZIP the example cites: its purchase order.</summary>
    protected static byte[] ExampleZip() => DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));

    protected async Task<int> TotalRequests() =>
        (await App.Bearer("demo-gestionnaire").GetJsonAsync("/api/v1/demandes?taille=1")).GetProperty("total").GetInt32();

    protected Task<int> StoredFiles() => App.StoredFilesAsync();

    /// <summary>Deposits and asserts a French 4xx with an error at the expected path, and that nothing was stored.</summary>
    protected async Task<JsonElement> Refused(HttpClient client, MultipartFormDataContent form, string expectedPath, string expectedWords, int status = 400)
    {
        var before = await TotalRequests();
        var files = await StoredFiles();
        var response = await client.PostAsync("/api/v1/depots", form);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await Json(response);
        var errors = body.GetProperty("erreurs").EnumerateArray().ToList();
        Assert.Contains(errors, e => e.GetProperty("chemin").GetString()!.StartsWith(expectedPath, StringComparison.Ordinal)
            && e.GetProperty("message").GetString()!.Contains(expectedWords, StringComparison.Ordinal));
        Assert.Equal(before, await TotalRequests());
        Assert.Equal(files, await StoredFiles());
        return body;
    }

    /// <summary>What stays of received forms: anything inside the upload and job folders.</summary>
    protected List<string> UploadLeftovers() => Directory.Exists(App.StoragePath)
        ? Directory.GetFileSystemEntries(App.StoragePath, "*", SearchOption.AllDirectories)
            .Where(p => p.Contains($"/{Guichet.Deposits.DepositUploads.UploadsFolder}/") || p.Contains("/_depots/")).ToList()
        : [];

    /// <summary>One part of a multipart form, with its content type.</summary>
    protected static ByteArrayContent Part(byte[] content, string type = "application/octet-stream")
    {
        var part = new ByteArrayContent(content);
        part.Headers.ContentType = new MediaTypeHeaderValue(type);
        return part;
    }

    /// <summary>A JSON deposit file as a form part.</summary>
    protected static ByteArrayContent JsonPart(JsonNode file) => Part(Encoding.UTF8.GetBytes(file.ToJsonString()), "application/json");

    /// <summary>A multipart body written by hand (CRLF line ends, boundary « XyZ »), e.g. cut off before its end.</summary>
    protected static ByteArrayContent RawForm(string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ReplaceLineEndings("\r\n")));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XyZ");
        return content;
    }

    /// <summary>The antiforgery token of a page's form, as a browser would send it back.</summary>
    protected static string AntiforgeryToken(string page) => Token().Match(page).Groups[1].Value;

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
