using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Guichet.Webhooks;

/// <summary>
/// The one HTTP client of the webhooks: no redirect followed, no proxy, a short timeout, and a connection made only to an
/// address <see cref="WebhookAddress"/> allowed — resolved and checked at each connection, so a name that changed its
/// answer since the subscription was saved is still refused.
/// </summary>
public sealed class WebhookTransport : IDisposable
{
    public HttpClient Client { get; }

    public WebhookTransport(IOptions<WebhookOptions> options)
    {
        var allowLoopback = options.Value.AllowLoopback;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = options.Value.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = async (context, ct) =>
            {
                IPAddress[] addresses;
                try
                {
                    addresses = await WebhookAddress.ResolveAsync(context.DnsEndPoint.Host, allowLoopback, ct);
                }
                catch (Domain.Refusal refusal)
                {
                    throw new BlockedAddressException(refusal.Message);
                }
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        Client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        Client.DefaultRequestHeaders.UserAgent.ParseAdd("Guichet-Webhooks/1.0");
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>The target resolved to an address a webhook may not reach.</summary>
public sealed class BlockedAddressException(string message) : IOException(message);
