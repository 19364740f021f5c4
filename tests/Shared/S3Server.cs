using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Guichet.Testing;

/// <summary>
/// A throwaway S3-compatible server: the npm package s3rver (pinned in tools/s3rver, installed by <c>npm ci</c> in
/// test.sh) on 127.0.0.1 and a free port, a fresh data folder, one bucket, path-style addresses, its fixed credentials
/// S3RVER/S3RVER. One source file without a test framework, like <see cref="PostgresCluster"/>.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private string _root = "";
    private Process? _process;
    private readonly StringBuilder _log = new();

    public int Port { get; private set; }

    /// <summary>What the server logged: one line per request (method, path and query, status).</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }
    public string Bucket { get; private set; } = "";
    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The portal's settings for this server, as « Section:Key ».</summary>
    public IEnumerable<(string Key, string Value)> Settings() =>
    [
        ("Storage:Provider", "S3"), ("Storage:S3:ServiceUrl", ServiceUrl), ("Storage:S3:Bucket", Bucket), ("Storage:S3:Region", "us-east-1"),
        ("Storage:S3:AccessKey", AccessKey), ("Storage:S3:SecretKey", SecretKey), ("Storage:S3:ForcePathStyle", "true"),
        ("Storage:S3:PartSizeMegabytes", "5"),
    ];

    /// <summary>Whether tools/s3rver is installed (the bench checks before it generates its data).</summary>
    public static bool IsInstalled => FindScript() is not null;

    /// <summary>Starts s3rver with the bucket <paramref name="bucket"/> and waits until it answers.</summary>
    public static async Task<S3Server> StartAsync(string folderPrefix, string bucket, string missing)
    {
        var script = FindScript() ?? throw new InvalidOperationException(
            $"s3rver n'est pas installé (tools/s3rver/node_modules) : {missing} (ou « npm ci » dans tools/s3rver).");
        var server = new S3Server
        {
            _script = script, _root = Path.Combine(Path.GetTempPath(), folderPrefix + Guid.NewGuid().ToString("N")[..8]), Bucket = bucket, Port = FreePort(),
        };
        Directory.CreateDirectory(server._root);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Whether the server process runs (false between <see cref="StopAsync"/> and <see cref="StartAgainAsync"/>).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Kills the server (SIGKILL, as a crash): its port refuses connections until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the server again on the same port and data folder (its objects are still there) and waits until it answers.</summary>
    public Task StartAgainAsync()
    {
        if (IsRunning) return Task.CompletedTask;
        ForgetCutWrites();
        return LaunchAsync();
    }

    /// <summary>
    /// A write that S3 never finished is not an object. s3rver is not atomic: killed while it wrote an object's metadata, it
    /// leaves a cut JSON file and then answers 500 to every listing of the bucket. Such objects are removed before it starts
    /// again, as if the write had never happened.
    /// </summary>
    private void ForgetCutWrites()
    {
        const string suffix = "._S3rver_metadata.json";
        foreach (var metadata in Directory.EnumerateFiles(_root, "*" + suffix, SearchOption.AllDirectories).ToList())
        {
            try
            {
                using (System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(metadata))) { }
            }
            catch (System.Text.Json.JsonException)
            {
                var stem = metadata[..^suffix.Length];
                foreach (var part in new[] { suffix, "._S3rver_object", "._S3rver_object.md5" })
                    File.Delete(stem + part);
            }
        }
    }

    private string _script = "";

    private async Task LaunchAsync()
    {
        var psi = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { _script, "-d", _root, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-a", "127.0.0.1", "--configure-bucket", Bucket })
            psi.ArgumentList.Add(arg);
        // s3rver's continuation tokens (a list of more than a page) use DES, which Node 17+ keeps in OpenSSL's legacy provider.
        psi.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        var process = Process.Start(psi)!;
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(30);
        using var client = Client();
        while (true)
        {
            try
            {
                await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, MaxKeys = 1 });
                return;
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or SocketException)
            {
                if (process.HasExited || DateTime.UtcNow > until)
                {
                    var log = Log;
                    await DisposeAsync();
                    throw new InvalidOperationException($"s3rver n'a pas répondu : {e.Message} {log}");
                }
                await Task.Delay(200);
            }
        }
    }

    /// <summary>A client of this server, to look at the bucket as the test's own witness.</summary>
    public AmazonS3Client Client() => new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
    {
        ServiceURL = ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Every object of the bucket under <paramref name="prefix"/>: key and size.</summary>
    /// <remarks>s3rver answers 500 when an object goes while it lists (the portal's purge): the list is then read again.</remarks>
    public async Task<List<(string Key, long Size)>> ObjectsAsync(string prefix = "")
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await ListAsync(prefix); }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.InternalServerError && attempt < 30) { await Task.Delay(300); }
        }
    }

    private async Task<List<(string Key, long Size)>> ListAsync(string prefix)
    {
        using var client = Client();
        var all = new List<(string, long)>();
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        while (true)
        {
            var page = await client.ListObjectsV2Async(request);
            all.AddRange((page.S3Objects ?? []).Select(o => (o.Key, o.Size ?? 0)));
            if (page.IsTruncated != true) return all;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>The content of one object.</summary>
    public async Task<byte[]> ReadAsync(string key)
    {
        using var client = Client();
        using var response = await client.GetObjectAsync(Bucket, key);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");
            if (File.Exists(script)) return script;
        }
        return null;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
