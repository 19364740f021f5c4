using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Guichet.Testing;

/// <summary>
/// A throwaway ClamAV daemon (<c>clamd</c> of the Debian package clamav-daemon) on 127.0.0.1 and a free port, with a
/// signature database written here — the official one needs the internet (freshclam). Its signatures: the EICAR test
/// string (<see cref="EicarSignature"/>) and one of Guichet's own (<see cref="MarkerSignature"/> matches <see cref="Marker"/>).
/// One source file without a test framework, like <see cref="PostgresCluster"/>.
/// </summary>
public sealed class ClamdServer : IAsyncDisposable
{
    public const string EicarSignature = "Guichet.Test.EICAR";
    public const string MarkerSignature = "Guichet.Test.Marqueur";
    /// <summary>Any file holding these bytes is « infected » with <see cref="MarkerSignature"/>.</summary>
    public const string Marker = "GUICHET-TEST-CONTENU-MALVEILLANT-7f3a";

    /// <summary>The EICAR anti-virus test string, built in two halves so that this source file is not itself flagged.</summary>
    public static readonly byte[] Eicar = Encoding.ASCII.GetBytes(@"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");

    private string _root = "";
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>The daemon's configuration file; <c>clamdscan --config-file=…</c> finds the daemon through it.</summary>
    public string ConfigFile => Path.Combine(_root, "clamd.conf");

    /// <summary>Starts clamd and waits until it answers PING (loading a tiny database takes a few seconds).</summary>
    /// <summary>Whether this machine has clamd (the bench checks before it generates its data).</summary>
    public static bool IsInstalled => Daemons.Any(File.Exists);

    private static readonly string[] Daemons = ["/usr/sbin/clamd", "/usr/bin/clamd"];

    public static async Task<ClamdServer> StartAsync(string folderPrefix, string missing)
    {
        var clamd = Daemons.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"clamd n'est pas installé (paquet clamav-daemon) : {missing}");
        var server = new ClamdServer { _root = Path.Combine(Path.GetTempPath(), folderPrefix + Guid.NewGuid().ToString("N")[..8]) };
        var db = Path.Combine(server._root, "db");
        Directory.CreateDirectory(db);
        // An .ndb line is name:target type (0 = any file):offset (* = anywhere):hex bytes.
        await File.WriteAllTextAsync(Path.Combine(db, "guichet-test.ndb"),
            $"{EicarSignature}:0:*:{Convert.ToHexStringLower(Eicar)}\n{MarkerSignature}:0:*:{Convert.ToHexStringLower(Encoding.ASCII.GetBytes(Marker))}\n");
        server.Port = FreePort();
        var conf = Path.Combine(server._root, "clamd.conf");
        await File.WriteAllTextAsync(conf, $"""
            DatabaseDirectory {db}
            TCPSocket {server.Port}
            TCPAddr 127.0.0.1
            Foreground yes
            LogFile {Path.Combine(server._root, "clamd.log")}
            PidFile {Path.Combine(server._root, "clamd.pid")}
            StreamMaxLength 100M
            MaxThreads 4

            """);
        var psi = new ProcessStartInfo(clamd) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--config-file=" + conf);
        server._process = Process.Start(psi)!;
        server._process.OutputDataReceived += (_, _) => { };
        server._process.ErrorDataReceived += (_, _) => { };
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!await server.PingAsync())
        {
            if (server._process.HasExited || DateTime.UtcNow > until)
            {
                var log = File.Exists(Path.Combine(server._root, "clamd.log")) ? await File.ReadAllTextAsync(Path.Combine(server._root, "clamd.log")) : "";
                await server.DisposeAsync();
                throw new InvalidOperationException($"clamd n'a pas répondu à PING : {log}");
            }
            await Task.Delay(200);
        }
        return server;
    }

    /// <summary>True when clamd answers « PONG ».</summary>
    public async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("zPING\0"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).TrimEnd('\0') == "PONG";
        }
        catch (SocketException) { return false; }
        catch (IOException) { return false; }
    }

    /// <summary>
    /// A signature update: adds <paramref name="name"/> matching <paramref name="bytes"/> anywhere, reloads the database
    /// (« zRELOAD ») and waits until clamd finds it — as freshclam does in production.
    /// </summary>
    public async Task AddSignatureAsync(string name, byte[] bytes)
    {
        await File.WriteAllTextAsync(Path.Combine(_root, "db", name + ".ndb"), $"{name}:0:*:{Convert.ToHexStringLower(bytes)}\n");
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("zRELOAD\0"u8.ToArray());
            var buffer = new byte[64];
            _ = await stream.ReadAsync(buffer);
        }
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!(await ScanAsync(bytes)).Contains(name, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > until) throw new InvalidOperationException($"clamd n'a pas chargé la signature {name}.");
            await Task.Delay(200);
        }
    }

    /// <summary>clamd's answer for <paramref name="content"/> over INSTREAM (empty while it cannot answer, e.g. reloading).</summary>
    public async Task<string> ScanAsync(byte[] content)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("zINSTREAM\0"u8.ToArray());
            var length = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, (uint)content.Length);
            await stream.WriteAsync(length);
            await stream.WriteAsync(content);
            await stream.WriteAsync(new byte[4]);
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).TrimEnd('\0');
        }
        catch (SocketException) { return ""; }
        catch (IOException) { return ""; }
    }

    /// <summary>A port on 127.0.0.1 where nothing listens: a scanner configured there is « unreachable ».</summary>
    public static int ClosedPort() => FreePort();

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try { if (_root.Length > 0) Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
