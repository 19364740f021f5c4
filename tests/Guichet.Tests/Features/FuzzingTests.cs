using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace Guichet.Tests.Features;

/// <summary>The portal with its rate limits off: the fuzzer sends thousands of requests a minute as one vendor.</summary>
public abstract class FuzzApp : GuichetApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("RateLimits:Enabled", "false");
        // Unexpected errors are what the fuzzer looks for; its failure message says which case, the log is noise here.
        builder.UseSetting("Logging:LogLevel:Guichet.Errors", "None");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Routing", "Error"); // TestServer has no request size feature: one warning per upload
    }
}

/// <summary>
/// The SQLite file in memory-backed /dev/shm when the machine has it: thousands of deposits and drafts commit there
/// without waiting for the disk, which is not what this test is about.
/// </summary>
public sealed class FuzzSqliteApp : FuzzApp
{
    private readonly string? _memoryFolder = Directory.Exists("/dev/shm") ? Path.Combine("/dev/shm", "guichet-fuzz-" + Guid.NewGuid().ToString("N")[..8]) : null;

    protected override string Provider => "Sqlite";

    protected override Task<string> ConnectionStringAsync()
    {
        if (_memoryFolder is null) return SqliteFileAsync();
        Directory.CreateDirectory(_memoryFolder);
        return Task.FromResult($"Data Source={Path.Combine(_memoryFolder, "guichet.db")}");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_memoryFolder is not null)
            try { Directory.Delete(_memoryFolder, recursive: true); } catch (IOException) { }
    }
}

public sealed class FuzzPostgresApp(PostgresFixture postgres) : FuzzApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
}

/// <summary>
/// Random and mutated documents thrown at the simulator, the deposit and the draft modification: never a 5xx, and every
/// 4xx is French Problem Details. The seed comes from the clock (or <c>GUICHET_FUZZ_SEED</c>) and is in every failure
/// message; <c>GUICHET_FUZZ_CASE</c> replays a single case of that seed.
/// </summary>
[Trait("Category", "Fuzz")]
public abstract class FuzzingTests(GuichetApp app)
{
    /// <summary>How many documents in all, every run (10 000 on SQLite, 1 000 on PostgreSQL).</summary>
    protected abstract int Cases { get; }

    private const int Workers = 4;
    private const int MaxReported = 10;

    [Fact]
    public async Task Random_and_mutated_documents_never_get_a_5xx_and_every_4xx_is_french_problem_details()
    {
        var seed = Environment.GetEnvironmentVariable("GUICHET_FUZZ_SEED") is { Length: > 0 } forced
            ? int.Parse(forced, CultureInfo.InvariantCulture) : (int)(DateTime.UtcNow.Ticks & int.MaxValue);
        var only = Environment.GetEnvironmentVariable("GUICHET_FUZZ_CASE") is { Length: > 0 } one ? int.Parse(one, CultureInfo.InvariantCulture) : (int?)null;
        var fuzzer = new Fuzzer(await DepositFiles.Example(app.Anonymous()), await app.NewAsync(RequestStatus.AModifier));
        var vendor = app.Bearer("demo-agendapro");

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var next = only ?? 0;
        var last = only ?? Cases - 1;
        var counts = new int[6];
        async Task Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref next) - 1) <= last && failures.Count < MaxReported)
            {
                var c = fuzzer.Case(seed, i);
                HttpResponseMessage response;
                try
                {
                    var request = c.Request();
                    // A replayed case shows its whole request, to be copied into a regression test.
                    if (only is not null)
                        TestContext.Current.TestOutputHelper?.WriteLine($"{request.Method} {request.RequestUri} ({request.Content!.Headers.ContentType}), corps en base64 : "
                            + Convert.ToBase64String(await request.Content.ReadAsByteArrayAsync()));
                    response = await vendor.SendAsync(request);
                }
                catch (Exception e)
                {
                    failures.Enqueue(c.Describe(seed, i, $"exception côté client ou serveur : {e.GetType().Name} {e.Message}"));
                    continue;
                }
                Interlocked.Increment(ref counts[Math.Min((int)response.StatusCode / 100, 5)]);
                if (await Check(response) is { } problem) failures.Enqueue(c.Describe(seed, i, problem));
                response.Dispose();
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(Work)));

        Assert.True(failures.IsEmpty, $"Fuzzing (graine {seed}, rejouer avec GUICHET_FUZZ_SEED={seed}) : {failures.Count} cas en échec :\n\n"
            + string.Join("\n\n", failures.Take(MaxReported)));
        // The run exercised what it should: refusals and acceptances, not only one answer.
        if (only is null)
        {
            Assert.True(counts[2] > 0 && counts[4] > 0, $"Graine {seed} : réponses 2xx {counts[2]}, 4xx {counts[4]}.");
            Assert.Equal(Cases, counts.Sum());
        }
    }

    /// <summary>Null when the answer is acceptable; otherwise what is wrong with it.</summary>
    private static async Task<string?> Check(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        string Excerpt() => text.Length > 400 ? text[..400] + "…" : text;
        if (status >= 500) return $"réponse {status} : {Excerpt()}";
        if (status is >= 400 and < 500)
        {
            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                return $"réponse {status} en « {response.Content.Headers.ContentType} » au lieu de application/problem+json : {Excerpt()}";
            try
            {
                var title = JsonDocument.Parse(text).RootElement.GetProperty("title").GetString();
                if (title is null || !FrenchTitles(status).Contains(title)) return $"réponse {status} au titre inattendu « {title} » : {Excerpt()}";
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return $"réponse {status} sans Problem Details lisible : {Excerpt()}";
            }
        }
        return null;
    }

    /// <summary>The French titles a 4xx of these endpoints may carry.</summary>
    private static HashSet<string> FrenchTitles(int status) =>
        [Problems.TitleFor(status), "Dépôt refusé", "Dépôt refusé : aucune demande n'a été enregistrée"];
}

/// <summary>One generated request: where it goes, its document, and how it was made (for the failure message).</summary>
internal sealed record FuzzCase(string Target, string How, byte[] Body, Func<byte[], HttpRequestMessage> Build)
{
    public HttpRequestMessage Request() => Build(Body);

    public string Describe(int seed, int index, string problem)
    {
        var shown = Body.Length > 300 ? Body[..300] : Body;
        return $"cas {index} (GUICHET_FUZZ_SEED={seed} GUICHET_FUZZ_CASE={index}) — {Target} — {How} — {Body.Length} octets\n"
            + $"  {problem}\n  début du document (base64) : {Convert.ToBase64String(shown)}";
    }
}

/// <summary>
/// Makes the documents: valid ones first (the published example, a fresh advance, a draft edit), then mutated in the tree
/// (delete, duplicate, retype, extreme numbers, deep nesting, long strings, control characters, unpaired surrogates, extra
/// properties) and in the bytes (invalid UTF-8, BOMs, truncation, flipped bytes), plus purely random bytes. Everything is
/// drawn from the case's own generator, so a case replays from its seed and index.
/// </summary>
internal sealed class Fuzzer(JsonObject example, string modifiable)
{
    // A marker for text written as is (a number out of range, an escape, a deep nesting) where a JSON value stands.
    private const string Raw = "\u0001RAW:";

    private readonly JsonNode[] _wrongTypes = [JsonValue.Create("texte")!, JsonValue.Create(0)!, JsonValue.Create(true)!, new JsonObject(), new JsonArray()];

    public FuzzCase Case(int seed, int index)
    {
        var rng = new Random(unchecked(seed * 1_000_003 + index));
        var target = (index % 10) switch { < 5 => "simulations", < 8 => "depots", _ => "modification" };
        var how = new List<string>();
        byte[] body;
        if (rng.Next(20) == 0)
        {
            body = new byte[rng.Next(0, 2048)];
            rng.NextBytes(body);
            how.Add("octets aléatoires");
        }
        else
        {
            var doc = target == "modification" ? Draft(rng) : DepositFile(rng, index);
            var dupes = new HashSet<JsonObject>(ReferenceEqualityComparer.Instance);
            if (rng.Next(6) != 0)
                for (var n = rng.Next(1, 4); n > 0; n--) how.Add(MutateTree(rng, doc, dupes));
            else how.Add("document valide");
            body = Encoding.UTF8.GetBytes(Write(doc, dupes));
            if (rng.Next(4) == 0) how.Add(MutateBytes(rng, ref body));
        }
        var description = string.Join(", ", how);
        if (target == "modification")
        {
            var number = rng.Next(20) == 0 ? RandomNumber(rng) : modifiable;
            var type = rng.Next(10) switch { 0 => "text/plain", 1 => null, _ => "application/json" };
            return new FuzzCase($"PATCH /api/v1/demandes/{number}/modification", $"{description}, type {type ?? "absent"}", body, b => Patch(number, b, type));
        }
        return target switch
        {
            _ => new FuzzCase($"POST /api/v1/{target}", description + FormShape(rng, out var shape), body, b => Post(target, b, shape)),
        };
    }

    private static string RandomNumber(Random rng) => rng.Next(3) switch
    {
        0 => "SAS-A-2026-" + rng.Next(0, 999999).ToString("D6", CultureInfo.InvariantCulture),
        1 => Uri.EscapeDataString(RandomText(rng, rng.Next(1, 60))),
        _ => new string('9', rng.Next(1, 300)),
    };

    private static HttpRequestMessage Patch(string number, byte[] body, string? type)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = type is null ? null : new MediaTypeHeaderValue(type);
        return new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/demandes/{number}/modification") { Content = content };
    }

    /// <summary>How the form around the document is made: mostly a good form, sometimes a broken one.</summary>
    private static string FormShape(Random rng, out int shape)
    {
        shape = rng.Next(40) switch { 0 => 1, 1 => 2, 2 => 3, 3 => 4, 4 => 5, 5 => 6, < 12 => 7, _ => 0 };
        return shape switch
        {
            1 => ", formulaire sans champ « json »",
            2 => ", fichier nommé .txt",
            3 => ", ZIP d'octets aléatoires",
            4 => ", corps multipart coupé",
            5 => ", document envoyé en JSON brut (pas un formulaire)",
            6 => ", champ « json » en texte et non en fichier",
            7 => ", avec le ZIP de l'exemple",
            _ => "",
        };
    }

    private static readonly byte[] ExampleZip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));

    private static HttpRequestMessage Post(string target, byte[] body, int shape)
    {
        var url = $"/api/v1/{target}";
        HttpContent content;
        switch (shape)
        {
            case 1:
                content = new MultipartFormDataContent { { new ByteArrayContent(body), "autre", "demandes.json" } };
                break;
            case 2:
                content = DepositFiles.Form(body, jsonName: "demandes.txt");
                break;
            case 3:
                content = DepositFiles.Form(body, zip: body.Length > 0 ? body[..Math.Min(body.Length, 512)] : [0x50, 0x4B]);
                break;
            case 4:
                var form = DepositFiles.Form(body);
                var whole = form.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                var cut = new ByteArrayContent(whole[..(whole.Length / 2)]);
                cut.Headers.ContentType = form.Headers.ContentType;
                content = cut;
                break;
            case 5:
                content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                break;
            case 6:
                content = new MultipartFormDataContent { { new ByteArrayContent(body), "json" } };
                break;
            case 7:
                content = DepositFiles.Form(body, ExampleZip);
                break;
            default:
                content = DepositFiles.Form(body);
                break;
        }
        return new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
    }

    private JsonObject DepositFile(Random rng, int index)
    {
        var file = example.DeepClone().AsObject();
        var demandes = new JsonArray();
        for (var n = rng.Next(4) == 0 ? rng.Next(2, 5) : 1; n > 0; n--)
        {
            var d = example["demandes"]![0]!.DeepClone().AsObject();
            d["referenceFournisseur"] = $"FZ-{index}-{n}-{rng.Next():x}";
            d["client"]!["identifiant"] = (50_000_000_000L + index * 8L + n).ToString(CultureInfo.InvariantCulture);
            if (rng.Next(5) == 0)
            {
                d["type"] = "SOLDE";
                d["montantDemande"] = 700m;
                d["dateMiseEnService"] = "2026-10-15";
                d["numeroDemandeAvance"] = "SAS-A-2026-" + rng.Next(1, 60).ToString("D6", CultureInfo.InvariantCulture);
                d["piecesJointes"] = new JsonArray(new JsonObject { ["type"] = "FACTURE", ["fichier"] = "bc-2026-001.pdf" });
            }
            demandes.Add(d);
        }
        file["demandes"] = demandes;
        return file;
    }

    private static JsonObject Draft(Random rng) => new()
    {
        ["informations"] = new JsonObject
        {
            ["contactSupport"] = rng.Next(3) switch { 0 => "support@agendapro.test", 1 => "01 23 45 67 89", _ => "https://support.agendapro.test/sas" },
        },
    };

    /// <summary>Every node of the tree with its parent (null for the root), in document order.</summary>
    private static List<(JsonNode? Parent, JsonNode Node)> Nodes(JsonNode root)
    {
        var all = new List<(JsonNode?, JsonNode)>();
        void Walk(JsonNode? parent, JsonNode? node)
        {
            if (node is null) return;
            all.Add((parent, node));
            if (node is JsonObject o) foreach (var p in o.ToList()) Walk(o, p.Value);
            else if (node is JsonArray a) foreach (var item in a.ToList()) Walk(a, item);
        }
        Walk(null, root);
        return all;
    }

    /// <summary>Puts <paramref name="value"/> where <paramref name="node"/> stands in its parent.</summary>
    private static void Replace(JsonNode? parent, JsonNode node, JsonNode? value)
    {
        if (parent is JsonObject o) o[node.GetPropertyName()] = value;
        else if (parent is JsonArray a) a[node.GetElementIndex()] = value;
    }

    private string MutateTree(Random rng, JsonObject root, HashSet<JsonObject> dupes)
    {
        var nodes = Nodes(root);
        var (parent, node) = nodes[rng.Next(nodes.Count)];
        var at = node.GetPath();
        switch (rng.Next(12))
        {
            case 0:
                if (parent is JsonObject po) po.Remove(node.GetPropertyName());
                else if (parent is JsonArray pa) pa.RemoveAt(node.GetElementIndex());
                return $"supprimé {at}";
            case 1:
                if (parent is JsonObject dup) dupes.Add(dup);
                else if (parent is JsonArray arr) arr.Add(node.DeepClone());
                return $"doublé {at}";
            case 2:
                Replace(parent, node, _wrongTypes[rng.Next(_wrongTypes.Length)].DeepClone());
                return $"type changé en {at}";
            case 3:
                Replace(parent, node, null);
                return $"null en {at}";
            case 4:
                var number = new[] { "1e400", "-1e400", "-1", "0", "-0", "1e-400", "99999999999999999999999999999999", "-300.001", "300.005", "1E+2", "0.1e1", "2147483648", "NaN", "Infinity", "0x10", "01" }[rng.Next(16)];
                Replace(parent, node, JsonValue.Create(Raw + number));
                return $"nombre {number} en {at}";
            case 5:
                var depth = new[] { 15, 17, 64, 1000, 100_000 }[rng.Next(5)];
                Replace(parent, node, JsonValue.Create(Raw + new string('[', depth) + new string(']', depth)));
                return $"imbrication {depth} en {at}";
            case 6:
                var length = new[] { 0, 1, 101, 501, 10_000, 100_000 }[rng.Next(6)];
                Replace(parent, node, JsonValue.Create(RandomText(rng, length)));
                return $"chaîne de {length} caractères en {at}";
            case 7:
                var control = new[] { "\u0000", "\u0007", "\t", "\n", "\u001f", "\u007f", "\u0085", "\u200b", "\u2028" }[rng.Next(9)];
                Replace(parent, node, JsonValue.Create("AGP" + control + "1"));
                return $"caractère de contrôle U+{(int)control[0]:X4} en {at}";
            case 8:
                var escape = new[] { "\"\\uD800\"", "\"a\\uDC00b\"", "\"\\uDBFF\\u0041\"", "\"\\u0000\"", "\"\\x41\"", "\"\\", "\"\\uZZZZ\"" }[rng.Next(7)];
                Replace(parent, node, JsonValue.Create(Raw + escape));
                return $"échappement {escape} en {at}";
            case 9:
                if (node is JsonObject target) target[RandomText(rng, rng.Next(1, 80))] = _wrongTypes[rng.Next(_wrongTypes.Length)].DeepClone();
                else if (parent is JsonObject sibling) sibling["x" + rng.Next()] = JsonValue.Create(1);
                return $"propriété en plus près de {at}";
            case 10:
                Replace(parent, node, JsonValue.Create(new[] { "AVANCE", "SOLDE", "SAS_REGULATEUR", "FINESS", "SIRET", "2026-02-30", "2099-01-01", "1900-01-01",
                    "90000002700012", "SAS-REG-2025-0001", "avance", " AVANCE ", "", " " }[rng.Next(14)]));
                return $"valeur voisine en {at}";
            default:
                // Copies of a large node are capped at about 200 KB, so that one case never costs the run.
                var count = Math.Min(rng.Next(1, 200), Math.Max(1, 200_000 / (Write(node, dupes).Length + 1)));
                var items = new JsonArray();
                for (var k = 0; k < count; k++) items.Add(node.DeepClone());
                Replace(parent, node, items);
                return $"liste de {count} copies en {at}";
        }
    }

    private static string MutateBytes(Random rng, ref byte[] body)
    {
        switch (rng.Next(6))
        {
            case 0:
                var invalid = new[] { new byte[] { 0xC3, 0x28 }, [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE9] }[rng.Next(6)];
                var at = rng.Next(body.Length + 1);
                body = [.. body[..at], .. invalid, .. body[at..]];
                return $"UTF-8 invalide ({Convert.ToHexString(invalid)}) à l'octet {at}";
            case 1:
                var bom = new[] { new byte[] { 0xEF, 0xBB, 0xBF }, [0xFF, 0xFE], [0xFE, 0xFF], [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] }[rng.Next(4)];
                body = [.. bom, .. body];
                return $"BOM {Convert.ToHexString(bom)}";
            case 2:
                var length = rng.Next(body.Length + 1);
                body = body[..length];
                return $"coupé à {length} octets";
            case 3:
                for (var n = rng.Next(1, 8); n > 0 && body.Length > 0; n--) body[rng.Next(body.Length)] = (byte)rng.Next(256);
                return "octets changés au hasard";
            case 4:
                body = Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(body));
                return "encodé en UTF-16";
            default:
                body = Encoding.Latin1.GetBytes(Encoding.UTF8.GetString(body).Replace("Dr", "Dr Hélène Müller", StringComparison.Ordinal));
                return "encodé en Latin-1";
        }
    }

    private static string RandomText(Random rng, int length)
    {
        const string alphabet = "abcXYZ019 -_./@:éèçàüœ«»’€\"\\'<>&%{}[]🙂中文\u00a0\u202f";
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = alphabet[rng.Next(alphabet.Length)];
        return new string(chars);
    }

    /// <summary>Writes the tree as JSON, with the raw markers as is and the first property of the marked objects twice.</summary>
    private static string Write(JsonNode? node, HashSet<JsonObject> dupes)
    {
        var sb = new StringBuilder();
        void W(JsonNode? n)
        {
            switch (n)
            {
                case null: sb.Append("null"); break;
                case JsonObject o:
                    sb.Append('{');
                    var props = o.ToList();
                    if (dupes.Contains(o) && props.Count > 0) props.Insert(0, props[0]);
                    for (var i = 0; i < props.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        sb.Append(JsonSerializer.Serialize(props[i].Key)).Append(':');
                        W(props[i].Value);
                    }
                    sb.Append('}');
                    break;
                case JsonArray a:
                    sb.Append('[');
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        W(a[i]);
                    }
                    sb.Append(']');
                    break;
                case JsonValue v when v.TryGetValue<string>(out var s) && s.StartsWith(Raw, StringComparison.Ordinal):
                    sb.Append(s.AsSpan(Raw.Length));
                    break;
                default:
                    sb.Append(n.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                    break;
            }
        }
        W(node);
        return sb.ToString();
    }
}

public sealed class FuzzingTestsOnSqlite(FuzzSqliteApp app) : FuzzingTests(app), IClassFixture<FuzzSqliteApp>
{
    protected override int Cases => 10_000;
}

/// <summary>A smaller share on PostgreSQL (1 000 documents): the same code paths, with the other provider's errors.</summary>
public sealed class FuzzingTestsOnPostgres(FuzzPostgresApp app) : FuzzingTests(app), IClassFixture<FuzzPostgresApp>
{
    protected override int Cases => 1_000;
}
