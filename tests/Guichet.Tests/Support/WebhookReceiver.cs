using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Guichet.Tests.Support;

/// <summary>
/// A real HTTP endpoint on 127.0.0.1 for the webhook tests: it records every post (headers and body) and answers the
/// statuses queued with <see cref="AnswerNext"/>, then 200. <see cref="Stop"/> and <see cref="Start"/> take it down and
/// bring it back on the same port.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    public sealed record Received(string Id, string Timestamp, string Signature, string Body, DateTime At);

    private readonly ConcurrentQueue<int> _answers = new();
    private HttpListener? _listener;
    private Task? _loop;

    public int Port { get; } = FreePort();
    public string Url => $"http://127.0.0.1:{Port}/hooks/";
    public ConcurrentQueue<Received> Posts { get; } = new();

    public static WebhookReceiver StartNew()
    {
        var receiver = new WebhookReceiver();
        receiver.Start();
        return receiver;
    }

    public void AnswerNext(params int[] statuses)
    {
        foreach (var s in statuses) _answers.Enqueue(s);
    }

    public void Start()
    {
        _listener = new HttpListener();
        _listener.Prefixes.Add(Url);
        _listener.Start();
        var listener = _listener;
        _loop = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                Posts.Enqueue(new Received(context.Request.Headers["webhook-id"] ?? "", context.Request.Headers["webhook-timestamp"] ?? "",
                    context.Request.Headers["webhook-signature"] ?? "", body, DateTime.UtcNow));
                context.Response.StatusCode = _answers.TryDequeue(out var status) ? status : 200;
                var answer = Encoding.UTF8.GetBytes(context.Response.StatusCode == 200 ? "reçu" : "indisponible");
                await context.Response.OutputStream.WriteAsync(answer);
                context.Response.Close();
            }
        });
    }

    public void Stop()
    {
        // Close alone: Stop then Close removes the listener twice on Linux, and the second removal binds the port again,
        // failing with « address already in use » when another test has taken it meanwhile.
        _listener?.Close();
        _listener = null;
    }

    public void Dispose() => Stop();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
