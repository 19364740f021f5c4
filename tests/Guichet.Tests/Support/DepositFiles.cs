using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Guichet.Tests.Support;

/// <summary>Builds deposit inputs: the published example as a mutable JSON tree, ZIPs of small real files, multipart bodies.</summary>
public static class DepositFiles
{
    public static readonly byte[] Pdf = Guichet.Demo.DemoPdf.Create("Piece de test");
    public static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];

    public static async Task<JsonObject> Example(HttpClient client) =>
        JsonNode.Parse(await client.GetStringAsync("/format/exemple.json"))!.AsObject();

    private static int _seed = 1_000_000;

    /// <summary>A number never handed out before in this test run, for a fresh client of <see cref="FreshAdvance"/>.</summary>
    public static int NextSeed() => Interlocked.Increment(ref _seed);

    /// <summary>A request of the example, with a fresh reference and client so that it can be deposited again.</summary>
    public static JsonObject FreshAdvance(JsonObject example, int seed)
    {
        var d = example["demandes"]![0]!.DeepClone().AsObject();
        d["referenceFournisseur"] = $"T-{Guid.NewGuid():N}"[..30];
        d["client"]!["identifiant"] = (30000000000L + seed).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return d;
    }

    public static JsonObject With(JsonObject example, params JsonObject[] demandes)
    {
        var copy = example.DeepClone().AsObject();
        copy["demandes"] = new JsonArray(demandes.Select(d => (JsonNode)d.DeepClone()).ToArray());
        return copy;
    }

    public static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                s.Write(content);
            }
        return ms.ToArray();
    }

    public static MultipartFormDataContent Form(string json, byte[]? zip = null, string jsonName = "demandes.json") =>
        Form(Encoding.UTF8.GetBytes(json), zip, jsonName);

    /// <summary>The same with the JSON file's exact bytes (a byte order mark, a wrong encoding…).</summary>
    public static MultipartFormDataContent Form(byte[] json, byte[]? zip = null, string jsonName = "demandes.json")
    {
        var form = new MultipartFormDataContent();
        var j = new ByteArrayContent(json);
        j.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        form.Add(j, "json", jsonName);
        if (zip is not null)
        {
            var z = new ByteArrayContent(zip);
            z.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            form.Add(z, "zip", "pieces.zip");
        }
        return form;
    }

    public static MultipartFormDataContent Form(JsonNode json, byte[]? zip = null) => Form(json.ToJsonString(), zip);

    /// <summary>The form that adds one supporting document to a request: its type and its file.</summary>
    public static MultipartFormDataContent Piece(string type, byte[] content, string name) =>
        new() { { new StringContent(type), "type" }, { new ByteArrayContent(content), "fichier", name } };
}
