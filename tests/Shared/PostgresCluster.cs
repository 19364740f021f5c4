using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Guichet.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster started from the machine's binaries (initdb + pg_ctl on 127.0.0.1 and a free port, as
/// the postgres user when running as root), stopped and deleted at the end. One source file, compiled into the tests
/// and into the bench (linked by their .csproj): it depends on Npgsql only, never on a test framework.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _connectionOptions;
    private string _root = "";
    private string[] _as = [];
    private string _bin = "";
    private string _serverOptions = "";

    private PostgresCluster(string connectionOptions) => _connectionOptions = connectionOptions;

    public int Port { get; private set; }

    /// <summary>What <c>postgres --version</c> says.</summary>
    public string Version { get; private set; } = "";

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Include Error Detail=true;{_connectionOptions}";

    /// <summary>
    /// Starts a cluster in a new temporary folder named after <paramref name="folderPrefix"/>.
    /// </summary>
    /// <param name="serverOptions">Extra <c>postgres</c> options, e.g. <c>-c max_connections=300 -c shared_buffers=64MB</c>.</param>
    /// <param name="connectionOptions">Extra connection string keywords, e.g. <c>Pooling=true;Maximum Pool Size=20</c>.</param>
    /// <param name="missing">The message when PostgreSQL is not installed: how to install it for this caller.</param>
    public static async Task<PostgresCluster> StartAsync(string folderPrefix, string serverOptions, string connectionOptions, string missing)
    {
        var c = new PostgresCluster(connectionOptions);
        c._bin = Directory.Exists("/usr/lib/postgresql")
            && Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => System.Version.TryParse(Path.GetFileName(d), out var v) ? v : new System.Version(0, 0)).LastOrDefault() is { } dir
            ? Path.Combine(dir, "bin")
            : throw new InvalidOperationException($"PostgreSQL n'est pas installé (/usr/lib/postgresql/*/bin) : {missing}");
        c._root = Path.Combine(Path.GetTempPath(), folderPrefix + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(c._root, "sock"));
        if (Environment.UserName == "root")
        {
            await Run("/bin/sh", "-c", "id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres");
            await Run("chown", "-R", "postgres:", c._root);
            await Run("chmod", "755", c._root);
            c._as = ["runuser", "-u", "postgres", "--"];
        }
        c.Port = FreePort();
        c._serverOptions = serverOptions;
        await c.RunAs(Path.Combine(c._bin, "initdb"), "-D", Path.Combine(c._root, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
        await c.StartServerAsync();
        c.Version = (await Run(Path.Combine(c._bin, "postgres"), "--version")).Trim();
        return c;
    }

    /// <summary>Creates the database <paramref name="name"/> and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>
    /// Stops the server as an outage would (<paramref name="mode"/> <c>immediate</c>: no clean shutdown, like a crash;
    /// <c>fast</c>: sessions ended), keeping its data; <see cref="StartAgainAsync"/> brings it back on the same port.
    /// </summary>
    public Task StopAsync(string mode = "immediate") =>
        RunAs(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-m", mode, "-w", "stop");

    /// <summary>Starts the server stopped by <see cref="StopAsync"/> again, with its data, on the same port.</summary>
    public Task StartAgainAsync() => StartServerAsync();

    private Task StartServerAsync() =>
        RunAs(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-l", Path.Combine(_root, "server.log"), "-w", "-o",
            $"-h 127.0.0.1 -p {Port} -k {Path.Combine(_root, "sock")} -F {_serverOptions}", "start");

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_root.Length == 0) return;
        try { await RunAs(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop"); }
        finally { try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
    }

    private Task<string> RunAs(string file, params string[] args) => _as.Length == 0 ? Run(file, args) : Run(_as[0], [.. _as[1..], file, .. args]);

    /// <summary>Runs a command to its end; its output, or an exception with it when it fails.</summary>
    private static async Task<string> Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} a échoué ({p.ExitCode}) : {await stderr}{await stdout}");
        return await stdout;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
