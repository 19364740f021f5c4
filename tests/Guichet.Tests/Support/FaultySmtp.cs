using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace Guichet.Tests.Support;

/// <summary>
/// A small SMTP server on the loopback, written by hand so that it can misbehave where a real relay does: it refuses
/// every message (451 after the data), hangs (never answers the data), or drops the connection in the middle of the
/// data. <see cref="Mode"/> can change at any time; in <see cref="Behaviour.Accept"/> it keeps what it accepts.
/// </summary>
public sealed class FaultySmtp : IAsyncDisposable
{
    public enum Behaviour { Accept, Refuse, Hang, Drop }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _sessions = [];
    private Task _accepting = Task.CompletedTask;
    private volatile Behaviour _mode;
    private int _dataCommands;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public Behaviour Mode { get => _mode; set => _mode = value; }
    /// <summary>The messages this server answered « 250 » to.</summary>
    public ConcurrentQueue<MimeMessage> Accepted { get; } = new();
    /// <summary>How many DATA commands it received (accepted or not).</summary>
    public int DataCommands => Volatile.Read(ref _dataCommands);

    public int CountOf(string messageId) => Accepted.Count(m => m.MessageId == messageId);

    public static FaultySmtp Start(Behaviour mode)
    {
        var server = new FaultySmtp { Mode = mode };
        server._listener.Start();
        server._accepting = server.AcceptAsync();
        return server;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _sessions.Add(Task.Run(() => SessionAsync(client)));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                // Latin-1 maps each byte to one char and back: the message bytes come through untouched.
                using var reader = new StreamReader(stream, Encoding.Latin1, false, 1024, leaveOpen: true);
                async Task Say(string line) => await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), _stop.Token);

                await Say("220 localhost ESMTP FaultySmtp");
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO" or "HELO":
                            await Say("250 localhost");
                            break;
                        case "MAIL" or "RCPT" or "RSET" or "NOOP":
                            await Say("250 OK");
                            break;
                        case "QUIT":
                            await Say("221 Au revoir");
                            return;
                        case "DATA":
                            Interlocked.Increment(ref _dataCommands);
                            var mode = Mode;
                            await Say("354 Fin des donnees par <CRLF>.<CRLF>");
                            var data = new StringBuilder();
                            while (await reader.ReadLineAsync(_stop.Token) is { } body && body != ".")
                            {
                                // Mid-message: a few lines in, the connection goes away.
                                if (mode == Behaviour.Drop && data.Length > 0) return;
                                data.Append(body.StartsWith("..", StringComparison.Ordinal) ? body[1..] : body).Append("\r\n");
                            }
                            switch (mode)
                            {
                                case Behaviour.Hang:
                                    await Task.Delay(Timeout.Infinite, _stop.Token);
                                    return;
                                case Behaviour.Refuse:
                                    await Say("451 4.3.0 Relais indisponible, reessayez plus tard");
                                    break;
                                default:
                                    using (var message = new MemoryStream(Encoding.Latin1.GetBytes(data.ToString())))
                                        Accepted.Enqueue(await MimeMessage.LoadAsync(message, _stop.Token));
                                    await Say("250 2.0.0 Accepte");
                                    break;
                            }
                            break;
                        default:
                            await Say("502 Commande non prise en charge");
                            break;
                    }
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested) { }
            catch (IOException) { } // the client went away
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        try { await Task.WhenAll(_sessions); } catch (Exception) { }
        _stop.Dispose();
    }
}
