using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;

namespace Guichet.Antivirus;

/// <summary>
/// ClamAV's daemon over INSTREAM: « zINSTREAM\0 », then the file in chunks each prefixed by its 4-byte big-endian length, then
/// a zero length; clamd answers « stream: OK » or « stream: &lt;signature&gt; FOUND ». Streamed: one pooled chunk in memory.
/// One connection per file (clamd closes it after the answer).
/// </summary>
public sealed class ClamAvScanner(IOptions<AntivirusOptions> options, ILogger<ClamAvScanner> logger)
{
    private readonly AntivirusOptions _options = options.Value;

    public bool Enabled => _options.Enabled;

    /// <summary>The endpoint, as the log and the administration say it.</summary>
    public string Endpoint => !string.IsNullOrWhiteSpace(_options.Socket) ? $"unix:{_options.Socket}" : $"{_options.Host}:{_options.Port}";

    /// <summary>
    /// Scans <paramref name="content"/> read to its end. Without a scanner configured, returns <see cref="ScanVerdict.NotScanned"/>
    /// without reading. Throws <see cref="ScannerUnavailableException"/> when the scanner cannot give a verdict.
    /// </summary>
    public async Task<ScanVerdict> ScanAsync(Stream content, CancellationToken ct)
    {
        if (!Enabled) return ScanVerdict.NotScanned;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        string answer;
        try
        {
            using var socket = await ConnectAsync(timeout.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync("zINSTREAM\0"u8.ToArray(), timeout.Token);
            var buffer = ArrayPool<byte>.Shared.Rent(_options.ChunkBytes + 4);
            try
            {
                int read;
                while ((read = await ReadChunkAsync(content, buffer.AsMemory(4, _options.ChunkBytes), ct)) > 0)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)read);
                    await stream.WriteAsync(buffer.AsMemory(0, read + 4), timeout.Token);
                }
                BinaryPrimitives.WriteUInt32BigEndian(buffer, 0);
                await stream.WriteAsync(buffer.AsMemory(0, 4), timeout.Token);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            answer = await ReadAnswerAsync(stream, timeout.Token);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw Unavailable($"pas de réponse en {_options.TimeoutSeconds} s", e);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            // clamd closes the connection when the stream passes its StreamMaxLength, sometimes before its answer is read.
            throw Unavailable(e.Message, e);
        }
        var verdict = Parse(answer) ?? throw Unavailable($"réponse inattendue « {answer} »", null);
        Telemetry.GuichetTelemetry.Scanned(verdict.Infected ? "infected" : "clean");
        return verdict;
    }

    /// <summary>
    /// « zPING\0 », answered « PONG » by a live clamd (the readiness check): throws <see cref="ScannerUnavailableException"/>
    /// otherwise, within <paramref name="timeout"/>. Without a scanner configured there is nothing to ask.
    /// </summary>
    public async Task PingAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (!Enabled) return;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        string answer;
        try
        {
            using var socket = await ConnectAsync(limit.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync("zPING\0"u8.ToArray(), limit.Token);
            answer = await ReadAnswerAsync(stream, limit.Token);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new ScannerUnavailableException($"pas de réponse en {timeout.TotalSeconds:0.#} s", e);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new ScannerUnavailableException(e.Message, e);
        }
        if (answer.TrimEnd('\0', '\n', '\r', ' ') != "PONG") throw new ScannerUnavailableException($"réponse inattendue « {answer} »");
    }

    /// <summary>Scans a seekable stream from its start and puts it back there, for the caller to store it next.</summary>
    public async Task<ScanVerdict> ScanAndRewindAsync(Stream content, CancellationToken ct)
    {
        content.Position = 0;
        var verdict = await ScanAsync(content, ct);
        content.Position = 0;
        return verdict;
    }

    /// <summary>« stream: OK » is clean, « stream: X FOUND » is infected with X (« .UNOFFICIAL » dropped); anything else is null.</summary>
    public static ScanVerdict? Parse(string answer)
    {
        var text = answer.TrimEnd('\0', '\n', '\r', ' ');
        if (text.StartsWith("stream: ", StringComparison.Ordinal)) text = text["stream: ".Length..];
        if (text == "OK") return ScanVerdict.Clean;
        if (!text.EndsWith(" FOUND", StringComparison.Ordinal)) return null;
        var signature = text[..^" FOUND".Length].Trim();
        if (signature.EndsWith(".UNOFFICIAL", StringComparison.Ordinal)) signature = signature[..^".UNOFFICIAL".Length];
        return signature.Length == 0 ? null : new ScanVerdict(true, signature);
    }

    private ScannerUnavailableException Unavailable(string detail, Exception? inner)
    {
        logger.LogWarning("Analyse antivirus indisponible ({Endpoint}) : {Detail}", Endpoint, detail);
        Telemetry.GuichetTelemetry.Scanned("unavailable");
        return new ScannerUnavailableException(detail, inner);
    }

    private async Task<Socket> ConnectAsync(CancellationToken ct)
    {
        var unix = !string.IsNullOrWhiteSpace(_options.Socket);
        var socket = unix ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (unix) await socket.ConnectAsync(new UnixDomainSocketEndPoint(_options.Socket!), ct);
            else await socket.ConnectAsync(_options.Host!, _options.Port, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // Fills the chunk as far as the content allows, so that small reads (a ZIP entry's inflater) do not make tiny chunks.
    private static async Task<int> ReadChunkAsync(Stream content, Memory<byte> chunk, CancellationToken ct)
    {
        var total = 0;
        while (total < chunk.Length)
        {
            var read = await content.ReadAsync(chunk[total..], ct);
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    // The answer ends with a NUL (the « z » prefix) or when clamd closes the connection; it is one short line.
    private static async Task<string> ReadAnswerAsync(NetworkStream stream, CancellationToken ct)
    {
        var bytes = new List<byte>(64);
        var one = new byte[256];
        while (bytes.Count < 4096)
        {
            var read = await stream.ReadAsync(one, ct);
            if (read == 0) break;
            for (var i = 0; i < read; i++)
            {
                if (one[i] == 0) return Encoding.UTF8.GetString(bytes.ToArray());
                bytes.Add(one[i]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
