using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Guichet.Tests.Support;

/// <summary>
/// A real SMTP server in-process (NuGet SmtpServer) on a free port; it can refuse a given message a few times, and answer
/// every DATA only after <see cref="DataDelay"/> (a slow relay).
/// </summary>
public sealed class SmtpCatcher : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _failures = new();
    private Task _running = Task.CompletedTask;

    public int Port { get; private set; }
    public ConcurrentQueue<MimeMessage> Received { get; } = new();

    /// <summary>How long the server waits, once a message's data has arrived, before accepting it (a slow relay).</summary>
    public TimeSpan DataDelay { get; set; }

    /// <summary>Answers « 452 » to the message with this Message-ID the next <paramref name="times"/> times.</summary>
    public void Refuse(string messageId, int times) => _failures[messageId] = times;

    public int CountOf(string messageId) => Received.Count(m => m.MessageId == messageId);

    private readonly ConcurrentDictionary<ISessionContext, byte> _sessions = new(ReferenceEqualityComparer.Instance);

    /// <summary>How many SMTP connections delivered at least one message.</summary>
    public int Connections => _sessions.Count;

    /// <summary>Called with each message once its data has arrived, before the server answers (what the sender already recorded).</summary>
    public Func<MimeMessage, Task>? BeforeAnswer { get; set; }

    public static async Task<SmtpCatcher> StartAsync()
    {
        var catcher = new SmtpCatcher { Port = FreePort() };
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, catcher.Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(catcher));
        catcher._running = new SmtpServer.SmtpServer(options, services).StartAsync(catcher._stop.Token);
        for (var i = 0; i < 50; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, catcher.Port);
                return catcher;
            }
            catch (SocketException) { await Task.Delay(50); }
        }
        throw new InvalidOperationException("Le serveur SMTP de test n'a pas démarré.");
    }

    private sealed class Store(SmtpCatcher catcher) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken ct)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = MimeMessage.Load(stream, ct);
            catcher._sessions.TryAdd(context, 0);
            if (catcher.BeforeAnswer is { } before) await before(message);
            if (catcher.DataDelay > TimeSpan.Zero) await Task.Delay(catcher.DataDelay, ct);
            if (message.MessageId is not null && catcher._failures.TryGetValue(message.MessageId, out var left) && left > 0)
            {
                catcher._failures[message.MessageId] = left - 1;
                return new SmtpResponse(SmtpReplyCode.InsufficientStorage, "Espace insuffisant, réessayez plus tard");
            }
            catcher.Received.Enqueue(message);
            return SmtpResponse.Ok;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
