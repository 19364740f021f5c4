using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Guichet.Tests.Faults;

/// <summary>
/// A portal that cannot start says so in French and exits with a non-zero code, so that a supervisor (systemd,
/// Kubernetes) sees the failure and restarts it, instead of a silent 0. Runs the real executable, as an operator would.
/// </summary>
[Trait("Category", "Faults")]
public sealed class StartupTests(ITestOutputHelper output)
{
    // A loopback port where nothing listens: every connection is refused at once.
    private static int ClosedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string Unreachable() =>
        $"Host=127.0.0.1;Port={ClosedPort()};Username=postgres;Database=guichet;Timeout=5";

    private async Task<(int ExitCode, string Output)> RunAsync(Dictionary<string, string> settings, params string[] args)
    {
        var folder = Path.Combine(Path.GetTempPath(), "guichet-start-" + Guid.NewGuid().ToString("N")[..8]);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Guichet.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        psi.Environment["Storage__Path"] = Path.Combine(folder, "pieces");
        psi.Environment["Email__PickupDirectory"] = Path.Combine(folder, "mail");
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings) psi.Environment[key] = value;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("Le portail ne s'est pas arrêté en 60 s : " + await stdout + await stderr);
        }
        var text = await stdout + await stderr;
        output.WriteLine($"Code de sortie {process.ExitCode} en {watch.ElapsedMilliseconds} ms :\n{text}");
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return (process.ExitCode, text);
    }

    [Fact]
    public async Task Migrations_on_an_unreachable_database_stop_the_start_with_a_non_zero_code_and_a_French_line()
    {
        var (code, text) = await RunAsync(new()
        {
            ["Database__Provider"] = "Postgres", ["ConnectionStrings__Guichet"] = Unreachable(), ["Database__MigrateOnStart"] = "true",
        });
        Assert.NotEqual(0, code);
        Assert.Contains("Démarrage impossible", text);
        Assert.Contains("base de données", text);
    }

    [Fact]
    public async Task Invalid_options_stop_the_start_with_a_non_zero_code_and_a_French_line()
    {
        var (code, text) = await RunAsync(new()
        {
            ["Database__Provider"] = "Postgres", ["ConnectionStrings__Guichet"] = Unreachable(), ["Deadlines__IntervalSeconds"] = "1",
            ["Deadlines__BatchSize"] = "0",
        });
        Assert.NotEqual(0, code);
        Assert.Contains("Démarrage impossible", text);
        Assert.Contains("Deadlines:IntervalSeconds doit être compris entre 5 et 86 400 secondes.", text);
        Assert.Contains("Deadlines:BatchSize doit être compris entre 1 et 5 000.", text);
    }

    [Fact]
    public async Task A_negative_number_of_deposit_takeovers_stops_the_start_with_a_French_line()
    {
        var (code, text) = await RunAsync(new()
        {
            ["Database__Provider"] = "Postgres", ["ConnectionStrings__Guichet"] = Unreachable(), ["Deposits__MaxTakeovers"] = "-1",
        });
        Assert.NotEqual(0, code);
        Assert.Contains("Démarrage impossible", text);
        Assert.Contains("Configuration Deposits invalide", text);
        Assert.Contains("MaxTakeovers", text);
    }

    [Fact]
    public async Task Zero_email_connections_stop_the_start_with_a_French_line()
    {
        var (code, text) = await RunAsync(new()
        {
            ["Database__Provider"] = "Postgres", ["ConnectionStrings__Guichet"] = Unreachable(), ["Email__Dispatch__Connections"] = "0",
        });
        Assert.NotEqual(0, code);
        Assert.Contains("Démarrage impossible", text);
        Assert.Contains("Email:Dispatch:Connections doit être compris entre 1 et 32.", text);
    }

    [Fact]
    public async Task A_security_journal_retention_of_zero_days_stops_the_start_with_a_French_line()
    {
        var (code, text) = await RunAsync(new()
        {
            ["Database__Provider"] = "Postgres", ["ConnectionStrings__Guichet"] = Unreachable(), ["SecurityJournal__RetentionDays"] = "0",
        });
        Assert.NotEqual(0, code);
        Assert.Contains("Démarrage impossible", text);
        Assert.Contains("SecurityJournal:RetentionDays doit être compris entre 1 et 36 500 jours.", text);
    }

    [Fact]
    public async Task A_wrong_proxy_address_stops_the_start_with_a_French_line()
    {
        var (code, text) = await RunAsync(new()
        {
            ["Database__Provider"] = "Postgres", ["ConnectionStrings__Guichet"] = Unreachable(),
            ["ReverseProxy__KnownProxies__0"] = "10.0.0.300", ["ReverseProxy__KnownNetworks__0"] = "10.0.0.0",
        });
        Assert.NotEqual(0, code);
        Assert.Contains("Démarrage impossible", text);
        Assert.Contains("ReverseProxy:KnownProxies : « 10.0.0.300 » n'est pas une adresse IP.", text);
        Assert.Contains("ReverseProxy:KnownNetworks : « 10.0.0.0 » n'est pas un réseau CIDR", text);
    }

    [Fact]
    public async Task S3_storage_without_its_bucket_stops_the_start_with_a_French_line()
    {
        var (code, text) = await RunAsync(new()
        {
            ["Database__Provider"] = "Postgres", ["ConnectionStrings__Guichet"] = Unreachable(),
            ["Storage__Provider"] = "S3", ["Storage__S3__ServiceUrl"] = "http://127.0.0.1:9000", ["Storage__S3__AccessKey"] = "cle",
        });
        Assert.NotEqual(0, code);
        Assert.Contains("Démarrage impossible", text);
        Assert.Contains("Storage:S3:Bucket (nom du compartiment) est requis quand Storage:Provider vaut S3.", text);
        Assert.Contains("Storage:S3:AccessKey et Storage:S3:SecretKey vont ensemble", text);
    }

    [Fact]
    public async Task The_migrate_verb_on_an_unreachable_database_exits_non_zero_with_a_French_line()
    {
        var (code, text) = await RunAsync(new()
        {
            ["Database__Provider"] = "Postgres", ["ConnectionStrings__Guichet"] = Unreachable(),
        }, "migrate");
        Assert.NotEqual(0, code);
        Assert.Contains("base de données", text);
    }
}
