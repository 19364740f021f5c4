using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Guichet.Bench;

/// <summary>
/// An operation groupée « valider » over a queue filter of at least 20 000 requests (issue 16), started as a manager through
/// the API on a portal whose workers run it, polled to its end, then checked in SQL: every request validated exactly once.
/// On PostgreSQL, pg_stat_statements says where the time goes (statements per item, the costliest ones).
/// </summary>
public static class BulkBench
{
    /// <summary>The selection: every regulator request « en cours » (the generator makes them as often as it makes any).</summary>
    public static readonly Dictionary<string, string> Filter = new() { ["statut"] = "EN_COURS", ["dispositif"] = "SAS_REGULATEUR" };

    private const string SelectionSql = """SELECT count(*) FROM "Requests" WHERE "Status" = 'EN_COURS' AND "SchemeCode" = 'SAS_REGULATEUR'""";

    public static async Task RunAsync(Database db, BenchOptions o, Report report, string portalDll, Dictionary<string, string> env, string managerId, DateTime now)
    {
        var expected = (int)await db.ScalarAsync<long>(SelectionSql);
        if (expected == 0) throw new InvalidOperationException("Opération groupée : aucune demande EN_COURS du dispositif SAS_REGULATEUR dans la base.");
        if (expected != o.BulkRequests) Console.WriteLine($"  opération groupée : la sélection compte {expected:N0} demandes (--bulk {o.BulkRequests:N0} demandé ; --requests fixé à la main ?)");
        var token = "bench-bulk-" + Guid.NewGuid().ToString("N");
        await db.ExecuteAsync("INSERT INTO \"ApiTokens\" (\"UserId\", \"Name\", \"Hash\", \"Prefix\", \"CreatedAt\") VALUES (@u, 'bench-bulk', @h, 'bench-', @t)",
            ("u", managerId), ("h", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(token)))),
            ("t", db.IsPostgres ? now : now.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)));
        var statements = db.IsPostgres && await StatementsAvailableAsync(db);

        // The workers run the operation (BulkRunner) and send the validation e-mails to the pickup folder, as in production.
        var bulkEnv = new Dictionary<string, string>(env) { ["Workers__Enabled"] = "true" };
        await using var portal = await ServerProcess.StartAsync(portalDll, [], bulkEnv);
        using var api = Load.Client();
        api.BaseAddress = new Uri(portal.BaseUrl);
        api.Timeout = TimeSpan.FromMinutes(10);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (statements) await db.ExecuteAsync("SELECT pg_stat_statements_reset()");
        var commits = db.IsPostgres ? await CommitsAsync(db) : 0;
        var cpuBefore = CpuSeconds(portal.Pid);

        var watch = Stopwatch.StartNew();
        var body = JsonSerializer.Serialize(new { action = "valider", filtre = Filter, nombreAttendu = expected });
        using var started = await api.PostAsync("/api/v1/operations-groupees", new StringContent(body, Encoding.UTF8, "application/json"));
        var answer = await started.Content.ReadAsStringAsync();
        if (started.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"Opération groupée refusée : HTTP {(int)started.StatusCode} {answer}");
        var accepted = watch.Elapsed;
        var url = JsonDocument.Parse(answer).RootElement.GetProperty("url").GetString()!;
        Console.WriteLine($"  opération groupée acceptée en {accepted.TotalSeconds:F1} s ({expected:N0} demandes figées) : {url}");

        JsonElement state;
        var lastPrint = TimeSpan.Zero;
        while (true)
        {
            await Task.Delay(1000);
            using var poll = await api.GetAsync(url);
            var text = await poll.Content.ReadAsStringAsync();
            if (!poll.IsSuccessStatusCode) throw new InvalidOperationException($"Suivi de l'opération : HTTP {(int)poll.StatusCode} {text}");
            state = JsonDocument.Parse(text).RootElement.Clone();
            if (state.GetProperty("statut").GetString() == "TERMINEE") break;
            if (watch.Elapsed - lastPrint >= TimeSpan.FromSeconds(30))
            {
                lastPrint = watch.Elapsed;
                Console.WriteLine($"    {watch.Elapsed.TotalSeconds:F0} s : {state.GetProperty("traitees").GetInt32():N0} / {expected:N0} traitées");
            }
            if (watch.Elapsed > TimeSpan.FromMinutes(90)) throw new TimeoutException($"Opération groupée non terminée après 90 min : {text}");
        }
        var elapsed = watch.Elapsed;
        var cpu = CpuSeconds(portal.Pid) - cpuBefore;
        var commitsDone = db.IsPostgres ? await CommitsAsync(db) - commits : 0;
        var done = state.GetProperty("faites").GetInt32();
        var skipped = state.GetProperty("ignorees").GetInt32();
        var rate = expected / (elapsed - accepted).TotalSeconds;
        Console.WriteLine($"  opération groupée terminée en {elapsed.TotalSeconds:F1} s : {done:N0} faites, {skipped:N0} ignorées, {rate:F0} demandes/s après l'acceptation ; CPU du portail {cpu:F0} s");

        // The checks: the summary, then the database itself.
        var operationId = state.GetProperty("id").GetString()!;
        using var bilan = await api.GetAsync(url + "/bilan");
        var csv = await bilan.Content.ReadAsStringAsync();
        var csvDone = csv.Split('\n').Count(l => l.Contains(";faite;", StringComparison.Ordinal) || l.TrimEnd('\r').EndsWith(";faite", StringComparison.Ordinal));
        var op = ("op", (object?)(db.IsPostgres ? Guid.Parse(operationId) : operationId.ToUpperInvariant()));
        var itemsDone = await db.ScalarAsync<long>("""SELECT count(*) FROM "BulkOperationItems" WHERE "OperationId" = @op AND "Outcome" = 'Faite'""", op);
        var validated = await db.ScalarAsync<long>("""
            SELECT count(*) FROM "Requests" AS r WHERE r."Status" = 'VALIDEE'
            AND r."Id" IN (SELECT i."RequestId" FROM "BulkOperationItems" AS i WHERE i."OperationId" = @op)
            """, op);
        var entries = await db.ScalarAsync<long>("""
            SELECT count(*) FROM "History" AS h WHERE h."ToStatus" = 'VALIDEE' AND h."FromStatus" = 'EN_COURS'
            AND h."FundingRequestId" IN (SELECT i."RequestId" FROM "BulkOperationItems" AS i WHERE i."OperationId" = @op)
            """, op);
        var twice = await db.ScalarAsync<long>("""
            SELECT count(*) FROM (SELECT h."FundingRequestId" FROM "History" AS h WHERE h."ToStatus" = 'VALIDEE' AND h."FromStatus" = 'EN_COURS'
            AND h."FundingRequestId" IN (SELECT i."RequestId" FROM "BulkOperationItems" AS i WHERE i."OperationId" = @op)
            GROUP BY h."FundingRequestId" HAVING count(*) > 1) AS d
            """, op);
        var left = await db.ScalarAsync<long>(SelectionSql);
        var ok = done == expected && skipped == 0 && csvDone == expected && itemsDone == expected && validated == expected && entries == expected && twice == 0 && left == 0;
        var checks = $"bilan : {done:N0} faites, {skipped:N0} ignorées, {csvDone:N0} lignes « faite » dans le CSV ; SQL : {itemsDone:N0} éléments faits, "
            + $"{validated:N0} demandes VALIDEE, {entries:N0} entrées d'historique EN_COURS → VALIDEE, {twice:N0} demande validée deux fois, {left:N0} restée EN_COURS";
        Console.WriteLine($"  vérifications : {checks} → {(ok ? "exact" : "ÉCART")}");

        // Where the time goes: the pace along the run (items processed per second, from ProcessedAt), then the statements.
        var pace = await PaceAsync(db, op, expected);
        Console.WriteLine($"  rythme (éléments/s, par dixième de l'opération) : {string.Join(" ", pace.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))}");
        var statementText = "";
        if (statements)
        {
            var (calls, dbMs, top) = await TopStatementsAsync(db);
            Console.WriteLine($"  PostgreSQL : {calls:N0} instructions ({calls / (double)expected:F1} par demande), {dbMs / 1000:F1} s d'exécution en base, {commitsDone:N0} transactions validées");
            foreach (var t in top) Console.WriteLine($"    {t}");
            statementText = $" ; en base : {calls / (double)expected:F1} instructions et {commitsDone / (double)expected:F1} transactions par demande, {dbMs / 1000:F0} s d'exécution";
        }
        report.Add($"Opération groupée « valider » (API, filtre `statut=EN_COURS&dispositif=SAS_REGULATEUR`), tâches de fond, jusqu'à TERMINEE",
            $"{expected:N0} demandes", null, null, null, rate, elapsed.TotalMilliseconds,
            $"acceptation (sélection figée) : {accepted.TotalSeconds:F1} s ; CPU du portail : {cpu:F0} s sur {elapsed.TotalSeconds:F0} s{statementText} ; {checks}",
            null, "—", null, valueText: $"{elapsed.TotalSeconds:F0} s ({rate:F0} demandes/s ; rythme par dixième : {string.Join(" ", pace.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))}/s)");
        if (!ok) throw new InvalidOperationException($"Opération groupée : {checks}.");
    }

    /// <summary>Items processed per second in each tenth of the operation (read from their ProcessedAt): a slowdown as the run goes on shows here.</summary>
    private static async Task<List<double>> PaceAsync(Database db, (string, object?) op, int total)
    {
        var times = new List<DateTime>(total);
        await using (var c = await db.OpenAsync())
        await using (var cmd = Database.Command(c, """SELECT "ProcessedAt" FROM "BulkOperationItems" WHERE "OperationId" = @op AND "ProcessedAt" IS NOT NULL ORDER BY "ProcessedAt" """, op))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                times.Add(reader.GetValue(0) is DateTime t ? t : DateTime.Parse(reader.GetString(0), CultureInfo.InvariantCulture));
        var pace = new List<double>();
        var tenth = Math.Max(2, times.Count / 10);
        for (var i = 0; i + tenth <= times.Count; i += tenth)
        {
            var span = (times[i + tenth - 1] - times[i]).TotalSeconds;
            pace.Add(span > 0 ? (tenth - 1) / span : double.NaN);
        }
        return pace;
    }

    private static async Task<bool> StatementsAvailableAsync(Database db)
    {
        try
        {
            await db.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await db.ExecuteAsync("SELECT pg_stat_statements_reset()");
            return true;
        }
        catch (Npgsql.PostgresException e)
        {
            Console.WriteLine($"  pg_stat_statements indisponible ({e.MessageText}) : pas de détail par instruction.");
            return false;
        }
    }

    private static Task<long> CommitsAsync(Database db) =>
        db.ScalarAsync<long>("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");

    private static async Task<(long Calls, double Ms, List<string> Top)> TopStatementsAsync(Database db)
    {
        var calls = await db.ScalarAsync<long>("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())");
        var ms = await db.ScalarAsync<double>("SELECT COALESCE(sum(total_exec_time), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())");
        var top = await db.ListAsync("""
            SELECT to_char(calls, 'FM999999999') || ' appels, ' || to_char(total_exec_time / 1000, 'FM99990.0') || ' s, '
                || to_char(total_exec_time / GREATEST(calls, 1), 'FM990.000') || ' ms/appel : ' || left(regexp_replace(query, '\s+', ' ', 'g'), 160)
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY total_exec_time DESC LIMIT 15
            """);
        return (calls, ms, top);
    }

    /// <summary>User and system CPU time of a process so far, in seconds (/proc/pid/stat, clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
