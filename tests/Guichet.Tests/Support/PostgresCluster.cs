using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Guichet.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL cluster started from the machine's binaries for the whole test run (initdb + pg_ctl on
/// 127.0.0.1 and a free port, as the postgres user when running as root), stopped and deleted at the end.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private string _root = "";
    private string[] _as = [];
    private string _bin = "";
    public int Port { get; private set; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20;Include Error Detail=true";

    public async ValueTask InitializeAsync()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)).LastOrDefault() is { } dir
            ? Path.Combine(dir, "bin")
            : throw new InvalidOperationException("PostgreSQL n'est pas installé (/usr/lib/postgresql/*/bin) : lancez ./test.sh, qui l'installe.");
        var isRoot = Environment.UserName == "root";
        _root = Path.Combine(Path.GetTempPath(), "guichet-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(_root, "sock"));
        if (isRoot)
        {
            await Run("/bin/sh", "-c", "id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres");
            await Run("chown", "-R", "postgres:", _root);
            await Run("chmod", "755", _root);
            _as = ["runuser", "-u", "postgres", "--"];
        }
        Port = FreePort();
        await RunAs(Path.Combine(_bin, "initdb"), "-D", Path.Combine(_root, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
        await RunAs(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-l", Path.Combine(_root, "server.log"), "-w", "-o",
            $"-h 127.0.0.1 -p {Port} -k {Path.Combine(_root, "sock")} -F -c max_connections=300 -c shared_buffers=64MB", "start");
    }

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
        try { await RunAs(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"); }
        finally { try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
    }

    private Task RunAs(string file, params string[] args) => _as.Length == 0 ? Run(file, args) : Run(_as[0], [.. _as[1..], file, .. args]);

    private static async Task Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} a échoué ({p.ExitCode}) : {await stderr}{await stdout}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
