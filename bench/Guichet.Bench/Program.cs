using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Guichet.Bench;
using Guichet.Testing;

// The bare baseline host runs as its own process, started by the bench below.
if (args.Length > 0 && args[0] == "bare-host") return await BareHost.RunAsync(args);
// So does the bare e-mail loop: a process of its own talking to the bench's SMTP server, as the portal does.
if (args.Length > 0 && args[0] == "bare-mail")
{
    Console.WriteLine((await Scenarios.BareSendLoopAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture)))
        .ToString("R", CultureInfo.InvariantCulture));
    return 0;
}

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("fr-FR");
var o = BenchOptions.Parse(args);
Load.WarmupTime = o.WarmupTime;
// The quick run keeps its fixed warm-up, but the first measure of each server process (portal or bare host) warms up 30
// to 45 s (Load.FirstServerWarmup), and that of each other new address until it serves a stable throughput (up to
// --first-warmup-seconds, 15 s): its figures are then those of a running server, for a run of a few minutes.
if (o.Quick) (Load.WarmupMax, Load.FirstWarmupMax) = (o.WarmupTime, o.QuickFirstWarmupMax);
var repo = FindRepo();
var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
var builtDll = Path.Combine(repo, "src", "Guichet", "bin", configuration, "net10.0", "Guichet.dll");
if (!File.Exists(builtDll)) throw new FileNotFoundException($"Portail introuvable : {builtDll} (dotnet build -c {configuration}).");
// The tools some scenarios need are checked first: a missing one stops the run now, not after the data is generated.
var missingTools = new List<string>();
if (o.Sizes is null && o.Runs("deposit-av") && !ClamdServer.IsInstalled) missingTools.Add("deposit-av : clamd (apt-get install clamav-daemon)");
if (o.Sizes is null && o.Runs("deposit-s3") && !S3Server.IsInstalled) missingTools.Add("deposit-s3 : s3rver (cd tools/s3rver && npm ci)");
if (missingTools.Count > 0)
{
    Console.Error.WriteLine($"Outils manquants pour ce run : {string.Join(" ; ", missingTools)}. Installez-les, ou choisissez les scénarios avec --only.");
    return 1;
}
// The portal as it is delivered (docs/exploitation.md « Construire le livrable »), unless --quick (without --publish) or --build.
var portalDll = o.Published ? await Commands.PublishAsync(repo, configuration) : builtDll;
var benchDll = typeof(BenchOptions).Assembly.Location;
// The growth run (--growth, --sizes) is a run of its own: several sizes, one database each (Growth.cs).
if (o.Sizes is { } sizes) return await Growth.RunAsync(o, sizes, repo, portalDll, benchDll);
var work = Path.Combine(Path.GetTempPath(), "guichet-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
var total = Stopwatch.StartNew();
var report = new Report(o);
Console.WriteLine($"Guichet.Bench — {(o.Quick ? $"mode rapide ({o.Provider})" : o.Provider)}, {o.Requests:N0} demandes, {o.Vendors} fournisseurs dont un de {o.BigVendorRequests:N0} ; dossier {work}");

PostgresCluster? cluster = null;
try
{
    // 1. Database: a throwaway PostgreSQL cluster or a SQLite file, schema from the portal's own migrate verb.
    string cs;
    if (o.Provider == "Postgres")
    {
        // Settings for a 2-core, 24 GB bench machine; fsync off because the cluster is thrown away.
        cluster = await PostgresCluster.StartAsync("guichet-bench-pg-",
            "-c max_connections=200 -c shared_buffers=1GB -c effective_cache_size=8GB -c work_mem=16MB -c maintenance_work_mem=512MB "
            + "-c max_wal_size=8GB -c synchronous_commit=off -c random_page_cost=1.1"
            + (o.Names("bulk") ? " -c shared_preload_libraries=pg_stat_statements" : ""), // the bulk part tells where its time goes
            "Pooling=true;Maximum Pool Size=40;Timeout=30;Command Timeout=600", "apt-get install postgresql, ou lancez --quick.");
        cs = await cluster.CreateDatabaseAsync("guichet_bench");
        report.DatabaseVersion = cluster.Version;
    }
    else cs = $"Data Source={Path.Combine(work, "guichet.db")}";
    var db = new Database(o.Provider, cs);
    // The runtime's settings of docs/exploitation.md (« Machine virtuelle sans taille de cache »), for the portal and the bare host alike.
    var runtimeEnv = RuntimeSettings.ForThisMachine();
    report.RuntimeNote = RuntimeSettings.Describe(runtimeEnv);
    var env = new Dictionary<string, string>(runtimeEnv)
    {
        // Not "Production": there the cookies are Secure only (Hosting/Transport.cs) and the bench speaks plain HTTP to 127.0.0.1.
        ["ASPNETCORE_ENVIRONMENT"] = "Staging",
        ["Database__Provider"] = o.Provider,
        ["ConnectionStrings__Guichet"] = cs,
        ["Storage__Path"] = Path.Combine(work, "pieces"),
        ["Email__PickupDirectory"] = Path.Combine(work, "mail"),
        ["Workers__Enabled"] = "false",
        ["TwoFactor__RequiredForAgency"] = "false", // the bench's manager signs in with a password, as before the requirement
        // The bench measures the portal's throughput, not the per-user API limit (600 a minute), which one client exceeds.
        ["RateLimits__ApiPerUser__Permits"] = "1000000",
        // The simulator is called 50 times in a row (warm figure), above the 30 a minute allowed to an organisation.
        ["RateLimits__SimulationsPerOrganisation__Permits"] = "1000",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning",
    };
    await Verb(portalDll, env, "migrate");
    if (!db.IsPostgres) report.DatabaseVersion = "SQLite " + await db.ScalarAsync<string>("SELECT sqlite_version()");

    // 2. Data: bulk copy (PostgreSQL) or prepared inserts in one transaction (SQLite).
    var now = DateTime.UtcNow;
    var watch = Stopwatch.StartNew();
    Console.WriteLine("Génération des données…");
    await new DataGenerator(db, o, now).RunAsync();
    report.GenerationTime = watch.Elapsed;
    Console.WriteLine($"  terminée en {watch.Elapsed.TotalSeconds:F1} s");

    // 3. Accounts: through the portal's create-user verb; API tokens stored as their SHA-256, as the portal does.
    var vendorEmail = "editeur@bench.test";
    var managerEmail = "gestionnaire@bench.test";
    await Verb(portalDll, env, "create-user", "--email", vendorEmail, "--role", "Fournisseur", "--organisation", DataGenerator.Siret(DataGenerator.BigVendorId), "--password", DataGenerator.Password);
    await Verb(portalDll, env, "create-user", "--email", managerEmail, "--role", "Gestionnaire", "--password", DataGenerator.Password);
    var vendorToken = "bench-" + Guid.NewGuid().ToString("N");
    var managerId = await db.ScalarAsync<string>("SELECT \"Id\" FROM \"AspNetUsers\" WHERE \"NormalizedEmail\" = @e", ("e", managerEmail.ToUpperInvariant()));
    await Scenarios.AssignSomeAsync(db, managerId);
    var vendorId = await db.ScalarAsync<string>("SELECT \"Id\" FROM \"AspNetUsers\" WHERE \"NormalizedEmail\" = @e", ("e", vendorEmail.ToUpperInvariant()));
    await db.ExecuteAsync("INSERT INTO \"ApiTokens\" (\"UserId\", \"Name\", \"Hash\", \"Prefix\", \"CreatedAt\") VALUES (@u, 'bench', @h, 'bench-', @t)",
        ("u", vendorId), ("h", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(vendorToken)))),
        ("t", db.IsPostgres ? now : now.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)));

    // The bare host connects as the portal does: Data/DatabaseSetup.cs adds these two Npgsql settings to the operator's string.
    var bareArgs = new[] { "bare-host", "--provider", o.Provider, "--cs", db.IsPostgres ? cs + ";No Reset On Close=true;Max Auto Prepare=100" : cs };
    var sizeLabel = $"{o.Requests:N0} demandes, fournisseur de {o.BigVendorRequests:N0}";

    // 4. Reads at 16 concurrent clients: portal (cookie / Bearer) and bare host running the same SQL.
    if (o.Runs("reads") || o.Runs("startup") || o.Runs("session"))
    {
        await using var portal = await ServerProcess.StartAsync(portalDll, [], env);
        await using var bare = await ServerProcess.StartAsync(benchDll, bareArgs, runtimeEnv);
        Console.WriteLine($"Démarrage : portail {portal.StartupTime.TotalSeconds:F2} s, hôte nu {bare.StartupTime.TotalSeconds:F2} s");
        report.Add("Démarrage du portail (jusqu'au premier 200 sur /health)", sizeLabel, null, null, null, null,
            portal.StartupTime.TotalMilliseconds, $"hôte nu : {bare.StartupTime.TotalMilliseconds:F0} ms", bare.StartupTime.TotalMilliseconds, "—", null);

        if (o.Runs("reads"))
        {
            using var bareClient = Load.Client();
            var bareTracking = await Load.RunAsync("nu : même SQL que la liste", bareClient,
                _ => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/bare/tracking?org={DataGenerator.BigVendorId}"), o.Concurrency, o.LoadRequests, o.LoadTime);

            var bareNoCounts = await Load.RunAsync("nu : la même page sans les comptes par statut", bareClient,
                _ => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/bare/tracking?org={DataGenerator.BigVendorId}&counts=0"), o.Concurrency, o.LoadRequests, o.LoadTime);

            var vendorCookies = new CookieContainer();
            await Scenarios.SignInAsync(portal.BaseUrl, vendorCookies, vendorEmail, DataGenerator.Password);
            using (var html = Load.Client(vendorCookies))
            {
                var s = await Load.RunAsync("page de suivi (HTML)", html, _ => new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/demandes"), o.Concurrency, o.LoadRequests, o.LoadTime);
                report.AddLoad("Page de suivi /demandes (HTML, cookie), 16 clients", $"{o.BigVendorRequests:N0} demandes du fournisseur", s, bareTracking, 50);
            }
            using (var api = Load.Client())
            {
                var s = await Load.RunAsync("API liste", api, _ =>
                {
                    var m = new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/api/v1/demandes");
                    m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", vendorToken);
                    return m;
                }, o.Concurrency, o.LoadRequests, o.LoadTime);
                report.AddLoad("API GET /api/v1/demandes (Bearer), 16 clients", $"{o.BigVendorRequests:N0} demandes du fournisseur", s, bareTracking, 50);
            }
            report.AddLoad("  · nu : la même liste sans les comptes par statut (ce qu'ils coûtent)", "", bareNoCounts, bareTracking, null);

            // The manager queue: a rotation of filter sets over every request.
            var today = DateOnly.FromDateTime(now);
            string[] filters =
            [
                "statut=EN_COURS&dispositif=SAS_EFFECTEUR&type=AVANCE",
                $"fournisseur={DataGenerator.BigVendorId}&deposeDu={today.AddDays(-120):yyyy-MM-dd}&deposeAu={today.AddDays(-60):yyyy-MM-dd}",
                "statut=A_MODIFIER&dispositif=SAS_REGULATEUR",
                "delaiDepasse=1",
                "modifiee=1",
                "q=R-0000042",
                "attribution=aucune",
                "attribution=moi",
            ];
            var bareQueue = await Load.RunAsync("nu : même SQL que la file, 16 clients", bareClient,
                i => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/bare/queue?{filters[i % filters.Length]}&user={managerId}"), o.Concurrency, o.LoadRequests, o.LoadTime);
            var managerCookies = new CookieContainer();
            await Scenarios.SignInAsync(portal.BaseUrl, managerCookies, managerEmail, DataGenerator.Password);
            // docs/regles.md#performances sets no concurrency for the queue (a few managers): the verdict is on one client, 16 clients is shown as a stress figure.
            var rotation = Math.Max(60, o.LoadRequests / 10);
            using (var queue = Load.Client(managerCookies))
            {
                var s = await Load.RunAsync("file du gestionnaire, 1 client", queue, i => new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/instruction?{filters[i % filters.Length]}"),
                    1, rotation, o.LoadTime, warmup: 6);
                var b = await Load.RunAsync("nu : même SQL que la file, 1 client", bareClient,
                    i => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/bare/queue?{filters[i % filters.Length]}&user={managerId}"), 1, rotation, o.LoadTime, warmup: 6);
                report.AddLoad($"File du gestionnaire /instruction, {filters.Length} jeux de filtres en rotation, 1 client", $"{o.Requests:N0} demandes", s, b, 100);
                s = await Load.RunAsync("file du gestionnaire, 16 clients", queue, i => new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/instruction?{filters[i % filters.Length]}"),
                    o.Concurrency, o.LoadRequests, o.LoadTime);
                report.AddLoad("  · la même rotation à 16 clients (charge, sans cible)", "", s, bareQueue, null);
            }
            // One line per filter set, sequential, so that a slow filter is seen.
            using var single = Load.Client(managerCookies);
            for (var f = 0; f < filters.Length; f++)
            {
                var s = await Load.RunAsync($"  filtre {filters[f]}", single, _ => new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/instruction?{filters[f]}"), 1, Math.Max(20, o.LoadRequests / 50), o.LoadTime, warmup: 2);
                var b = await Load.RunAsync($"  nu {filters[f]}", bareClient, _ => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/bare/queue?{filters[f]}&user={managerId}"), 1, Math.Max(20, o.LoadRequests / 50), o.LoadTime, warmup: 2);
                report.AddLoad($"  · filtre `{filters[f]}` (1 client)", "", s, b, 100);
            }
        }

        // The session check (Accounts/SessionCheck.cs): the same cheap page with and without a cookie session, and its SQL
        // alone on the bare host next to SELECT 1. Reported, not judged: docs/regles.md sets no target for it.
        if (o.Runs("session"))
        {
            using var bareClient = Load.Client();
            var sessionCookies = new CookieContainer();
            await Scenarios.SignInAsync(portal.BaseUrl, sessionCookies, vendorEmail, DataGenerator.Password);
            var sessionId = await db.ScalarAsync<string>(
                "SELECT \"Id\" FROM \"UserSessions\" WHERE \"UserId\" = @u AND \"RevokedAt\" IS NULL ORDER BY \"CreatedAt\" DESC LIMIT 1", ("u", vendorId));
            using var anonymous = Load.Client();
            var without = await Load.RunAsync("/format sans cookie", anonymous, _ => new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/format"), o.Concurrency, o.LoadRequests, o.LoadTime);
            using var signedIn = Load.Client(sessionCookies);
            var with = await Load.RunAsync("/format avec une session", signedIn, _ => new HttpRequestMessage(HttpMethod.Get, $"{portal.BaseUrl}/format"), o.Concurrency, o.LoadRequests, o.LoadTime);
            report.AddLoad("Page /format avec une session ouverte (cookie déchiffré, session vérifiée en base, en-tête « connecté »), 16 clients", "référence : la même page sans cookie", with, without, null, "sans cookie");
            var check = await Load.RunAsync("nu : SQL du contrôle de session", bareClient, _ => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/bare/session?id={sessionId}"), o.Concurrency, o.LoadRequests, o.LoadTime);
            var select1 = await Load.RunAsync("nu : SELECT 1", bareClient, _ => new HttpRequestMessage(HttpMethod.Get, $"{bare.BaseUrl}/health"), o.Concurrency, o.LoadRequests, o.LoadTime);
            report.AddLoad("  · nu : le SQL du contrôle de session seul (session par clé jointe à l'utilisateur)", "référence : SELECT 1", check, select1, null, "SELECT 1");
        }
    }

    // 4b. The managers' dashboard (Instruction/Dashboard.cs) at 1 and 16 clients beside its SQL on the bare host, then that
    // SQL timed group by group in this process, so that the query which dominates the page is seen (EXPLAIN on PostgreSQL).
    if (o.Runs("dashboard"))
    {
        await using var portal = await ServerProcess.StartAsync(portalDll, [], env);
        await using var bare = await ServerProcess.StartAsync(benchDll, bareArgs, runtimeEnv);
        var managerCookies = new CookieContainer();
        await Scenarios.SignInAsync(portal.BaseUrl, managerCookies, managerEmail, DataGenerator.Password);
        using var page = Load.Client(managerCookies);
        using var bareClient = Load.Client();
        HttpRequestMessage Page(int _) => new(HttpMethod.Get, $"{portal.BaseUrl}/instruction/tableau-de-bord");
        HttpRequestMessage Bare(int _) => new(HttpMethod.Get, $"{bare.BaseUrl}/bare/dashboard");
        // A page costs tenths of a second at full size: few warm-up requests one by one, the timed warm-up does the rest.
        var single = Math.Max(30, o.LoadRequests / 20);
        var s1 = await Load.RunAsync("tableau de bord, 1 client", page, Page, 1, single, o.LoadTime, warmup: 3);
        var b1 = await Load.RunAsync("nu : même SQL que le tableau de bord, 1 client", bareClient, Bare, 1, single, o.LoadTime, warmup: 3);
        report.AddLoad("Tableau de bord /instruction/tableau-de-bord (HTML, cookie), 1 client", $"{o.Requests:N0} demandes", s1, b1, 100);
        var s16 = await Load.RunAsync("tableau de bord, 16 clients", page, Page, o.Concurrency, o.LoadRequests, o.LoadTime, warmup: 3);
        var b16 = await Load.RunAsync("nu : même SQL que le tableau de bord, 16 clients", bareClient, Bare, o.Concurrency, o.LoadRequests, o.LoadTime, warmup: 3);
        report.AddLoad("  · le même tableau de bord à 16 clients (charge, sans cible)", "", s16, b16, null);

        // Each group of the page's queries, one client, run in this process straight through the driver.
        var times = DashboardSql.Groups.ToDictionary(g => g, _ => new List<double>());
        var groupsWatch = Stopwatch.StartNew();
        for (var i = 0; i < single && groupsWatch.Elapsed < o.LoadTime; i++)
            await DashboardSql.RunAsync(db, DateTime.UtcNow, (group, ms) => { if (i > 2) times[group].Add(ms); });
        foreach (var group in DashboardSql.Groups)
        {
            var g = Stats.Of(times[group], 0, TimeSpan.FromSeconds(1));
            Console.WriteLine($"  nu : {group} : p50 {g.P50:F1} ms, p95 {g.P95:F1} ms ({g.Count} mesures)");
            report.Add($"  · nu : {group}", $"{g.Count} mesures, 1 client", g.P50, g.P95, g.P99, null, null, "les requêtes seules, ADO.NET depuis le bench", null, "—", null);
        }
        if (db.IsPostgres) Console.WriteLine(await DashboardSql.ExplainAsync(db, DateTime.UtcNow));
    }

    // 4c. The queue's exports (Instruction/QueueExport.cs), unfiltered and under a typical filter, each from a fresh portal
    // process so that its peak memory is the export's; beside the same SQL read bare and written to a null stream. Each is
    // taken twice: the first export of a process runs the JIT's unoptimised code for a while (long on a loaded machine), the
    // second is the warm figure that a running server gives; the bare references are likewise the second of two runs.
    if (o.Runs("export"))
    {
        foreach (var (filter, label) in new[] { ("", "sans filtre"), (Exports.TypicalFilter, $"filtre `{Exports.TypicalFilter}`") })
        {
            var filtered = filter != "";
            ExportResult bareCsv = null!, bareXlsx = null!;
            ExportResult? copy = null;
            for (var run = 0; run < 2; run++)
            {
                bareCsv = await Exports.ReaderCsvAsync(db, filtered);
                bareXlsx = await Exports.ReaderXlsxAsync(db, filtered);
                copy = db.IsPostgres ? await Exports.CopyAsync(db, filtered) : null;
            }
            var copyText = copy is { } c ? $" ; COPY … TO STDOUT (csv) : {c.Elapsed.TotalSeconds:F1} s, {c.Bytes / 1048576.0:F0} Mo" : "";
            Console.WriteLine($"  nu {label} : DataReader → CSV {bareCsv.Elapsed.TotalSeconds:F1} s ({bareCsv.Rows:N0} lignes), → xlsx {bareXlsx.Elapsed.TotalSeconds:F1} s{copyText}");
            foreach (var (format, xlsx, baseline, baselineName) in new[] { ("CSV", false, bareCsv, "DataReader → CSV vers un flux nul"), ("xlsx", true, bareXlsx, "DataReader → SpreadCheetah vers un flux nul") })
            {
                await using var portal = await ServerProcess.StartAsync(portalDll, [], env);
                var cookies = new CookieContainer();
                await Scenarios.SignInAsync(portal.BaseUrl, cookies, managerEmail, DataGenerator.Password);
                var before = portal.PeakMemoryBytes();
                var url = $"{portal.BaseUrl}/instruction/export.{format.ToLowerInvariant()}{(filtered ? "?" + filter : "")}";
                var cold = await Exports.DownloadAsync(cookies, url, xlsx, work);
                var e = await Exports.DownloadAsync(cookies, url, xlsx, work);
                var peak = portal.PeakMemoryBytes();
                Console.WriteLine($"  export {format} {label} : {e.Rows:N0} lignes, {e.Bytes / 1048576.0:F1} Mo, premier octet {e.FirstByte.TotalMilliseconds:F0} ms, dernier {e.Elapsed.TotalSeconds:F1} s (premier export du processus : {cold.Elapsed.TotalSeconds:F1} s), mémoire de pointe {peak / 1048576} Mo (avant {before / 1048576} Mo)");
                if (e.Rows != baseline.Rows || cold.Rows != baseline.Rows) throw new InvalidOperationException($"Export {format} {label} : {cold.Rows} puis {e.Rows} lignes, {baseline.Rows} attendues.");
                string Time(TimeSpan t) => t.TotalMilliseconds >= 10_000 ? $"{t.TotalSeconds:F1} s" : $"{t.TotalMilliseconds:F0} ms";
                report.Add($"Export {format} de la file /instruction/export.{format.ToLowerInvariant()}, {label}, jusqu'au dernier octet",
                    $"{e.Rows:N0} lignes, {e.Bytes / 1048576.0:F0} Mo", null, null, null, null, e.Elapsed.TotalMilliseconds,
                    $"{baselineName} : {baseline.Elapsed.TotalSeconds:F1} s{(xlsx ? "" : copyText)}", baseline.Elapsed.TotalMilliseconds, "—", null,
                    valueText: $"{Time(e.Elapsed)} (2e export du processus ; le 1er : {Time(cold.Elapsed)} ; premier octet {e.FirstByte.TotalMilliseconds:F0} ms)");
                report.Add($"  · export {format} {label} : mémoire de pointe du portail (VmHWM) après les deux", $"avant : {before / 1048576} Mo", null, null, null, null, null,
                    $"{peak / 1048576} Mo", null, "—", null, valueText: $"{peak / 1048576} Mo");
            }
        }
    }

    // 5. Simulator then deposit (fresh portal process so that its peak memory is the deposit's). « simulator » alone skips the deposit.
    if (o.Runs("deposit") || o.Runs("simulator"))
    {
        var json = Scenarios.DepositJson(o.DepositRequests, now);
        using var api = Load.Client();
        api.Timeout = TimeSpan.FromMinutes(15);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", vendorToken);

        await using (var portal = await ServerProcess.StartAsync(portalDll, [], env))
        {
            const int SimulatorCalls = 50;
            // Three calls as a vendor meets a fresh instance (the first pays for JIT and EF start-up), then more until the JIT has
            // optimised the path (some 30 calls of 10 000 requests on the ReadyToRun build, measured): the median of the last ten is the warm figure.
            var times = new List<double>();
            for (var i = 0; i < SimulatorCalls; i++)
            {
                var sw = Stopwatch.StartNew();
                using var r = await api.PostAsync($"{portal.BaseUrl}/api/v1/simulations", Scenarios.DepositForm(json, null));
                var body = await r.Content.ReadAsStringAsync();
                times.Add(sw.Elapsed.TotalMilliseconds);
                if (!r.IsSuccessStatusCode || !body.Contains("\"valide\":true", StringComparison.Ordinal))
                    throw new InvalidOperationException($"Simulation refusée : HTTP {(int)r.StatusCode} {body[..Math.Min(body.Length, 800)]}");
            }
            // The bare parse measured as the portal is: a first (cold) call, then as many more.
            var parses = new List<double>();
            for (var i = 0; i < SimulatorCalls; i++)
            {
                var parse = Stopwatch.StartNew();
                using (JsonDocument.Parse(json)) { }
                parses.Add(parse.Elapsed.TotalMilliseconds);
            }
            static double Median(IEnumerable<double> values) { var v = values.Order().ToList(); return v[v.Count / 2]; }
            var parseMs = parses[0];
            var first3 = times.Take(3).ToList();
            var warm = Median(times.TakeLast(10));
            var warmParse = Median(parses.TakeLast(10));
            Console.WriteLine($"  simulateur : {string.Join(", ", times.Select(t => $"{t:F0}"))} ms ; lecture JSON nue {string.Join(", ", parses.Select(t => $"{t:F0}"))} ms");
            report.Add($"Simulateur POST /api/v1/simulations (JSON seul, 3 premiers appels d'un portail neuf)", $"{o.DepositRequests:N0} demandes ({json.Length / 1024} Ko)",
                Median(first3), times.Max(), null, null, times.Max(), $"JsonDocument.Parse seul, 1re lecture : {parseMs:F0} ms", parseMs, "≤ 2 s", times.Max() <= 2000);
            report.Add($"  · à chaud : médiane des appels {SimulatorCalls - 9} à {SimulatorCalls}, contre la médiane des lectures nues {SimulatorCalls - 9} à {SimulatorCalls}", "", warm, null, null, null, warm,
                $"JsonDocument.Parse seul, médiane : {warmParse:F1} ms", warmParse, "—", null);

            // A file naming what the vendor already has (its advances, its references): every line looked up, then refused.
            var (named, namedCount) = await Scenarios.ExistingNamesJsonAsync(db, o.DepositRequests, now);
            var namedTimes = new List<double>();
            var namedParses = new List<double>();
            for (var i = 0; i < 12; i++)
            {
                var sw = Stopwatch.StartNew();
                using var r = await api.PostAsync($"{portal.BaseUrl}/api/v1/simulations", Scenarios.DepositForm(named, null));
                var body = await r.Content.ReadAsStringAsync();
                namedTimes.Add(sw.Elapsed.TotalMilliseconds);
                if (!r.IsSuccessStatusCode || !body.Contains("déjà", StringComparison.Ordinal))
                    throw new InvalidOperationException($"Simulation inattendue : HTTP {(int)r.StatusCode} {body[..Math.Min(body.Length, 800)]}");
                var parse = Stopwatch.StartNew();
                using (JsonDocument.Parse(named)) { }
                namedParses.Add(parse.Elapsed.TotalMilliseconds);
            }
            var namedWarm = Median(namedTimes.TakeLast(10));
            Console.WriteLine($"  simulateur, fichier nommant des demandes existantes : {string.Join(", ", namedTimes.Select(t => $"{t:F0}"))} ms");
            report.Add("  · fichier nommant des demandes existantes (moitié soldes d'avances du fournisseur, moitié références déjà déposées), médiane des appels 3 à 12",
                $"{namedCount:N0} demandes ({named.Length / 1024} Ko)", namedWarm, null, null, null, namedWarm,
                $"JsonDocument.Parse seul, médiane : {Median(namedParses.TakeLast(10)):F1} ms", Median(namedParses.TakeLast(10)), "≤ 2 s", namedTimes.Max() <= 2000);
        }
        if (o.Runs("deposit"))
        {
            var zipPath = Path.Combine(work, "pieces.zip");
            Console.WriteLine($"ZIP de {o.DepositRequests} PDF de {o.FileKb} Ko…");
            Scenarios.DepositZip(zipPath, o.DepositRequests, o.FileKb);
            var zipBytes = new FileInfo(zipPath).Length;
            var (elapsed, peak, before) = await DepositAsync(portalDll, env, api, json, zipPath);
            Console.WriteLine($"  dépôt : {elapsed.TotalSeconds:F1} s, mémoire de pointe {peak / 1048576} Mo (au démarrage {before / 1048576} Mo)");
            var baseline = await Commands.RunAsync("/bin/bash", ["-c", $"set -e; d=$(mktemp -d -p '{work}'); unzip -q '{zipPath}' -d \"$d\"; find \"$d\" -type f -print0 | xargs -0 sha256sum > /dev/null; rm -rf \"$d\""]);
            var baselineText = baseline.Code == 0 ? $"unzip + sha256sum : {baseline.Elapsed.TotalSeconds:F1} s" : "unzip ou sha256sum indisponible";
            report.Add("Dépôt POST /api/v1/depots + attente de TERMINE", $"{o.DepositRequests:N0} demandes, ZIP de {zipBytes / 1048576.0:F0} Mo",
                null, null, null, null, elapsed.TotalMilliseconds, baselineText, baseline.Code == 0 ? baseline.Elapsed.TotalMilliseconds : null, "≤ 30 s", elapsed.TotalSeconds <= 30);
            report.Add("Dépôt : mémoire de pointe du portail (VmHWM)", $"démarrage : {before / 1048576} Mo", null, null, null, null, null,
                $"{peak / 1048576} Mo", null, "≤ 300 Mo", peak <= 300L * 1048576, valueText: $"{peak / 1048576} Mo");
            File.Delete(zipPath);
        }
    }

    // The deposits of 5b and 5c: their own series of requests (so that none is a duplicate) and the vendor's API client.
    (byte[] Json, string ZipPath, long ZipBytes) NewDeposit(string series)
    {
        var zip = Path.Combine(work, $"pieces-{series.ToLowerInvariant()}.zip");
        Scenarios.DepositZip(zip, o.DepositRequests, o.FileKb);
        return (Scenarios.DepositJson(o.DepositRequests, now, series), zip, new FileInfo(zip).Length);
    }
    HttpClient DepositClient()
    {
        var client = Load.Client();
        client.Timeout = TimeSpan.FromMinutes(30);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", vendorToken);
        return client;
    }

    // 5b. The same deposit with the antivirus on: a throwaway clamd (tests/Shared/ClamdServer.cs, local signatures only),
    // beside clamdscan --stream of the same files (every file sent to the same clamd over INSTREAM, as the portal does).
    if (o.Runs("deposit-av"))
    {
        await using var clamd = await ClamdServer.StartAsync("guichet-bench-clamd-", "apt-get install clamav-daemon");
        var (json, zipPath, zipBytes) = NewDeposit("AV");
        using var api = DepositClient();
        var avEnv = new Dictionary<string, string>(env)
        {
            ["Antivirus__Host"] = "127.0.0.1", ["Antivirus__Port"] = clamd.Port.ToString(CultureInfo.InvariantCulture),
        };
        var (elapsed, peak, _) = await DepositAsync(portalDll, avEnv, api, json, zipPath);
        Console.WriteLine($"  dépôt avec antivirus : {elapsed.TotalSeconds:F1} s, mémoire de pointe {peak / 1048576} Mo");
        var baseline = File.Exists("/usr/bin/clamdscan")
            ? await Commands.RunAsync("/bin/bash", ["-c", $"set -e; d=$(mktemp -d -p '{work}'); unzip -q '{zipPath}' -d \"$d\"; clamdscan --config-file='{clamd.ConfigFile}' --stream --no-summary --infected \"$d\" > /dev/null; rm -rf \"$d\""], timeout: TimeSpan.FromMinutes(30))
            : (Code: -2, Elapsed: TimeSpan.Zero, Output: "");
        var baselineText = baseline.Code == 0 ? $"unzip + clamdscan --stream : {baseline.Elapsed.TotalSeconds:F1} s"
            : baseline.Code == -2 ? "clamdscan absent (apt-get install clamdscan)" : $"clamdscan en échec (code {baseline.Code})";
        report.Add("Dépôt avec antivirus (clamd local, INSTREAM) + attente de TERMINE", $"{o.DepositRequests:N0} demandes, ZIP de {zipBytes / 1048576.0:F0} Mo",
            null, null, null, null, elapsed.TotalMilliseconds, baselineText, baseline.Code == 0 ? baseline.Elapsed.TotalMilliseconds : null, "—", null);
        report.Add("Dépôt avec antivirus : mémoire de pointe du portail (VmHWM)", "", null, null, null, null, null,
            $"{peak / 1048576} Mo", null, "≤ 300 Mo", peak <= 300L * 1048576, valueText: $"{peak / 1048576} Mo");
        File.Delete(zipPath);
    }

    // 5c. The same deposit with the attachments on S3-compatible storage: a throwaway s3rver (tests/Shared/S3Server.cs),
    // beside a bare copy of the same files to the same server (one PutObject per file, in sequence, as the portal stores them).
    if (o.Runs("deposit-s3"))
    {
        await using var s3 = await S3Server.StartAsync("guichet-bench-s3-", "guichet-bench", "cd tools/s3rver && npm ci");
        var (json, zipPath, zipBytes) = NewDeposit("S3");
        using var api = DepositClient();
        var s3Env = new Dictionary<string, string>(env);
        foreach (var (key, value) in s3.Settings()) s3Env[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        s3Env["Storage__S3__PartSizeMegabytes"] = "8";
        var (elapsed, peak, _) = await DepositAsync(portalDll, s3Env, api, json, zipPath);
        Console.WriteLine($"  dépôt sur S3 : {elapsed.TotalSeconds:F1} s, mémoire de pointe {peak / 1048576} Mo");
        var bare = await Scenarios.BareS3CopyAsync(s3, zipPath, Path.Combine(work, "s3-nu"));
        Console.WriteLine($"  copie nue vers le même serveur : {bare.TotalSeconds:F1} s");
        report.Add("Dépôt avec pièces sur S3 (s3rver local) + attente de TERMINE", $"{o.DepositRequests:N0} demandes, ZIP de {zipBytes / 1048576.0:F0} Mo",
            null, null, null, null, elapsed.TotalMilliseconds, $"unzip + PutObject nu des mêmes fichiers : {bare.TotalSeconds:F1} s", bare.TotalMilliseconds, "—", null);
        report.Add("Dépôt sur S3 : mémoire de pointe du portail (VmHWM)", "", null, null, null, null, null,
            $"{peak / 1048576} Mo", null, "≤ 300 Mo", peak <= 300L * 1048576, valueText: $"{peak / 1048576} Mo");
        File.Delete(zipPath);
    }

    // 5d. Deadline sweep: measured through the portal's sweep verb, skipped when this build does not have it. Before the
    // webhooks, whose portal runs its workers (the deadline loop among them would remind the due rounds first).
    if (o.Runs("sweep"))
    {
        var due = await db.ScalarAsync<long>("SELECT count(*) FROM \"Rounds\" WHERE \"ClosedAt\" IS NULL AND \"ReminderSentAt\" IS NULL AND \"ReminderDueAt\" <= @n",
            ("n", db.IsPostgres ? DateTime.UtcNow : DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)));
        // The same statements bare first, rolled back: the portal's sweep then finds the same due rounds.
        var bare = await SweepSql.BareAsync(db, DateTime.UtcNow);
        Console.WriteLine($"  échéances, référence nue : {bare.Reminders} relances en {bare.Elapsed.TotalSeconds:F2} s (annulées)");
        // The rolled-back writes leave dead row versions behind on PostgreSQL: cleaned first, so that the portal writes the
        // same clean tables the bare reference wrote (outside the measure).
        if (db.IsPostgres) await db.ExecuteAsync("""VACUUM "Requests", "Rounds", "History", "Evenements", "OutboxMessages", "Sequences" """);
        var (code, elapsed, output) = await Commands.RunAsync("dotnet", [portalDll, "sweep"], env, TimeSpan.FromMinutes(10));
        var migrate = await Commands.RunAsync("dotnet", [portalDll, "migrate"], env);
        if (code == 2)
        {
            Console.WriteLine($"  échéances : verbe sweep non disponible dans cette version ({output.Trim()})");
            report.Add("Échéances J+10 / J+20 (verbe sweep)", $"{due:N0} tours dus", null, null, null, null, null,
                "non disponible dans cette version (sweep répond 2)", null, "≤ 5 s", null, valueText: "non disponible dans cette version");
        }
        else
        {
            var ratio = elapsed.TotalMilliseconds / Math.Max(1, bare.Elapsed.TotalMilliseconds);
            Console.WriteLine($"  échéances : {elapsed.TotalSeconds:F1} s (code {code}), verbe migrate à vide {migrate.Elapsed.TotalSeconds:F1} s, "
                + $"référence nue {bare.Elapsed.TotalSeconds:F2} s, rapport {ratio:F1}");
            report.Add("Échéances J+10 / J+20 (verbe sweep, processus compris)", $"{due:N0} tours dus", null, null, null, null, elapsed.TotalMilliseconds,
                $"verbe migrate sans travail : {migrate.Elapsed.TotalSeconds:F1} s", migrate.Elapsed.TotalMilliseconds, "≤ 5 s", code == 0 && elapsed.TotalSeconds <= 5);
            report.Add("  · le même balayage, SQL nu (ADO.NET, mêmes instructions, annulé)", $"{bare.Reminders:N0} relances", null, null, null, null, elapsed.TotalMilliseconds,
                $"SQL nu : {bare.Elapsed.TotalSeconds:F2} s (rapport {ratio:F1})", bare.Elapsed.TotalMilliseconds, "≤ 3 × le SQL nu", code == 0 && ratio <= 3);
            // What the process time holds besides the pass: the verb prints the pass alone (its e-mails are sent beside it), then
            // how many e-mails it sent and how long after the pass the last one went.
            var fr = CultureInfo.GetCultureInfo("fr-FR");
            if (System.Text.RegularExpressions.Regex.Match(output, @"J\+20, .*? en ([0-9]+,[0-9]) s\.") is { Success: true } pass)
            {
                var passMs = double.Parse(pass.Groups[1].Value, fr) * 1000;
                var mails = System.Text.RegularExpressions.Regex.Match(output, @"E-mails envoyés : ([0-9]+), le dernier ([0-9]+,[0-9]) s après");
                report.Add("  · le balayage seul (durée affichée par le verbe, sans démarrage, e-mails envoyés à côté)", $"{bare.Reminders:N0} relances", null, null, null, null, passMs,
                    $"SQL nu : {bare.Elapsed.TotalSeconds:F2} s" + (mails.Success
                        ? $" ; le verbe envoie {mails.Groups[1].Value} e-mails pendant le balayage, le dernier {mails.Groups[2].Value} s après lui" : ""),
                    bare.Elapsed.TotalMilliseconds, "—", null);
            }
        }
    }

    // 6. Webhooks: a decision's p95 without then with a subscription (the event is written either way, the subscription
    // adds its delivery row), then the dispatcher's deliveries per second to a receiver in this process, beside the same
    // signed posts sent bare (same bodies, same batches of Webhooks:BatchSize in parallel, same receiver).
    if (o.Runs("webhooks"))
    {
        await using var receiver = await HookSink.StartAsync();
        var managerToken = "bench-g-" + Guid.NewGuid().ToString("N");
        await db.ExecuteAsync("INSERT INTO \"ApiTokens\" (\"UserId\", \"Name\", \"Hash\", \"Prefix\", \"CreatedAt\") VALUES (@u, 'bench', @h, 'bench-', @t)",
            ("u", managerId), ("h", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(managerToken)))),
            ("t", db.IsPostgres ? now : now.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)));
        var numbers = await db.ListAsync("SELECT \"Number\" FROM \"Requests\" WHERE \"OrganisationId\" = @o AND \"Status\" = 'EN_COURS' ORDER BY \"Id\"",
            ("o", DataGenerator.BigVendorId));
        // Warm-up, then without / with / without again (the subscription removed): the two « without » bracket the « with »,
        // so that a machine whose load drifts during the run shows in their difference.
        var warm = Math.Min(300, numbers.Count / 8);
        var measured = Math.Min(500, (numbers.Count - warm) / 3);
        // One manager decides faster than RateLimits:ApiPerUser allows (600 a minute): the limit is lifted for this measure.
        var hookEnv = new Dictionary<string, string>(env) { ["Webhooks__AllowLoopback"] = "true", ["RateLimits__ApiPerUser__Permits"] = "1000000" };
        var next = 0;
        HttpRequestMessage Decide(int _)
        {
            var m = new HttpRequestMessage(HttpMethod.Post, "/api/v1/demandes/" + numbers[Interlocked.Increment(ref next) - 1] + "/valider")
            {
                Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
            };
            m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", managerToken);
            return m;
        }
        Stats without, with, withoutAgain;
        await using (var portal = await ServerProcess.StartAsync(portalDll, [], hookEnv))
        {
            using var api = Load.Client();
            api.BaseAddress = new Uri(portal.BaseUrl);
            await Load.RunAsync("décisions (échauffement)", api, Decide, o.Concurrency, warm, o.LoadTime, warmup: 0);
            without = await Load.RunAsync("décision sans abonnement", api, Decide, o.Concurrency, measured, o.LoadTime, warmup: 0);
            using var subscribe = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { url = receiver.Url, types = new[] { "demande.validee" } }), System.Text.Encoding.UTF8, "application/json"),
            };
            subscribe.Headers.Authorization = new AuthenticationHeaderValue("Bearer", vendorToken);
            using var subscribed = await api.SendAsync(subscribe);
            var answer = await subscribed.Content.ReadAsStringAsync();
            if (subscribed.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"Abonnement refusé : HTTP {(int)subscribed.StatusCode} {answer}");
            var hookId = JsonDocument.Parse(answer).RootElement.GetProperty("webhook").GetProperty("id").GetInt64();
            with = await Load.RunAsync("décision avec un abonnement", api, Decide, o.Concurrency, measured, o.LoadTime, warmup: 0);
            // Paused, not deleted: its waiting deliveries stay for the dispatch measure below.
            using var pause = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/webhooks/{hookId}")
            {
                Content = new StringContent("{\"actif\":false}", System.Text.Encoding.UTF8, "application/json"),
            };
            pause.Headers.Authorization = new AuthenticationHeaderValue("Bearer", vendorToken);
            using var paused = await api.SendAsync(pause);
            if (!paused.IsSuccessStatusCode) throw new InvalidOperationException($"Pause refusée : HTTP {(int)paused.StatusCode} {await paused.Content.ReadAsStringAsync()}");
            withoutAgain = await Load.RunAsync("décision, abonnement en pause", api, Decide, o.Concurrency, measured, o.LoadTime, warmup: 0);
            using var resume = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/webhooks/{hookId}")
            {
                Content = new StringContent("{\"actif\":true}", System.Text.Encoding.UTF8, "application/json"),
            };
            resume.Headers.Authorization = new AuthenticationHeaderValue("Bearer", vendorToken);
            (await api.SendAsync(resume)).EnsureSuccessStatusCode();
        }
        report.AddLoad("Décision POST …/valider (Bearer), 16 clients, sans abonnement", $"{measured:N0} décisions", without, withoutAgain, null, "de nouveau sans (abonnement en pause)");
        report.AddLoad("Décision POST …/valider (Bearer), 16 clients, avec un webhook abonné", $"{measured:N0} décisions", with, without, null, "sans abonnement");

        // The deliveries now waiting (warm-up + measured, with the subscription) go out from a fresh portal with its workers on.
        var waiting = (int)await db.ScalarAsync<long>("SELECT count(*) FROM \"WebhookLivraisons\" WHERE \"State\" = 'Pending'");
        receiver.Reset();
        await using (var portal = await ServerProcess.StartAsync(portalDll, [], new Dictionary<string, string>(hookEnv)
                     { ["Workers__Enabled"] = "true", ["Webhooks__PeriodSeconds"] = "1" }))
        {
            var sw = Stopwatch.StartNew();
            while (receiver.Count < waiting && sw.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(100);
        }
        var (count, span) = receiver.Window();
        var rate = count / Math.Max(span.TotalSeconds, 0.001);
        var bareRate = await receiver.BarePostsAsync(batch: 20);
        Console.WriteLine($"  webhooks : {count}/{waiting} livrés en {span.TotalSeconds:F1} s = {rate:F0}/s ; envois nus {bareRate:F0}/s");
        report.Add("Livraison des webhooks (file → récepteur local, signés)", $"{waiting:N0} livraisons", null, null, null, rate, null,
            $"mêmes envois signés, nus, par lots de 20 : {bareRate:F0}/s", null, "—", null, throughputBaseline: bareRate);
    }

    // 7. E-mail: the portal's dispatcher loop against an SMTP server in this process, beside a bare MailKit loop.
    if (o.Runs("email"))
    {
        await using var smtp = await SmtpSink.StartAsync();
        // E-mails left by the parts before (the webhooks part's decisions) are not this measure's: set aside as sent, so
        // that the portal's dispatcher sends only the measured ones.
        var setAside = await db.ExecuteAsync("UPDATE \"OutboxMessages\" SET \"SentAt\" = \"CreatedAt\" WHERE \"SentAt\" IS NULL");
        if (setAside > 0) Console.WriteLine($"  e-mails : {setAside} e-mails laissés par les parties précédentes, mis de côté");
        await Scenarios.FillOutboxAsync(db, o.Emails, DateTime.UtcNow);
        var mailEnv = new Dictionary<string, string>(env)
        {
            ["Workers__Enabled"] = "true", ["Email__Smtp__Host"] = "127.0.0.1", ["Email__Smtp__Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Email__Smtp__Security"] = "None",
        };
        await using (var portal = await ServerProcess.StartAsync(portalDll, [], mailEnv))
        {
            var sw = Stopwatch.StartNew();
            while (smtp.Portal().Count < o.Emails && sw.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(100);
        }
        var (count, span) = smtp.Portal();
        var rate = count / Math.Max(span.TotalSeconds, 0.001);
        // The bare loop in a process of its own (the portal is one too: each message crosses processes both ways), then
        // the same loop inside the bench's process, beside the server, as measured before 2026-11-30 (for comparison).
        var (bareCode, _, bareOutput) = await Commands.RunAsync("dotnet",
            [benchDll, "bare-mail", smtp.Port.ToString(CultureInfo.InvariantCulture), o.Emails.ToString(CultureInfo.InvariantCulture)], runtimeEnv);
        if (bareCode != 0) throw new InvalidOperationException("Boucle MailKit nue (processus) : code " + bareCode + "\n" + bareOutput);
        var bareRate = bareOutput.Split('\n').Select(l => double.TryParse(l.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? r : (double?)null)
            .Last(r => r is not null)!.Value;
        var inProcessRate = await Scenarios.BareSendLoopAsync(smtp.Port, o.Emails);
        Console.WriteLine($"  e-mails : {count} reçus en {span.TotalSeconds:F1} s = {rate:F0}/s ; boucle MailKit nue {bareRate:F0}/s (dans le processus du serveur : {inProcessRate:F0}/s)");
        report.Add("Envoi des e-mails (boîte d'envoi → SMTP local)", $"{o.Emails:N0} messages", null, null, null, rate, null,
            $"boucle MailKit nue, processus à part : {bareRate:F0}/s", null, "≥ 100/s", count == o.Emails && rate >= 100, throughputBaseline: bareRate);
        report.Add("  · la même boucle nue dans le processus du serveur SMTP (référence d'avant le 30/11)", "", null, null, null, rate, null,
            $"boucle MailKit nue, même processus : {inProcessRate:F0}/s", null, "—", null, throughputBaseline: inProcessRate);
    }
    // 8. An operation groupée of 20 000 requests through the API, run by the portal's workers (only when --only names it).
    if (o.Names("bulk")) await BulkBench.RunAsync(db, o, report, portalDll, env, managerId, now);
    report.TotalTime = total.Elapsed;
}
finally
{
    if (o.Keep) Console.WriteLine($"--keep : base laissée en place ({(cluster is null ? Path.Combine(work, "guichet.db") : cluster.ConnectionString("guichet_bench"))}).");
    else
    {
        if (cluster is not null) await cluster.DisposeAsync();
        try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

var outputPath = o.Output ?? Path.Combine(repo, "BENCHMARKS.md");
report.Write(outputPath);
Console.WriteLine(report.Table());
Console.WriteLine($"Écrit dans {outputPath} ({total.Elapsed.TotalSeconds:F0} s au total).");
return 0;

/// <summary>Posts one deposit to a fresh portal process (so that its peak memory is the deposit's) and waits for TERMINE.</summary>
static async Task<(TimeSpan Elapsed, long Peak, long Before)> DepositAsync(string portalDll, Dictionary<string, string> env, HttpClient api, byte[] json, string zipPath)
{
    await using var portal = await ServerProcess.StartAsync(portalDll, [], env);
    var before = portal.PeakMemoryBytes();
    var sw = Stopwatch.StartNew();
    using var r = await api.PostAsync($"{portal.BaseUrl}/api/v1/depots", Scenarios.DepositForm(json, zipPath));
    var body = await r.Content.ReadAsStringAsync();
    string statut;
    if (r.StatusCode == HttpStatusCode.Accepted)
    {
        var url = JsonDocument.Parse(body).RootElement.GetProperty("url").GetString()!;
        do
        {
            await Task.Delay(250);
            using var poll = await api.GetAsync(portal.BaseUrl + url);
            body = await poll.Content.ReadAsStringAsync();
            statut = JsonDocument.Parse(body).RootElement.GetProperty("statut").GetString()!;
        } while (statut == "EN_TRAITEMENT" && sw.Elapsed < TimeSpan.FromMinutes(30));
    }
    else statut = r.StatusCode == HttpStatusCode.Created ? "TERMINE" : $"HTTP {(int)r.StatusCode}";
    var elapsed = sw.Elapsed;
    var peak = portal.PeakMemoryBytes();
    if (statut != "TERMINE") throw new InvalidOperationException($"Dépôt non terminé ({statut}) : {body[..Math.Min(body.Length, 800)]}");
    return (elapsed, peak, before);
}

static async Task Verb(string dll, IDictionary<string, string> env, params string[] args)
{
    var (code, elapsed, output) = await Commands.RunAsync("dotnet", [dll, .. args], env);
    if (code != 0) throw new InvalidOperationException($"dotnet Guichet.dll {string.Join(' ', args)} : code {code}\n{output}");
    Console.WriteLine($"  {args[0]} : {elapsed.TotalSeconds:F1} s");
}

static string FindRepo()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Guichet.slnx"))) return dir.FullName;
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Guichet.slnx"))) return dir.FullName;
    throw new InvalidOperationException("Guichet.slnx introuvable : lancez le bench depuis le dépôt.");
}
