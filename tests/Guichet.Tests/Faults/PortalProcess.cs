using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Guichet.Tests.Faults;

/// <summary>
/// The portal as an operator runs it: <c>dotnet Guichet.dll</c> in its own process on a loopback port, with its database,
/// storage folder and settings given by environment variables, so that a test can kill it (SIGKILL) and start it again.
/// The deposit timings are short (heartbeat 1 s, takeover after 4 s, orphan files after 8 s) so that recovery is seen quickly.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private PortalProcess(Process process, int port)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The environment of the portal and its verbs, on this database and folder, and this bucket if <paramref name="s3"/> is given.</summary>
    public static Dictionary<string, string> Environment(string provider, string connectionString, string folder, Guichet.Testing.S3Server? s3 = null)
    {
        var environment = Environment(provider, connectionString, folder);
        foreach (var (key, value) in s3?.Settings() ?? []) environment[key.Replace(":", "__")] = value;
        return environment;
    }

    private static Dictionary<string, string> Environment(string provider, string connectionString, string folder) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Testing",
        ["Database__Provider"] = provider,
        ["ConnectionStrings__Guichet"] = connectionString,
        ["Database__MigrateOnStart"] = "true",
        ["Demo__SeedOnStart"] = "true",
        ["Storage__Path"] = Path.Combine(folder, "pieces"),
        ["Email__PickupDirectory"] = Path.Combine(folder, "mail"),
        ["Workers__Enabled"] = "false",
        ["Deposits__HeartbeatSeconds"] = "1",
        ["Deposits__StaleAfterSeconds"] = "4",
        ["Deposits__CheckSeconds"] = "1",
        ["Deposits__OrphanFilesAfterSeconds"] = "8",
        ["Deposits__PurgeEverySeconds"] = "2",
        ["RateLimits__Enabled"] = "false", // the scenarios poll a job every 20 ms, beyond RateLimits:ApiPerUser
        ["TwoFactor__RequiredForAgency"] = "false", // Production's default is on; the scenarios sign in as demo agency accounts
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "None",
    };

    private static readonly TimeSpan StartupBound = TimeSpan.FromSeconds(180);

    public static async Task<PortalProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var port = FreePort();
        var psi = Psi(environment);
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        var portal = Start(psi, port);
        using var http = new HttpClient { BaseAddress = portal.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        // Generous: at the start of a CI run both test assemblies start clusters and processes on 2 cores at once, and a
        // fresh portal (migrations, demo accounts, JIT) once took more than 60 s to answer there. A hung portal still fails.
        var until = DateTime.UtcNow.Add(StartupBound);
        while (DateTime.UtcNow < until)
        {
            if (portal.HasExited) throw new InvalidOperationException($"Le portail s'est arrêté au démarrage ({portal.ExitCode}) : {portal.Log}");
            try
            {
                if ((await http.GetAsync("/health")).IsSuccessStatusCode) return portal;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        await portal.DisposeAsync();
        throw new TimeoutException($"Le portail n'a pas répondu en {StartupBound.TotalSeconds} s : " + portal.Log);
    }

    /// <summary>An administration verb started in its own process, for a test to kill it in its middle (it listens on no port).</summary>
    public static PortalProcess StartVerb(IReadOnlyDictionary<string, string> environment, string verb)
    {
        var psi = Psi(environment);
        psi.ArgumentList.Add(verb);
        return Start(psi, 0);
    }

    private static PortalProcess Start(ProcessStartInfo psi, int port)
    {
        var portal = new PortalProcess(new Process { StartInfo = psi }, port);
        portal._process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (portal._log) portal._log.AppendLine(e.Data); };
        portal._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (portal._log) portal._log.AppendLine(e.Data); };
        portal._process.Start();
        portal._process.BeginOutputReadLine();
        portal._process.BeginErrorReadLine();
        return portal;
    }

    /// <summary>An administration verb on the same database and folders, as an operator would run it.</summary>
    public static async Task<(int ExitCode, string Output)> VerbAsync(IReadOnlyDictionary<string, string> environment, string verb)
    {
        var psi = Psi(environment);
        psi.ArgumentList.Add(verb);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(bound.Token);
        return (process.ExitCode, await output + await error);
    }

    private static ProcessStartInfo Psi(IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("dotnet")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        // GUICHET_FAULTS_PORTAL: the Guichet.dll of another build (e.g. an older commit), to show a fault it did not survive.
        psi.ArgumentList.Add(System.Environment.GetEnvironmentVariable("GUICHET_FAULTS_PORTAL") ?? Path.Combine(AppContext.BaseDirectory, "Guichet.dll"));
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        return psi;
    }

    public HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>SIGKILL: no shutdown, no finally, no flush — as a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
