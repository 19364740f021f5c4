using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Faults;

/// <summary>
/// What the fault tests share: a fresh database and folder per test, a large deposit, and the checks that matter after a
/// fault — the job's state, requests all or nothing, no stored file that no row refers to.
/// </summary>
/// <param name="provider">« Sqlite » (a file in the test's folder) or « Postgres » (a cluster of the test's own, which it may stop).</param>
/// <param name="s3">Attachments in a bucket of the test's own s3rver (Storage:Provider S3) instead of the folder.</param>
public abstract class FaultScenario(string provider, bool s3 = false) : IAsyncLifetime
{
    protected readonly string Folder = Path.Combine(Path.GetTempPath(), "guichet-faults-" + Guid.NewGuid().ToString("N")[..8]);
    protected Dictionary<string, string> Env { get; private set; } = [];
    protected string StoragePath => Path.Combine(Folder, "pieces");
    /// <summary>The PostgreSQL cluster of this test; null on SQLite.</summary>
    protected Guichet.Testing.PostgresCluster? Server { get; private set; }
    /// <summary>The S3 server of this test; null when the attachments are on disk.</summary>
    protected Guichet.Testing.S3Server? S3 { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Folder);
        string connectionString;
        if (provider == "Postgres")
        {
            // A cluster of its own: the test stops and restarts it.
            Server = await Guichet.Testing.PostgresCluster.StartAsync("guichet-faults-pg-", "-c max_connections=60 -c shared_buffers=16MB",
                "Pooling=true;Maximum Pool Size=20;Timeout=5;Command Timeout=30", "lancez ./test.sh, qui l'installe.");
            connectionString = await Server.CreateDatabaseAsync("guichet_faults");
        }
        else connectionString = $"Data Source={Path.Combine(Folder, "guichet.db")}";
        if (s3) S3 = await Guichet.Testing.S3Server.StartAsync("guichet-faults-s3-", "pieces", "lancez ./test.sh, qui l'installe");
        Env = PortalProcess.Environment(provider, connectionString, Folder, S3);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        if (S3 is not null) await S3.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }

    private DbConnection Connection(string connectionString) => provider == "Postgres"
        ? new Npgsql.NpgsqlConnection(connectionString) : new Microsoft.Data.Sqlite.SqliteConnection(connectionString);

    /// <summary>A deposit of <paramref name="count"/> advances, each citing its own file of the ZIP; references start with the returned prefix.</summary>
    protected static async Task<(MultipartFormDataContent Form, string Prefix)> LargeDepositAsync(PortalProcess portal, int count)
    {
        using var anonymous = new HttpClient { BaseAddress = portal.BaseAddress };
        var example = await DepositFiles.Example(anonymous);
        var template = example["demandes"]![0]!.AsObject();
        var prefix = "F" + Guid.NewGuid().ToString("N")[..8] + "-";
        var demandes = new JsonArray();
        var files = new List<(string, byte[])>(count);
        for (var i = 0; i < count; i++)
        {
            var d = template.DeepClone().AsObject();
            d["referenceFournisseur"] = $"{prefix}{i:D5}";
            d["client"]!["identifiant"] = (50000000000L + DepositFiles.NextSeed()).ToString(System.Globalization.CultureInfo.InvariantCulture);
            d["piecesJointes"]![0]!["fichier"] = $"bc/{i:D5}.pdf";
            demandes.Add(d);
            files.Add(($"bc/{i:D5}.pdf", DepositFiles.Pdf));
        }
        example["demandes"] = demandes;
        return (DepositFiles.Form(example, DepositFiles.Zip([.. files])), prefix);
    }

    /// <summary>
    /// <paramref name="count"/> advances of AgendaPro deposited through the API and processed (« TERMINE »); returns a query
    /// of their ids (<c>SELECT "Id" FROM "Requests" WHERE …</c>) and their numbers.
    /// </summary>
    protected async Task<(string Ids, List<string> Numbers)> DepositedAsync(PortalProcess portal, int count)
    {
        var (form, prefix) = await LargeDepositAsync(portal, count);
        var deposit = await PostInBackgroundAsync(portal.Client("demo-agendapro"), form);
        Assert.Equal("TERMINE", Statut(await PollAsync(portal.Client("demo-agendapro"), deposit, s => Statut(s) != "EN_TRAITEMENT", 120, "dépôt", 200)));
        return ($"""SELECT "Id" FROM "Requests" WHERE "VendorReference" LIKE '{prefix}%'""",
            await ScalarsAsync($"""SELECT "Number" FROM "Requests" WHERE "VendorReference" LIKE '{prefix}%'"""));
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <paramref name="seconds"/>, naming what was awaited and adding <paramref name="log"/>.</summary>
    protected static async Task WaitForAsync(Func<Task<bool>> condition, int seconds, string what, Func<string>? log = null)
    {
        var bound = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > bound) Assert.Fail($"{what} : pas observé en {seconds} s.{(log is null ? "" : " Sortie : " + log())}");
            await Task.Delay(50);
        }
    }

    protected static Task WaitForAsync(Func<bool> condition, int seconds, string what) => WaitForAsync(() => Task.FromResult(condition()), seconds, what);

    /// <summary>A relay that takes 300 ms per message: about 13 messages a second over 4 connections, so a kill lands mid-run.</summary>
    protected static async Task<SmtpCatcher> SlowRelayAsync()
    {
        var relay = await SmtpCatcher.StartAsync();
        relay.DataDelay = TimeSpan.FromMilliseconds(300);
        return relay;
    }

    /// <summary>E-mails through <paramref name="relay"/> over <paramref name="connections"/> connections, leases of 3 s (what a dead process held is free again 3 s later).</summary>
    protected void SendThrough(SmtpCatcher relay, int connections)
    {
        Env["Email__Smtp__Host"] = "127.0.0.1";
        Env["Email__Smtp__Port"] = relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Env["Email__Smtp__Security"] = "None";
        Env["Email__Dispatch__Connections"] = connections.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Env["Email__Dispatch__LeaseSeconds"] = "3";
    }

    /// <summary>
    /// Each of <paramref name="messageIds"/> reached the relay, nothing else did, and a second copy of at most one message
    /// per connection (what a killed process was handing over), under the same Message-ID.
    /// </summary>
    protected static void AssertEachReceivedResentAtMostOncePerConnection(SmtpCatcher relay, IReadOnlyCollection<string> messageIds, int connections)
    {
        var received = messageIds.ToDictionary(id => id, id => relay.Received.Count(m => "<" + m.MessageId + ">" == id || m.MessageId == id));
        var lost = received.Where(r => r.Value == 0).Select(r => r.Key).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} e-mail(s) jamais reçus par le relais : {string.Join(", ", lost.Take(5))}");
        Assert.Equal(relay.Received.Count, received.Values.Sum()); // nothing else, no copy under another Message-ID
        var resent = received.Sum(r => r.Value - 1);
        Assert.True(resent <= connections, $"{resent} envoi(s) en double pour {connections} connexions : au plus un par connexion attendu");
    }

    /// <summary>Posts a deposit to run in the background; returns its URL.</summary>
    protected static async Task<string> PostInBackgroundAsync(HttpClient client, MultipartFormDataContent form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/depots") { Content = form };
        request.Headers.Add("Prefer", "respond-async");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await Json(response)).GetProperty("url").GetString()!;
    }

    /// <summary>Polls the job until <paramref name="until"/> holds of it (statut, traitees, total); fails after <paramref name="seconds"/>.</summary>
    protected static async Task<JsonElement> PollAsync(HttpClient client, string url, Func<JsonElement, bool> until, int seconds, string what, int delayMs = 20)
    {
        var bound = DateTime.UtcNow.AddSeconds(seconds);
        JsonElement status = default;
        while (DateTime.UtcNow < bound)
        {
            try
            {
                var response = await client.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    status = await Json(response);
                    if (until(status)) return status;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(delayMs);
        }
        Assert.Fail($"{what} : pas observé en {seconds} s ; dernier état : {(status.ValueKind == JsonValueKind.Undefined ? "aucun" : status.ToString())}");
        return status;
    }

    protected static string Statut(JsonElement s) => s.GetProperty("statut").GetString()!;
    protected static int Done(JsonElement s) => s.GetProperty("traitees").GetInt32();
    protected static int Total(JsonElement s) => s.GetProperty("total").GetInt32();

    /// <summary>The keys of the files in the store (not the working folders): on disk, or the objects of the bucket.</summary>
    protected async Task<List<string>> StoredKeysAsync()
    {
        if (S3 is not null)
            return (await S3.ObjectsAsync()).Select(o => o.Key).Where(k => k.Length == 32 && k.All(char.IsAsciiHexDigitLower)).ToList();
        return Directory.Exists(StoragePath)
            ? Directory.GetDirectories(StoragePath).Where(d => Path.GetFileName(d).Length == 2)
                .SelectMany(Directory.GetFiles).Select(f => Path.GetFileName(f)).ToList()
            : [];
    }

    /// <summary>The deposits' staged copies left in the bucket (none on disk, where the job folders are the copies).</summary>
    protected async Task<List<string>> StagedObjectsAsync() =>
        S3 is null ? [] : (await S3.ObjectsAsync("_depots/")).Select(o => o.Key).ToList();

    protected async Task<HashSet<string>> ReferencedKeysAsync()
    {
        await using var conn = Connection(Env["ConnectionStrings__Guichet"]);
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT \"StorageKey\" FROM \"Documents\"";
        var keys = new HashSet<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) keys.Add(reader.GetString(0));
        return keys;
    }

    /// <summary>The first column of a query's rows, as text.</summary>
    protected async Task<List<string>> ScalarsAsync(string sql)
    {
        await using var conn = Connection(Env["ConnectionStrings__Guichet"]);
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var values = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        return values;
    }

    /// <summary>
    /// Every open round's J+10 and J+20 put off by 30 days. A test whose portals run the deadline loop on the real clock
    /// would otherwise see the demo's « J+9 » and « J+19 » rounds fall due, and their e-mails go out, if it spans a Paris
    /// midnight.
    /// </summary>
    protected async Task PutOffOpenRoundsAsync()
    {
        await using var conn = Connection(Env["ConnectionStrings__Guichet"]);
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = """UPDATE "Rounds" SET "ReminderDueAt" = @later, "ClosingDueAt" = @later WHERE "ClosedAt" IS NULL""";
        var later = cmd.CreateParameter();
        later.ParameterName = "later";
        later.Value = DateTime.SpecifyKind(DateTime.UtcNow.AddDays(30), DateTimeKind.Utc);
        cmd.Parameters.Add(later);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A query's single number.</summary>
    protected async Task<long> CountAsync(string sql) => long.Parse((await ScalarsAsync(sql))[0], System.Globalization.CultureInfo.InvariantCulture);

    protected async Task<long> RequestsWithPrefixAsync(string prefix)
    {
        await using var conn = Connection(Env["ConnectionStrings__Guichet"]);
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM \"Requests\" WHERE \"VendorReference\" LIKE '{prefix}%'";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Waits until every stored file is referenced by a row and no staged copy is left in the bucket (the purge of the
    /// running portal removed the rest); returns what is left.
    /// </summary>
    protected async Task<List<string>> OrphansAfterPurgeAsync(int seconds)
    {
        var bound = DateTime.UtcNow.AddSeconds(seconds);
        List<string> orphans;
        do
        {
            var referenced = await ReferencedKeysAsync();
            orphans = [.. (await StoredKeysAsync()).Where(k => !referenced.Contains(k)), .. await StagedObjectsAsync()];
            if (orphans.Count == 0) break;
            await Task.Delay(500);
        } while (DateTime.UtcNow < bound);
        return orphans;
    }

    /// <summary>How many times the deposit job at <paramref name="url"/> (…/depots/{id}) was resumed after its instance died.</summary>
    protected async Task<long> TakeoversAsync(string url)
    {
        var id = Guid.Parse(url.TrimEnd('/').Split('/')[^1]);
        await using var conn = Connection(Env["ConnectionStrings__Guichet"]);
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        // Guids are stored as text on SQLite (upper case) and as uuid on PostgreSQL.
        cmd.CommandText = provider == "Postgres"
            ? $"SELECT \"Takeovers\" FROM \"DepositJobs\" WHERE \"Id\" = '{id}'"
            : $"SELECT \"Takeovers\" FROM \"DepositJobs\" WHERE upper(\"Id\") = '{id.ToString().ToUpperInvariant()}'";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    protected List<string> JobFolders() => Directory.Exists(Path.Combine(StoragePath, "_depots"))
        ? Directory.GetDirectories(Path.Combine(StoragePath, "_depots")).ToList() : [];

    /// <summary>The counters by status still agree with the requests (the verb <c>recount</c> finds nothing to fix).</summary>
    protected async Task AssertCountersExactAsync()
    {
        var (code, output) = await PortalProcess.VerbAsync(Env, "recount");
        Assert.True(code == 0, output);
        Assert.Contains("exacts", output);
    }
}

