using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Guichet.Bench;

/// <summary>A server process started by the bench (the portal or the bare host), reachable on loopback, killed by its id at the end.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public string BaseUrl { get; }
    public TimeSpan StartupTime { get; private set; }
    public int Pid => _process.Id;

    private ServerProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public static async Task<ServerProcess> StartAsync(string dll, IEnumerable<string> args, IDictionary<string, string> env, string healthPath = "/health")
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(url);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var watch = Stopwatch.StartNew();
        var process = Process.Start(psi)!;
        var server = new ServerProcess(process, url);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._log) server._log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._log) server._log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (watch.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (process.HasExited) throw new InvalidOperationException($"{Path.GetFileName(dll)} s'est arrêté au démarrage ({process.ExitCode}) :\n{server.Log}");
            try
            {
                using var r = await probe.GetAsync(url + healthPath);
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    server.StartupTime = watch.Elapsed;
                    return server;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(25);
        }
        await server.DisposeAsync();
        throw new TimeoutException($"{Path.GetFileName(dll)} n'a pas répondu sur {healthPath} en 3 minutes.\n{server.Log}");
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Peak resident memory of the process since it started (VmHWM), in bytes.</summary>
    public long PeakMemoryBytes() => ReadStatusKb(_process.Id, "VmHWM:") * 1024;

    public static long ReadStatusKb(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

public static class Commands
{
    /// <summary>
    /// Publishes the portal ReadyToRun as docs/exploitation.md has it delivered, into a folder kept between runs (the publish
    /// is then incremental); returns its Guichet.dll.
    /// </summary>
    public static async Task<string> PublishAsync(string repo, string configuration)
    {
        var folder = Path.Combine(Path.GetTempPath(), "guichet-bench-portail");
        Console.WriteLine($"Publication du portail (ReadyToRun) dans {folder}…");
        var (code, elapsed, output) = await RunAsync("dotnet", ["publish", Path.Combine(repo, "src", "Guichet", "Guichet.csproj"), "-c", configuration,
            "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "--self-contained", "false", "-p:PublishReadyToRun=true",
            "-o", folder], timeout: TimeSpan.FromMinutes(15));
        if (code != 0) throw new InvalidOperationException($"dotnet publish a échoué (code {code}) :\n{output}");
        Console.WriteLine($"  publié en {elapsed.TotalSeconds:F0} s");
        return Path.Combine(folder, "Guichet.dll");
    }

    /// <summary>Runs a command to its end (bounded by <paramref name="timeout"/>); returns its exit code, wall time and output.</summary>
    public static async Task<(int Code, TimeSpan Elapsed, string Output)> RunAsync(string file, IEnumerable<string> args,
        IDictionary<string, string>? env = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(10));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            return (-1, watch.Elapsed, "délai dépassé\n" + await stdout + await stderr);
        }
        var elapsed = watch.Elapsed;
        return (p.ExitCode, elapsed, await stdout + await stderr);
    }
}
