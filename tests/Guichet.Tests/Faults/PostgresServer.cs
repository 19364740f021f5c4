using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Guichet.Tests.Faults;

/// <summary>
/// A throwaway PostgreSQL cluster of its own (initdb + pg_ctl on 127.0.0.1, as the postgres user when running as root),
/// which a fault test may stop and start again while the portal runs; deleted at the end.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private string _root = "";
    private string _bin = "";
    private string[] _as = [];
    public int Port { get; private set; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=5;Command Timeout=30";

    public static async Task<PostgresServer> StartAsync()
    {
        var s = new PostgresServer();
        s._bin = Directory.Exists("/usr/lib/postgresql")
            && Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)).LastOrDefault() is { } dir
            ? Path.Combine(dir, "bin")
            : throw new InvalidOperationException("PostgreSQL n'est pas installé (/usr/lib/postgresql/*/bin) : lancez ./test.sh, qui l'installe.");
        s._root = Path.Combine(Path.GetTempPath(), "guichet-faults-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(s._root, "sock"));
        if (Environment.UserName == "root")
        {
            await Run("/bin/sh", "-c", "id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres");
            await Run("chown", "-R", "postgres:", s._root);
            await Run("chmod", "755", s._root);
            s._as = ["runuser", "-u", "postgres", "--"];
        }
        s.Port = FreePort();
        await s.RunAs(Path.Combine(s._bin, "initdb"), "-D", Path.Combine(s._root, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
        await s.StartAgainAsync();
        return s;
    }

    public Task StartAgainAsync() => RunAs(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-l", Path.Combine(_root, "server.log"), "-w", "-o",
        $"-h 127.0.0.1 -p {Port} -k {Path.Combine(_root, "sock")} -F -c max_connections=100 -c shared_buffers=32MB", "start");

    /// <summary>Stops the server at once (« immediate »: connections are cut, as when the database host goes away).</summary>
    public Task StopAsync() => RunAs(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop");

    public async Task<string> CreateDatabaseAsync()
    {
        var name = "guichet_" + Guid.NewGuid().ToString("N")[..12];
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_root.Length == 0) return;
        try { await StopAsync(); } catch (InvalidOperationException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private Task<string> RunAs(string file, params string[] args) => _as.Length == 0 ? Run(file, args) : Run(_as[0], [.. _as[1..], file, .. args]);

    private static async Task<string> Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} a échoué ({p.ExitCode}) : {await stderr}{await stdout}");
        return await stdout;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
