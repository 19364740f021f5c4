using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.S3;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Guichet.Tests.Faults;

/// <summary>
/// The S3 store against a service having a bad day — answering 503 « SlowDown », silent past the timeout, refusing
/// connections — gives up after two retries with <see cref="StorageUnavailableException"/> (a French 503 that does not blame
/// the database); a refusal of the credentials is no outage and stays an error.
/// </summary>
[Trait("Category", "Faults")]
public sealed class StorageFailureClassificationTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "guichet-s3class-" + Guid.NewGuid().ToString("N")[..8]);
    private const string Key = "0123456789abcdef0123456789abcdef";

    private S3AttachmentStore Store(int port, int timeoutSeconds = 60) => new(
        Microsoft.Extensions.Options.Options.Create(new StorageOptions
        {
            Provider = StorageProvider.S3, Path = _folder,
            S3 = new S3StorageOptions
            {
                Bucket = "pieces", ServiceUrl = $"http://127.0.0.1:{port}", Region = "us-east-1", AccessKey = "K", SecretKey = "S",
                ForcePathStyle = true, PartSizeMegabytes = 5, TimeoutSeconds = timeoutSeconds,
            },
        }),
        new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { ContentRootPath = _folder }, NullLogger<S3AttachmentStore>.Instance);

    [Fact]
    public async Task A_service_answering_503_SlowDown_is_a_storage_outage_after_two_retries()
    {
        await using var service = FakeService.Answering(503, "SlowDown", "Please reduce your request rate.");
        using var store = Store(service.Port);

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.OpenReadAsync(Key));

        Assert.Equal(3, service.Requests); // the first try and two retries, no more
        Assert.Contains("SlowDown", error.Detail);
        Assert.Equal((503, StorageUnavailableException.Text), ErrorHandling.Classify(error));
    }

    [Fact]
    public async Task A_service_silent_past_its_timeout_is_a_storage_outage_not_a_database_outage()
    {
        await using var service = FakeService.Silent();
        using var store = Store(service.Port, timeoutSeconds: 1);

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.ExistsAsync(Key));

        Assert.Equal(3, service.Requests);
        var (status, message) = ErrorHandling.Classify(error);
        Assert.Equal(503, status);
        Assert.Equal(StorageUnavailableException.Text, message);
        Assert.NotEqual(TransientFailures.Message, message);
    }

    [Fact]
    public async Task A_service_refusing_connections_is_a_storage_outage()
    {
        using var store = Store(Guichet.Testing.ClamdServer.ClosedPort());
        using var content = new MemoryStream(Encoding.UTF8.GetBytes("%PDF-1.4"));

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.SaveAsync(content));

        Assert.Contains("envoi d'une pièce", error.Detail);
        Assert.Equal(503, ErrorHandling.Classify(error).Status);
    }

    [Fact]
    public async Task A_service_refusing_the_credentials_is_not_an_outage_and_stays_an_error()
    {
        await using var service = FakeService.Answering(403, "AccessDenied", "Access Denied");
        using var store = Store(service.Port);

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => store.OpenReadAsync(Key));

        Assert.Equal(1, service.Requests); // not retried
        Assert.Equal(500, ErrorHandling.Classify(error).Status);
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>A loopback HTTP service that answers every request with one S3 error, or accepts connections and never answers.</summary>
    private sealed class FakeService : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _held = [];
        private readonly Task _loop;
        private int _requests;

        private FakeService(int? status, string code, string message)
        {
            _listener.Start();
            _loop = Task.Run(() => AcceptAsync(status, code, message));
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Requests => Volatile.Read(ref _requests);

        public static FakeService Answering(int status, string code, string message) => new(status, code, message);
        public static FakeService Silent() => new(null, "", "");

        private async Task AcceptAsync(int? status, string code, string message)
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_held) _held.Add(client);
                    _ = Task.Run(() => ServeAsync(client, status, code, message));
                }
            }
            catch (OperationCanceledException) { }
            catch (SocketException) { }
        }

        private async Task ServeAsync(TcpClient client, int? status, string code, string message)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0) return;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
                Interlocked.Increment(ref _requests);
                if (status is null) return; // silent: the connection stays open, nothing is said
                var body = Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>1</RequestId></Error>");
                var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {code}\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(answer, _stop.Token);
                await stream.WriteAsync(body, _stop.Token);
                client.Close();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            lock (_held) foreach (var c in _held) c.Dispose();
            _stop.Dispose();
        }
    }
}
