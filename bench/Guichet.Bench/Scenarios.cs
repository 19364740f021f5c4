using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using Guichet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using MailClient = MailKit.Net.Smtp.SmtpClient;

namespace Guichet.Bench;

/// <summary>Inputs and helpers of the runs: sign-in, deposit files, the outbox and an SMTP sink.</summary>
public static partial class Scenarios
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>Signs in through /connexion (antiforgery token from the form); the cookies stay in <paramref name="cookies"/>.</summary>
    public static async Task SignInAsync(string baseUrl, CookieContainer cookies, string email, string password)
    {
        using var client = Load.Client(cookies);
        var form = await client.GetStringAsync(baseUrl + "/connexion");
        var m = AntiforgeryField().Match(form);
        if (!m.Success) throw new InvalidOperationException("Jeton antiforgery introuvable sur /connexion.");
        using var r = await client.PostAsync(baseUrl + "/connexion", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = email, ["Password"] = password, ["__RequestVerificationToken"] = WebUtility.HtmlDecode(m.Groups[1].Value),
        }));
        if (r.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"Connexion de {email} refusée : HTTP {(int)r.StatusCode}.");
    }

    // Each series of deposits has its own clients, so that a second deposit of the run is not refused as a duplicate advance.
    private static int SeriesDigit(string series) => series switch { "DEP" => 9, "AV" => 8, _ => 7 };

    /// <summary>
    /// The bare cost of storing the deposit's files on S3: unzip them, then one PutObject per file in sequence with the
    /// same SDK and server, nothing else (no hashing, no antivirus, no database). Returns the wall time of both steps.
    /// </summary>
    public static async Task<TimeSpan> BareS3CopyAsync(S3Server s3, string zipPath, string folder)
    {
        var watch = Stopwatch.StartNew();
        ZipFile.ExtractToDirectory(zipPath, folder);
        using var client = s3.Client();
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            await using var content = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = s3.Bucket, Key = "nu/" + Path.GetFileName(file), InputStream = content, AutoCloseStream = false,
                UseChunkEncoding = false,
            });
        }
        var elapsed = watch.Elapsed;
        Directory.Delete(folder, recursive: true);
        return elapsed;
    }

    /// <summary>The deposit JSON: <paramref name="count"/> advances of the large vendor, each naming one PDF of the ZIP.</summary>
    public static byte[] DepositJson(int count, DateTime now, string series = "DEP")
    {
        var po = DateOnly.FromDateTime(now).AddDays(-30).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append($$"""{"versionFormat":"1.0","fournisseur":{"siret":"{{DataGenerator.Siret(DataGenerator.BigVendorId)}}"},"demandes":[""");
        for (var i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append($$"""
                {"referenceFournisseur":"{{series}}-{{i:D6}}","type":"AVANCE","dispositif":"SAS_EFFECTEUR","solution":{"numeroReferencement":"{{DataGenerator.EffectorSolutionNumber(DataGenerator.BigVendorId)}}"},"client":{"typeIdentifiant":"RPPS","identifiant":"{{SeriesDigit(series)}}{{i:D10}}","nom":"Dr Bench {{i}}"},"bonDeCommande":{"numero":"BC-{{series}}-{{i}}","date":"{{po}}"},"montantDemande":300.00,"informations":{"contactSupport":"https://support.bench.test/sas"},"piecesJointes":[{"type":"BON_DE_COMMANDE","fichier":"bc-{{i:D6}}.pdf"}]}
                """);
        }
        return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
    }

    /// <summary>
    /// A file of the large vendor naming what it already has: half balances naming its existing advances, half advances
    /// re-sending its existing references (as many as it has, up to <paramref name="count"/>). The simulator refuses each
    /// line, after looking every one of them up.
    /// </summary>
    public static async Task<(byte[] Json, int Count)> ExistingNamesJsonAsync(Database db, int count, DateTime now)
    {
        var advances = await db.ListAsync($"SELECT \"Number\" FROM \"Requests\" WHERE \"OrganisationId\" = {DataGenerator.BigVendorId} AND \"Type\" = 'AVANCE' ORDER BY \"Id\" LIMIT {count / 2}");
        var references = await db.ListAsync($"SELECT \"VendorReference\" FROM \"Requests\" WHERE \"OrganisationId\" = {DataGenerator.BigVendorId} ORDER BY \"Id\" LIMIT {count - advances.Count}");
        var day = DateOnly.FromDateTime(now);
        var (po, live) = (day.AddDays(-30).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), day.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var solution = DataGenerator.EffectorSolutionNumber(DataGenerator.BigVendorId);
        var sb = new StringBuilder();
        sb.Append($$"""{"versionFormat":"1.0","fournisseur":{"siret":"{{DataGenerator.Siret(DataGenerator.BigVendorId)}}"},"demandes":[""");
        var i = 0;
        foreach (var advance in advances)
        {
            if (i++ > 0) sb.Append(',');
            sb.Append($$"""
                {"referenceFournisseur":"SOLDE-{{i:D6}}","type":"SOLDE","dispositif":"SAS_EFFECTEUR","solution":{"numeroReferencement":"{{solution}}"},"client":{"typeIdentifiant":"RPPS","identifiant":"9{{i:D10}}","nom":"Dr Bench {{i}}"},"bonDeCommande":{"numero":"BC-SOLDE-{{i}}","date":"{{po}}"},"montantDemande":700.00,"dateMiseEnService":"{{live}}","numeroDemandeAvance":"{{advance}}","informations":{"contactSupport":"https://support.bench.test/sas"},"piecesJointes":[]}
                """);
        }
        foreach (var reference in references)
        {
            if (i++ > 0) sb.Append(',');
            sb.Append($$"""
                {"referenceFournisseur":"{{reference}}","type":"AVANCE","dispositif":"SAS_EFFECTEUR","solution":{"numeroReferencement":"{{solution}}"},"client":{"typeIdentifiant":"RPPS","identifiant":"8{{i:D10}}","nom":"Dr Bench {{i}}"},"bonDeCommande":{"numero":"BC-REF-{{i}}","date":"{{po}}"},"montantDemande":300.00,"informations":{"contactSupport":"https://support.bench.test/sas"},"piecesJointes":[]}
                """);
        }
        return (Encoding.UTF8.GetBytes(sb.Append("]}").ToString()), i);
    }

    /// <summary>A ZIP of <paramref name="count"/> PDFs of incompressible bytes, stored without compression, written straight to disk.</summary>
    public static void DepositZip(string path, int count, int fileKb)
    {
        var random = new Random(42);
        var buffer = new byte[fileKb * 1024];
        "%PDF-1.4\n"u8.CopyTo(buffer);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(buffer.AsSpan(16));
            using var s = zip.CreateEntry($"bc-{i:D6}.pdf", CompressionLevel.NoCompression).Open();
            s.Write(buffer);
        }
    }

    public static MultipartFormDataContent DepositForm(byte[] json, string? zipPath)
    {
        var form = new MultipartFormDataContent();
        var j = new ByteArrayContent(json);
        j.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        form.Add(j, "json", "demandes.json");
        if (zipPath is not null)
        {
            var z = new StreamContent(new FileStream(zipPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20), 1 << 20);
            z.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            form.Add(z, "zip", "pieces.zip");
        }
        return form;
    }

    public const string MessageDomain = "bench.guichet";

    /// <summary>
    /// Gives the bench's manager one open request in fifty (« M'attribuer » as the desk does), so that « mes demandes » lists
    /// some and « non attribuées » has assigned requests to leave out.
    /// </summary>
    public static async Task<int> AssignSomeAsync(Database db, string managerId)
    {
        var assigned = await db.ExecuteAsync("""
            UPDATE "Requests" SET "AssignedToUserId" = @m, "AssignedToName" = 'Gestionnaire du bench'
            WHERE "Id" % 50 = 7 AND "Status" IN ('EN_COURS', 'A_MODIFIER')
            """, ("m", managerId));
        await db.ExecuteAsync(db.IsPostgres ? "ANALYZE \"Requests\"" : "ANALYZE");
        return assigned;
    }

    /// <summary>Due outbox messages of the usual size (HTML and text bodies of a round e-mail).</summary>
    public static async Task FillOutboxAsync(Database db, int count, DateTime now)
    {
        var html = "<p>Bonjour,</p>" + string.Concat(Enumerable.Repeat("<p>Le gestionnaire demande une modification de votre demande SAS-A-2026-000123 : merci de préciser le contact du support.</p>", 14));
        var text = "Bonjour,\n" + string.Concat(Enumerable.Repeat("Le gestionnaire demande une modification de votre demande SAS-A-2026-000123.\n", 12));
        await using var w = await db.WriterAsync("OutboxMessages", ("MessageId", Col.Text), ("Kind", Col.Text), ("FundingRequestId", Col.Long),
            ("Recipients", Col.Text), ("Subject", Col.Text), ("HtmlBody", Col.Text), ("TextBody", Col.Text), ("CreatedAt", Col.Timestamp),
            ("Attempts", Col.Int), ("NextAttemptAt", Col.Timestamp), ("SentAt", Col.Timestamp), ("LastError", Col.Text), ("LeaseToken", Col.Uuid), ("LeaseUntil", Col.Timestamp));
        for (var i = 0; i < count; i++)
            await w.RowAsync($"{i:D6}@{MessageDomain}", "RoundOpened", null, "editeur@bench.test", $"Demande de modification n° {i}", html, text,
                now.AddMinutes(-1), 0, now.AddMinutes(-1), null, null, null, null);
        await w.CompleteAsync();
    }

    public static MimeMessage SampleMessage(int i)
    {
        var m = new MimeMessage { MessageId = $"bare-{i:D6}@{MessageDomain}", Subject = $"Demande de modification n° {i}" };
        m.From.Add(MailboxAddress.Parse("Guichet <ne-pas-repondre@guichet.localhost>"));
        m.To.Add(MailboxAddress.Parse("editeur@bench.test"));
        m.Body = new BodyBuilder
        {
            HtmlBody = "<p>Bonjour,</p>" + string.Concat(Enumerable.Repeat("<p>Le gestionnaire demande une modification de votre demande SAS-A-2026-000123 : merci de préciser le contact du support.</p>", 14)),
            TextBody = "Bonjour,\n" + string.Concat(Enumerable.Repeat("Le gestionnaire demande une modification de votre demande SAS-A-2026-000123.\n", 12)),
        }.ToMessageBody();
        return m;
    }

    /// <summary>The bare send loop: one connection, the same number of messages of the same shape, each built then sent, to the same server.</summary>
    public static async Task<double> BareSendLoopAsync(int port, int count)
    {
        using var client = new MailClient();
        var watch = Stopwatch.StartNew();
        await client.ConnectAsync("127.0.0.1", port, MailKit.Security.SecureSocketOptions.None);
        // Each message is built in the loop, as the portal builds each one from its outbox row (MimeKit, both bodies).
        for (var i = 0; i < count; i++) await client.SendAsync(SampleMessage(i));
        await client.DisconnectAsync(true);
        return count / watch.Elapsed.TotalSeconds;
    }
}

/// <summary>An SMTP server in this process (NuGet SmtpServer) that timestamps every message it accepts.</summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private readonly List<(long Ticks, bool Portal)> _received = [];

    public int Port { get; private set; }

    public static async Task<SmtpSink> StartAsync()
    {
        var sink = new SmtpSink { Port = ServerProcess.FreePort() };
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, sink.Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(sink));
        services.Add((SmtpServer.Net.IEndpointListenerFactory)new NoDelayListeners());
        sink._running = new SmtpServer.SmtpServer(options, services).StartAsync(sink._stop.Token);
        await Task.Delay(200);
        return sink;
    }

    /// <summary>Messages from the portal's outbox (not the bare loop's), and the time between the first and the last.</summary>
    public (int Count, TimeSpan Span) Portal()
    {
        lock (_received)
        {
            var mine = _received.Where(r => r.Portal).Select(r => r.Ticks).ToList();
            return mine.Count < 2 ? (mine.Count, TimeSpan.Zero) : (mine.Count, Stopwatch.GetElapsedTime(mine.Min(), mine.Max()));
        }
    }

    private sealed class Store(SmtpSink sink) : MessageStore
    {
        private static readonly byte[] PortalMark = Encoding.ASCII.GetBytes("@" + Scenarios.MessageDomain);
        private static readonly byte[] BareMark = Encoding.ASCII.GetBytes("<bare-");

        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken ct)
        {
            var bytes = buffer.ToArray();
            var portal = bytes.AsSpan().IndexOf(PortalMark) >= 0 && bytes.AsSpan().IndexOf(BareMark) < 0;
            lock (sink._received) sink._received.Add((Stopwatch.GetTimestamp(), portal));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }

    // Replies without Nagle's delay (accepted sockets inherit TCP_NODELAY from the listening socket on Linux): with it, the
    // library's replies wait for the client's delayed ACK and every message costs about 40 ms, whoever sends it.
    private sealed class NoDelayListeners : SmtpServer.Net.EndpointListenerFactory
    {
        public override SmtpServer.Net.IEndpointListener CreateListener(IEndpointDefinition endpoint)
        {
            var listener = base.CreateListener(endpoint);
            // The library keeps its TcpListener private and has no option for this.
            var tcp = listener.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
                .Select(f => f.GetValue(listener)).OfType<System.Net.Sockets.TcpListener>().Single();
            tcp.Server.NoDelay = true;
            return listener;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running; } catch (OperationCanceledException) { }
    }
}

/// <summary>
/// A webhook receiver in the bench's process (Kestrel on 127.0.0.1): answers 204 to every POST and keeps each body and
/// its arrival time. <see cref="BarePostsAsync"/> sends the same bodies again, signed as Standard Webhooks asks, without
/// the portal: the bare cost of the same HTTP posts.
/// </summary>
public sealed class HookSink : IAsyncDisposable
{
    private readonly List<(long Ticks, byte[] Body, bool Bare)> _received = [];
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private bool _bare;

    public string Url { get; private set; } = "";

    public static async Task<HookSink> StartAsync()
    {
        var sink = new HookSink();
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/hooks", async (HttpRequest request) =>
        {
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy);
            lock (sink._received) sink._received.Add((Stopwatch.GetTimestamp(), copy.ToArray(), sink._bare));
            return Results.NoContent();
        });
        await app.StartAsync();
        sink._app = app;
        sink.Url = app.Urls.First() + "/hooks";
        return sink;
    }

    public int Count { get { lock (_received) return _received.Count(r => !r.Bare); } }

    public void Reset() { lock (_received) _received.Clear(); }

    /// <summary>How many the portal delivered, and the time from the first to the last.</summary>
    public (int Count, TimeSpan Span) Window()
    {
        lock (_received)
        {
            var mine = _received.Where(r => !r.Bare).Select(r => r.Ticks).ToList();
            return mine.Count < 2 ? (mine.Count, TimeSpan.Zero) : (mine.Count, Stopwatch.GetElapsedTime(mine.Min(), mine.Max()));
        }
    }

    /// <summary>Posts every body the portal delivered again, signed (HMAC-SHA256), <paramref name="batch"/> at a time; posts per second.</summary>
    public async Task<double> BarePostsAsync(int batch)
    {
        List<byte[]> bodies;
        lock (_received) bodies = _received.Where(r => !r.Bare).Select(r => r.Body).ToList();
        if (bodies.Count == 0) return 0;
        _bare = true;
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        using var client = Load.Client();
        var watch = Stopwatch.StartNew();
        foreach (var chunk in bodies.Chunk(batch))
            await Task.WhenAll(chunk.Select(async (body, i) =>
            {
                var id = "msg_" + Guid.NewGuid().ToString("N");
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray();
                using var request = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add("webhook-id", id);
                request.Headers.Add("webhook-timestamp", timestamp);
                request.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(key, signed)));
                using var response = await client.SendAsync(request);
                response.EnsureSuccessStatusCode();
            }));
        return bodies.Count / watch.Elapsed.TotalSeconds;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
