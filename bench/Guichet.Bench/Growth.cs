using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Guichet.Testing;

namespace Guichet.Bench;

/// <summary>
/// How cost grows with the data (issue 17): the same reads, the CSV export and the sweep measured at several sizes in one run
/// (10 000, 100 000 and 1 000 000 requests by default), each size in a fresh database of the same cluster, the big vendor
/// and the due rounds at 1 % of the size. Writes a table with the growth factors between sizes into BENCHMARKS.md and a
/// plot (SVG, drawn by <see cref="GrowthPlot"/>) into docs/bench/.
/// </summary>
public static class Growth
{
    /// <summary>One line of the table: a value per size (p95 for pages, wall time for batches) beside its bare baseline.</summary>
    public sealed class Measure(string name, bool batch, string baseline)
    {
        public string Name { get; } = name;
        /// <summary>A batch (export, sweep) should grow linearly with the size; a page should stay flat.</summary>
        public bool Batch { get; } = batch;
        public string Baseline { get; } = baseline;
        public Dictionary<int, (double Value, double? P50, double? Bare)> Points { get; } = [];
    }

    // The queue's filters (Instruction/QueueQuery.cs): each alone, then the bench's usual combinations, then the flags.
    private static string[] QueueFilters(DateOnly today) =>
    [
        "",
        "statut=EN_COURS",
        "dispositif=SAS_REGULATEUR",
        "type=SOLDE",
        Exports.TypicalFilter,
        $"fournisseur={DataGenerator.BigVendorId}&deposeDu={today.AddDays(-120):yyyy-MM-dd}&deposeAu={today.AddDays(-60):yyyy-MM-dd}",
        "q=R-0000042",
        "delaiDepasse=1",
        "modifiee=1",
        "attribution=aucune",
        "attribution=moi",
    ];

    public static async Task<int> RunAsync(BenchOptions o, int[] sizes, string repo, string portalDll, string benchDll)
    {
        var work = Path.Combine(Path.GetTempPath(), "guichet-growth-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var total = Stopwatch.StartNew();
        var loadAtStart = LoadAverage();
        // Shorter measures than a one-size run: three sizes and about thirty measures each.
        Load.WarmupTime = TimeSpan.FromSeconds(Math.Min(o.WarmupTime.TotalSeconds, 2));
        Load.WarmupMax = Load.FirstWarmupMax = Load.WarmupTime; // many sizes and reads: the fixed short warm-up, as before
        Load.FirstServerWarmup = TimeSpan.Zero;
        var loadRequests = Math.Min(o.LoadRequests, 1_500);
        var loadTime = TimeSpan.FromSeconds(Math.Min(o.LoadTime.TotalSeconds, 10));
        Console.WriteLine($"Guichet.Bench — croissance, {o.Provider}, tailles {string.Join(" → ", sizes.Select(s => s.ToString("N0")))} ; dossier {work}");
        var measures = new List<Measure>();
        Measure M(string name, bool batch, string baseline)
        {
            var m = measures.FirstOrDefault(x => x.Name == name);
            if (m is null) measures.Add(m = new Measure(name, batch, baseline));
            return m;
        }
        var version = "";
        var generation = new Dictionary<int, TimeSpan>();
        PostgresCluster? cluster = null;
        try
        {
            if (o.Provider == "Postgres")
            {
                // The same settings as the one-size run (Program.cs).
                cluster = await PostgresCluster.StartAsync("guichet-bench-pg-",
                    "-c max_connections=200 -c shared_buffers=1GB -c effective_cache_size=8GB -c work_mem=16MB -c maintenance_work_mem=512MB "
                    + "-c max_wal_size=8GB -c synchronous_commit=off -c random_page_cost=1.1",
                    "Pooling=true;Maximum Pool Size=40;Timeout=30;Command Timeout=600", "apt-get install postgresql, ou lancez --quick.");
                version = cluster.Version;
            }
            foreach (var size in sizes)
            {
                var so = o with { Requests = size, BigVendorRequests = size / 100, DueRounds = size / 100 };
                var cs = cluster is not null ? await cluster.CreateDatabaseAsync($"guichet_growth_{size}") : $"Data Source={Path.Combine(work, $"guichet-{size}.db")}";
                var db = new Database(o.Provider, cs);
                var env = new Dictionary<string, string>
                {
                    ["ASPNETCORE_ENVIRONMENT"] = "Staging",
                    ["Database__Provider"] = o.Provider,
                    ["ConnectionStrings__Guichet"] = cs,
                    ["Storage__Path"] = Path.Combine(work, "pieces"),
                    ["Email__PickupDirectory"] = Path.Combine(work, "mail"),
                    ["Workers__Enabled"] = "false",
                    ["TwoFactor__RequiredForAgency"] = "false",
                    // 16 clients on one vendor token exceed RateLimits:ApiPerUser (600 a minute): the limit is lifted, as for the webhooks part.
                    ["RateLimits__ApiPerUser__Permits"] = "1000000",
                    ["Logging__LogLevel__Default"] = "Warning",
                    ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning",
                };
                Console.WriteLine($"— {size:N0} demandes (fournisseur de {so.BigVendorRequests:N0}, {so.DueRounds:N0} tours échus)");
                await VerbAsync(portalDll, env, "migrate");
                if (!db.IsPostgres) version = "SQLite " + await db.ScalarAsync<string>("SELECT sqlite_version()");
                var now = DateTime.UtcNow;
                var watch = Stopwatch.StartNew();
                await new DataGenerator(db, so, now).RunAsync();
                generation[size] = watch.Elapsed;
                Console.WriteLine($"  données générées en {watch.Elapsed.TotalSeconds:F1} s");
                const string vendorEmail = "editeur@bench.test", managerEmail = "gestionnaire@bench.test";
                await VerbAsync(portalDll, env, "create-user", "--email", vendorEmail, "--role", "Fournisseur", "--organisation", DataGenerator.Siret(DataGenerator.BigVendorId), "--password", DataGenerator.Password);
                await VerbAsync(portalDll, env, "create-user", "--email", managerEmail, "--role", "Gestionnaire", "--password", DataGenerator.Password);
                var managerId = await db.ScalarAsync<string>("SELECT \"Id\" FROM \"AspNetUsers\" WHERE \"NormalizedEmail\" = @e", ("e", managerEmail.ToUpperInvariant()));
                await Scenarios.AssignSomeAsync(db, managerId);
                var vendorId = await db.ScalarAsync<string>("SELECT \"Id\" FROM \"AspNetUsers\" WHERE \"NormalizedEmail\" = @e", ("e", vendorEmail.ToUpperInvariant()));
                var vendorToken = "bench-" + Guid.NewGuid().ToString("N");
                await db.ExecuteAsync("INSERT INTO \"ApiTokens\" (\"UserId\", \"Name\", \"Hash\", \"Prefix\", \"CreatedAt\") VALUES (@u, 'bench', @h, 'bench-', @t)",
                    ("u", vendorId), ("h", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(vendorToken)))),
                    ("t", db.IsPostgres ? now : now.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)));

                await using (var portal = await ServerProcess.StartAsync(portalDll, [], env))
                await using (var bare = await ServerProcess.StartAsync(benchDll, ["bare-host", "--provider", o.Provider, "--cs", cs], new Dictionary<string, string>()))
                {
                    using var bareClient = Load.Client();
                    var bareTracking = await Load.RunAsync("nu : même SQL que la liste", bareClient,
                        _ => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/bare/tracking?org={DataGenerator.BigVendorId}"), o.Concurrency, loadRequests, loadTime);
                    var vendorCookies = new CookieContainer();
                    await Scenarios.SignInAsync(portal.BaseUrl, vendorCookies, vendorEmail, DataGenerator.Password);
                    using (var html = Load.Client(vendorCookies))
                    {
                        var s = await Load.RunAsync("page de suivi (HTML)", html, _ => new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/demandes"), o.Concurrency, loadRequests, loadTime);
                        M($"Page de suivi /demandes du grand fournisseur (HTML), {o.Concurrency} clients", false, "même SQL, hôte nu").Points[size] = (s.P95, s.P50, bareTracking.P95);
                    }
                    using (var api = Load.Client())
                    {
                        var s = await Load.RunAsync("API liste", api, _ =>
                        {
                            var m = new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/api/v1/demandes");
                            m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", vendorToken);
                            return m;
                        }, o.Concurrency, loadRequests, loadTime);
                        M($"API GET /api/v1/demandes du grand fournisseur, {o.Concurrency} clients", false, "même SQL, hôte nu").Points[size] = (s.P95, s.P50, bareTracking.P95);
                    }

                    var managerCookies = new CookieContainer();
                    await Scenarios.SignInAsync(portal.BaseUrl, managerCookies, managerEmail, DataGenerator.Password);
                    using var queue = Load.Client(managerCookies);
                    foreach (var filter in QueueFilters(DateOnly.FromDateTime(now)))
                    {
                        var label = filter == "" ? "sans filtre" : $"`{filter}`";
                        var s = await Load.RunAsync($"file {label}", queue, _ => new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/instruction?{filter}"), 1, 40, loadTime, warmup: 2);
                        var b = await Load.RunAsync($"nu {label}", bareClient, _ => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/bare/queue?{filter}&user={managerId}"), 1, 40, loadTime, warmup: 2);
                        M($"File du gestionnaire /instruction, {label}, 1 client", false, "même SQL, hôte nu").Points[size] = (s.P95, s.P50, b.P95);
                    }

                    // The export from the same warm portal (the one-size run takes it from a fresh process; here the growth is the point).
                    var bareCsv = await Exports.ReaderCsvAsync(db, filtered: false);
                    var e = await Exports.DownloadAsync(managerCookies, $"{portal.BaseUrl}/instruction/export.csv", false, work);
                    if (e.Rows != bareCsv.Rows) throw new InvalidOperationException($"Export CSV : {e.Rows} lignes, {bareCsv.Rows} attendues.");
                    Console.WriteLine($"  export CSV : {e.Rows:N0} lignes en {e.Elapsed.TotalSeconds:F1} s ; nu {bareCsv.Elapsed.TotalSeconds:F1} s");
                    M("Export CSV de la file sans filtre (/instruction/export.csv), jusqu'au dernier octet", true, "DataReader → CSV vers un flux nul").Points[size] =
                        (e.Elapsed.TotalMilliseconds, null, bareCsv.Elapsed.TotalMilliseconds);
                }

                // The sweep, a process of its own as in the one-size run, beside the fixed cost of a verb (migrate with nothing to do).
                var due = await db.ScalarAsync<long>("SELECT count(*) FROM \"Rounds\" WHERE \"ClosedAt\" IS NULL AND \"ReminderSentAt\" IS NULL AND \"ReminderDueAt\" <= @n",
                    ("n", db.IsPostgres ? DateTime.UtcNow : DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)));
                var sweep = await Commands.RunAsync("dotnet", [portalDll, "sweep"], env, TimeSpan.FromMinutes(20));
                var migrate = await Commands.RunAsync("dotnet", [portalDll, "migrate"], env);
                if (sweep.Code != 0) throw new InvalidOperationException($"sweep : code {sweep.Code}\n{sweep.Output}");
                Console.WriteLine($"  échéances : {due:N0} tours dus, {sweep.Elapsed.TotalSeconds:F1} s ; migrate à vide {migrate.Elapsed.TotalSeconds:F1} s");
                M("Échéances J+10 (verbe sweep, processus compris), tours échus = 1 % des demandes", true, "verbe migrate sans travail").Points[size] =
                    (sweep.Elapsed.TotalMilliseconds, null, migrate.Elapsed.TotalMilliseconds);
                // The verb prints the time of the deadlines pass alone (« … clôture(s) J+20, … en 1,2 s. »): the growth without the process start.
                if (System.Text.RegularExpressions.Regex.Match(sweep.Output, @"J\+20, .*? en ([0-9]+,[0-9]) s\.") is { Success: true } pass)
                    M("Échéances J+10 : le traitement seul (durée affichée par le verbe sweep)", true, "—").Points[size] =
                        (double.Parse(pass.Groups[1].Value, CultureInfo.GetCultureInfo("fr-FR")) * 1000, null, null);
            }
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        var outputPath = o.Output ?? Path.Combine(repo, "BENCHMARKS.md");
        var svgPath = o.Output is null ? Path.Combine(repo, "docs", "bench", "croissance.svg") : Path.ChangeExtension(o.Output, ".svg");
        // The raw figures first, so that a failure below loses no measure.
        var raw = Path.Combine(Path.GetTempPath(), $"guichet-growth-{DateTime.UtcNow:yyyyMMddHHmm}.json");
        File.WriteAllText(raw, System.Text.Json.JsonSerializer.Serialize(measures.Select(m => new
        {
            m.Name, m.Batch, m.Baseline, Points = m.Points.ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => new[] { p.Value.Value, p.Value.P50 ?? double.NaN, p.Value.Bare ?? double.NaN }),
        }), new System.Text.Json.JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        Console.WriteLine($"Mesures brutes : {raw}");
        Directory.CreateDirectory(Path.GetDirectoryName(svgPath)!);
        File.WriteAllText(svgPath, GrowthPlot.Svg(sizes, measures));
        var svgLink = o.Output is null ? "docs/bench/croissance.svg" : Path.GetFileName(svgPath);
        var section = Section(o, sizes, measures, version, generation, total.Elapsed, loadAtStart, svgLink);
        WriteSection(outputPath, section);
        Console.WriteLine(section);
        Console.WriteLine($"Écrit dans {outputPath} et {svgPath} ({total.Elapsed.TotalMinutes:F1} min au total).");
        return 0;
    }

    /// <summary>The growth factor from one size to the next, as the French write it.</summary>
    public static string Factor(double from, double to) => from > 0 ? $"× {to / from:F1}" : "—";

    private static string Section(BenchOptions o, int[] sizes, List<Measure> measures, string version, Dictionary<int, TimeSpan> generation,
        TimeSpan total, string loadAtStart, string svgLink)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<!-- bench:growth:start -->");
        sb.AppendLine($"### Croissance du coût avec la taille (`--growth`) — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine();
        sb.AppendLine($"- Machine : {Report.Machine()}");
        sb.AppendLine($"- Base : {version} ; une base neuve par taille ({string.Join(", ", sizes.Select(s => $"{s:N0} demandes générées en {generation.GetValueOrDefault(s).TotalSeconds:F0} s"))}), "
            + $"{o.Vendors} fournisseurs, le grand fournisseur et les tours échus à 1 % de la taille ; run en {total.TotalMinutes:F1} min");
        sb.AppendLine($"- Mesures : pages à {o.Concurrency} clients (au plus {Math.Min(o.LoadRequests, 1_500):N0} requêtes ou {Math.Min(o.LoadTime.TotalSeconds, 10):F0} s) et file à 1 client "
            + "(40 requêtes par filtre), après 2 s d'échauffement ; export et échéances : une exécution (temps total).");
        sb.AppendLine($"- Charge moyenne de la machine (1 / 5 / 15 min) au début : {loadAtStart} ; à la fin : {LoadAverage()}.");
        sb.AppendLine();
        sb.Append("| Mesure | Valeur |");
        foreach (var s in sizes) sb.Append($" {s:N0} |");
        for (var i = 1; i < sizes.Length; i++) sb.Append($" {Short(sizes[i - 1])} → {Short(sizes[i])} |");
        sb.AppendLine(" Idéal |");
        sb.Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---|", sizes.Length * 2 - 1))).AppendLine("---|");
        foreach (var m in measures)
        {
            sb.Append($"| {m.Name.Replace("|", "\\|")} | {(m.Batch ? "durée (nu : " + m.Baseline + ")" : "p50 / p95 (nu : p95, " + m.Baseline + ")")} |");
            foreach (var s in sizes)
                sb.Append(m.Points.TryGetValue(s, out var p)
                    ? $" {(p.P50 is { } p50 ? Ms(p50) + " / " : "")}{Ms(p.Value)}{(p.Bare is { } b ? $" (nu {Ms(b)})" : "")} |"
                    : " — |");
            for (var i = 1; i < sizes.Length; i++)
                sb.Append(m.Points.TryGetValue(sizes[i - 1], out var a) && m.Points.TryGetValue(sizes[i], out var c) ? $" {Factor(a.Value, c.Value)} |" : " — |");
            sb.AppendLine(m.Batch ? $" × {sizes[1] / (double)sizes[0]:F0} par taille (linéaire) |" : " × 1 (plat) |");
        }
        sb.AppendLine();
        sb.AppendLine($"![Croissance du coût de chaque mesure avec le nombre de demandes, échelles logarithmiques]({svgLink})");
        sb.AppendLine("<!-- bench:growth:end -->");
        return sb.ToString();
    }

    private static string Short(int size) => size >= 1_000_000 ? $"{size / 1_000_000} M" : $"{size / 1000} k";

    public static string Ms(double ms) => double.IsNaN(ms) ? "—" : ms >= 10_000 ? $"{ms / 1000:F1} s" : ms >= 100 ? $"{ms:F0} ms" : $"{ms:F1} ms";

    private static void WriteSection(string path, string section)
    {
        const string start = "<!-- bench:growth:start -->", end = "<!-- bench:growth:end -->";
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Performances de Guichet\n\n";
        var a = text.IndexOf(start, StringComparison.Ordinal);
        var b = text.IndexOf(end, StringComparison.Ordinal);
        text = a >= 0 && b > a ? text[..a] + section + text[(b + end.Length + 1)..] : text.TrimEnd() + "\n\n" + section;
        File.WriteAllText(path, text);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static async Task VerbAsync(string dll, IDictionary<string, string> env, params string[] args)
    {
        var (code, elapsed, output) = await Commands.RunAsync("dotnet", [dll, .. args], env);
        if (code != 0) throw new InvalidOperationException($"dotnet Guichet.dll {string.Join(' ', args)} : code {code}\n{output}");
        Console.WriteLine($"  {args[0]} : {elapsed.TotalSeconds:F1} s");
    }
}
