using System.Net;
using System.Text.Json;
using Guichet.Antivirus;
using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Telemetry;
using Guichet.Testing;
using Guichet.Tests.Features.Deposits;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Guichet.Tests.Features;

/// <summary>
/// Guichet's meter is one per process: its counters see every app of the test run. These tests run alone (after the
/// parallel ones), so that what they read changed because of what they did.
/// </summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection : ICollectionFixture<ClamdFixture>;

/// <summary>The portal with /metrics on, its scanner on the run's clamd, and the test header that sets the client address.</summary>
public abstract class TelemetryApp(ClamdFixture clamd) : GuichetApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Telemetry:Prometheus", "true");
        builder.UseSetting("Webhooks:AllowLoopback", "true"); // the receiver of the webhook test is on this machine
        ScannerSettings.Apply(builder, clamd.Server.Port);
        builder.ConfigureTestServices(services => services.AddTestSource());
    }

    /// <summary>One scrape of /metrics, as the Prometheus server on the same host would ask it.</summary>
    public async Task<PrometheusText> ScrapeAsync()
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Add(TestSource.Header, "127.0.0.1");
        var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new PrometheusText(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Moves the clock past the gauges' cache, then scrapes: the gauges read the database again.</summary>
    public Task<PrometheusText> ScrapeFreshAsync()
    {
        Clock.Advance(StateGauges.RefreshEvery + TimeSpan.FromSeconds(1));
        return ScrapeAsync();
    }
}

public sealed class TelemetrySqliteApp(ClamdFixture clamd) : TelemetryApp(clamd)
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
}

public sealed class TelemetryPostgresApp(PostgresFixture postgres, ClamdFixture clamd) : TelemetryApp(clamd)
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
}

/// <summary>/metrics shows Guichet's own metrics moving as vendors deposit, e-mails leave, the sweep runs and files are scanned.</summary>
public abstract class TelemetryTests(TelemetryApp app) : DepositScenario(app)
{
    private static readonly (string, string) Ok = ("outcome", "ok");
    private static readonly (string, string) RefusedOutcome = ("outcome", "refused");
    private static readonly (string, string) Failed = ("outcome", "failed");

    [Fact]
    public async Task An_accepted_deposit_counts_once_as_ok_with_its_requests_its_duration_and_its_scanned_file()
    {
        var before = await app.ScrapeAsync();
        var requestsBefore = await app.Db(db => db.Requests.CountAsync());

        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(await FreshFile(), ExampleZip()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var after = await app.ScrapeFreshAsync();
        Assert.Equal(1, after.Sum("guichet_deposits_completed_total", Ok) - before.Sum("guichet_deposits_completed_total", Ok));
        Assert.Equal(before.Sum("guichet_deposits_completed_total", RefusedOutcome), after.Sum("guichet_deposits_completed_total", RefusedOutcome));
        Assert.Equal(1, after.Sum("guichet_deposits_requests_count", Ok) - before.Sum("guichet_deposits_requests_count", Ok));
        Assert.Equal(1, after.Sum("guichet_deposits_requests_sum", Ok) - before.Sum("guichet_deposits_requests_sum", Ok));
        Assert.Equal(1, after.Sum("guichet_deposits_duration_seconds_count", Ok) - before.Sum("guichet_deposits_duration_seconds_count", Ok));
        Assert.True(after.Sum("guichet_deposits_duration_seconds_sum", Ok) > before.Sum("guichet_deposits_duration_seconds_sum", Ok));
        Assert.Equal(1, after.Sum("guichet_scans_total", ("result", "clean")) - before.Sum("guichet_scans_total", ("result", "clean")));
        // The per-status gauge reads the counters table: it holds the new request.
        Assert.Equal(requestsBefore + 1, after.Sum("guichet_requests_by_status"));
    }

    [Fact]
    public async Task A_deposit_refused_for_an_infected_file_counts_as_refused_and_the_scan_as_infected()
    {
        var example = await Example();
        var demande = DepositFiles.FreshAdvance(example, Seed());
        demande["piecesJointes"]![0]!["fichier"] = "infecte.pdf";
        var before = await app.ScrapeAsync();

        var response = await AgendaPro.PostAsync("/api/v1/depots",
            DepositFiles.Form(DepositFiles.With(example, demande), DepositFiles.Zip(("infecte.pdf", Infected.Eicar))));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var after = await app.ScrapeAsync();
        Assert.Equal(1, after.Sum("guichet_deposits_completed_total", RefusedOutcome) - before.Sum("guichet_deposits_completed_total", RefusedOutcome));
        Assert.Equal(before.Sum("guichet_deposits_completed_total", Ok), after.Sum("guichet_deposits_completed_total", Ok));
        Assert.Equal(1, after.Sum("guichet_deposits_requests_sum", RefusedOutcome) - before.Sum("guichet_deposits_requests_sum", RefusedOutcome));
        Assert.Equal(1, after.Sum("guichet_scans_total", ("result", "infected")) - before.Sum("guichet_scans_total", ("result", "infected")));
    }

    [Fact]
    public async Task A_deposit_whose_process_died_and_whose_files_are_gone_is_in_progress_until_the_takeover_closes_it_and_then_counts_as_failed()
    {
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var org = await db.Organisations.SingleAsync(o => o.Siret == "90000001900019");
            var user = await db.Users.SingleAsync(u => u.Email == "editeur@agendapro.test");
            db.DepositJobs.Add(Guichet.Deposits.DepositJob.Start(org.Id, user.Id, "mort.json", null, app.Clock.UtcNow.AddHours(-2)));
            await db.SaveChangesAsync();
        }
        var before = await app.ScrapeFreshAsync();
        Assert.True(before.Sum("guichet_deposits_in_progress") >= 1, before.Raw);

        // No files left of it (nothing to resume): the takeover closes it.
        var closed = (await app.Services.GetRequiredService<Guichet.Deposits.DepositRunner>().TakeOverStaleAsync(CancellationToken.None)).Closed.Count;

        var after = await app.ScrapeFreshAsync();
        Assert.True(closed >= 1);
        Assert.Equal(closed, after.Sum("guichet_deposits_completed_total", Failed) - before.Sum("guichet_deposits_completed_total", Failed));
        Assert.Equal(before.Sum("guichet_deposits_in_progress") - closed, after.Sum("guichet_deposits_in_progress"));
    }

    [Fact]
    public async Task A_scanner_that_does_not_answer_counts_as_unavailable()
    {
        var before = await app.ScrapeAsync();
        var away = new ClamAvScanner(Options.Create(new AntivirusOptions { Host = "127.0.0.1", Port = ClamdServer.ClosedPort(), TimeoutSeconds = 5 }),
            NullLogger<ClamAvScanner>.Instance);

        await Assert.ThrowsAsync<ScannerUnavailableException>(() => away.ScanAsync(new MemoryStream(DepositFiles.Pdf), default));

        var after = await app.ScrapeAsync();
        Assert.Equal(1, after.Sum("guichet_scans_total", ("result", "unavailable")) - before.Sum("guichet_scans_total", ("result", "unavailable")));
    }

    [Fact]
    public async Task The_outbox_backlog_and_its_oldest_age_follow_the_waiting_emails_and_fall_to_zero_once_they_are_sent()
    {
        var before = await app.ScrapeFreshAsync();
        var waitingBefore = await Unsent();
        Assert.Equal(waitingBefore, before.Sum("guichet_outbox_backlog"));

        await app.EnqueueAsync(2);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var waiting = await app.ScrapeFreshAsync();
        Assert.Equal(waitingBefore + 2, waiting.Sum("guichet_outbox_backlog"));
        Assert.True(waiting.Sum("guichet_outbox_oldest_age_seconds") >= 5 * 60, waiting.Raw);

        int sent;
        using (var scope = app.Services.CreateScope())
            sent = await scope.ServiceProvider.GetRequiredService<EmailDispatcher>().DispatchDueAsync();
        Assert.Equal(waitingBefore + 2, sent);

        var after = await app.ScrapeFreshAsync();
        Assert.Equal(sent, after.Sum("guichet_emails_sent_total") - waiting.Sum("guichet_emails_sent_total"));
        Assert.Equal(0, after.Sum("guichet_outbox_backlog"));
        Assert.Equal(0, after.Sum("guichet_outbox_oldest_age_seconds"));
    }

    [Fact]
    public async Task A_send_the_server_refuses_counts_as_failed_and_the_email_stays_in_the_backlog()
    {
        await app.DrainOutboxAsync();
        var before = await app.ScrapeFreshAsync();
        Assert.Equal(0, before.Sum("guichet_outbox_backlog"));
        await app.EnqueueAsync(1);

        await app.DispatchOnceAsync(app.Clock, Dispatchers.Smtp(ClamdServer.ClosedPort(), timeoutSeconds: 5));

        var after = await app.ScrapeFreshAsync();
        Assert.Equal(1, after.Sum("guichet_emails_failed_total") - before.Sum("guichet_emails_failed_total"));
        Assert.Equal(before.Sum("guichet_emails_sent_total"), after.Sum("guichet_emails_sent_total"));
        Assert.Equal(1, after.Sum("guichet_outbox_backlog"));
        await app.DrainOutboxAsync();
    }

    [Fact]
    public async Task The_sweep_counts_the_reminders_and_closings_it_made()
    {
        var due = await app.NewAsync();
        using (app.Clock.At(app.Clock.UtcNow.AddDays(-11)))
            await app.OpenRoundAsManagerAsync(due, "Corrigez le contact.", EditableField.ContactSupport);
        await app.NewRemindedAsync(daysAgo: 25);
        var before = await app.ScrapeAsync();

        SweepResult result;
        using (var scope = app.Services.CreateScope())
            result = await scope.ServiceProvider.GetRequiredService<DeadlineSweep>().RunAsync();

        var after = await app.ScrapeAsync();
        Assert.True(result.Reminders >= 1 && result.Closings >= 1, $"{result}");
        Assert.Equal(result.Reminders, after.Sum("guichet_deadlines_reminders_total") - before.Sum("guichet_deadlines_reminders_total"));
        Assert.Equal(result.Closings, after.Sum("guichet_deadlines_closings_total") - before.Sum("guichet_deadlines_closings_total"));
    }

    [Fact]
    public async Task A_webhook_delivery_waits_in_the_backlog_until_it_is_delivered_and_counts_as_delivered()
    {
        using var receiver = WebhookReceiver.StartNew();
        var vendor = app.Bearer("demo-agendapro");
        var subscribed = await vendor.PostAsync("/api/v1/webhooks",
            JsonHttp.Body(JsonSerializer.Serialize(new { url = receiver.Url, types = new[] { "demande.validee" } })));
        Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        var id = JsonDocument.Parse(await subscribed.Content.ReadAsStringAsync()).RootElement.GetProperty("webhook").GetProperty("id").GetInt64();
        try
        {
            var number = await app.NewAsync();
            var before = await app.ScrapeFreshAsync();

            var validated = await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/valider", JsonHttp.Body("{}"));
            Assert.Equal(HttpStatusCode.OK, validated.StatusCode);
            app.Clock.Advance(TimeSpan.FromMinutes(2));
            var waiting = await app.ScrapeFreshAsync();
            Assert.Equal(1, waiting.Sum("guichet_webhooks_backlog") - before.Sum("guichet_webhooks_backlog"));
            Assert.True(waiting.Sum("guichet_webhooks_oldest_age_seconds") >= 120, waiting.Raw);

            using (var scope = app.Services.CreateScope())
                Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<Guichet.Webhooks.WebhookDispatcher>().DispatchDueAsync());

            var after = await app.ScrapeFreshAsync();
            Assert.Single(receiver.Posts);
            Assert.Equal(before.Sum("guichet_webhooks_backlog"), after.Sum("guichet_webhooks_backlog"));
            Assert.Equal(1, after.Sum("guichet_webhooks_attempts_total", ("result", "delivered")) - before.Sum("guichet_webhooks_attempts_total", ("result", "delivered")));
            Assert.Equal(before.Sum("guichet_webhooks_attempts_total", ("result", "retry")), after.Sum("guichet_webhooks_attempts_total", ("result", "retry")));
        }
        finally
        {
            Assert.Equal(HttpStatusCode.NoContent, (await vendor.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode);
        }
    }

    [Fact]
    public async Task Requests_per_status_follow_a_decision()
    {
        var number = await app.NewAsync();
        var before = await app.ScrapeFreshAsync();

        var validated = await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/valider", JsonHttp.Body("{}"));
        Assert.Equal(HttpStatusCode.OK, validated.StatusCode);

        var after = await app.ScrapeFreshAsync();
        Assert.Equal(-1, after.Sum("guichet_requests_by_status", ("status", "EN_COURS")) - before.Sum("guichet_requests_by_status", ("status", "EN_COURS")));
        Assert.Equal(1, after.Sum("guichet_requests_by_status", ("status", "VALIDEE")) - before.Sum("guichet_requests_by_status", ("status", "VALIDEE")));
    }

    [Fact]
    public async Task Metrics_are_refused_to_an_address_outside_the_allowed_networks()
    {
        var outsider = app.Anonymous();
        outsider.DefaultRequestHeaders.Add(TestSource.Header, "203.0.113.7");

        var response = await outsider.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Telemetry:PrometheusAllowedNetworks", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Anonymous().GetAsync("/metrics")).StatusCode); // no known address
    }

    [Fact]
    public async Task The_portal_with_its_scanner_up_is_ready_and_says_the_scanner_answers()
    {
        var response = await app.Anonymous().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var antivirus = (await JsonHttp.Json(response)).GetProperty("verifications").EnumerateArray().Single(c => c.GetProperty("nom").GetString() == "antivirus");
        Assert.Equal("Healthy", antivirus.GetProperty("statut").GetString());
        Assert.StartsWith("Antivirus joignable", antivirus.GetProperty("description").GetString());
    }

    private Task<int> Unsent() => app.Db(db => db.OutboxMessages.CountAsync(m => m.SentAt == null));
}

[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTestsOnSqlite(TelemetrySqliteApp app) : TelemetryTests(app), IClassFixture<TelemetrySqliteApp>;

[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTestsOnPostgres(TelemetryPostgresApp app) : TelemetryTests(app), IClassFixture<TelemetryPostgresApp>;

/// <summary>Which console format the logs take: JSON lines in Production unless told otherwise.</summary>
public sealed class LogFormatTests
{
    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void Production_logs_in_json_and_the_other_environments_in_text_unless_Logging_Format_says_otherwise()
    {
        Assert.True(LogFormat.IsJson(Config(), "Production"));
        Assert.False(LogFormat.IsJson(Config(), "Development"));
        Assert.False(LogFormat.IsJson(Config(("Logging:Format", "text")), "Production"));
        Assert.True(LogFormat.IsJson(Config(("Logging:Format", "JSON")), "Development"));
        Assert.False(LogFormat.IsJson(Config(("Logging:Console:FormatterName", "simple")), "Production"));
    }

    [Fact]
    public async Task In_Production_a_failed_start_is_logged_as_one_JSON_line_in_French_without_the_passwords_of_its_settings()
    {
        const string databasePassword = "Mot-De-Passe-Base-42", smtpPassword = "Mot-De-Passe-Smtp-42";
        var folder = Path.Combine(Path.GetTempPath(), "guichet-logs-" + Guid.NewGuid().ToString("N")[..8]);
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Guichet.dll"));
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        psi.Environment["Storage__Path"] = Path.Combine(folder, "pieces");
        psi.Environment["Database__Provider"] = "Postgres";
        psi.Environment["Database__MigrateOnStart"] = "true";
        psi.Environment["ConnectionStrings__Guichet"] = $"Host=127.0.0.1;Port={ClamdServer.ClosedPort()};Username=guichet;Password={databasePassword};Database=guichet;Timeout=5";
        psi.Environment["Email__Smtp__Host"] = "127.0.0.1";
        psi.Environment["Email__Smtp__Password"] = smtpPassword;
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        var text = await stdout + await stderr;
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }

        Assert.NotEqual(0, process.ExitCode);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var entries = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList(); // every line is one JSON object
        Assert.Contains(entries, e => e.GetProperty("LogLevel").GetString() == "Critical"
            && e.GetProperty("Message").GetString()!.Contains("Démarrage impossible", StringComparison.Ordinal));
        Assert.DoesNotContain(databasePassword, text);
        Assert.DoesNotContain(smtpPassword, text);
    }

    [Fact]
    public void An_unknown_log_format_stops_the_start_with_a_French_message()
    {
        var e = Assert.Throws<InvalidOperationException>(() => LogFormat.IsJson(Config(("Logging:Format", "xml")), "Production"));
        Assert.Equal("Logging:Format doit valoir « json » ou « text » : « xml ».", e.Message);
    }
}

/// <summary>A collector on the loopback that keeps what the portal posts to it (OTLP over HTTP/protobuf).</summary>
public sealed class OtlpCatcher : IAsyncDisposable
{
    private readonly System.Net.HttpListener _listener = new();
    private readonly Task _loop;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Path, byte[] Body)> _received = new();

    public int Port { get; }

    public OtlpCatcher()
    {
        Port = ClamdServer.ClosedPort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>Whether a body posted to <paramref name="path"/> holds <paramref name="text"/> (protobuf keeps strings as UTF-8).</summary>
    public bool Received(string path, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return _received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(bytes) >= 0);
    }

    /// <summary>Whether the text arrives on the path within the time: an export may still be on its way (seen in CI under load).</summary>
    public async Task<bool> ReceivesAsync(string path, string text, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (!Received(path, text) && DateTime.UtcNow < until) await Task.Delay(100);
        return Received(path, text);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            System.Net.HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) { return; } // stopped
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            _received.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _loop;
        _listener.Close();
    }
}

public sealed class OtlpSqliteApp(int port) : GuichetApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Telemetry:OtlpEndpoint", $"http://127.0.0.1:{port}");
        builder.UseSetting("Telemetry:OtlpProtocol", "http");
        builder.UseSetting("Telemetry:ServiceName", "guichet-essai");
        // The SDK's own setting: metrics also leave every second, not only in the flush when the host stops.
        builder.UseSetting("OTEL_METRIC_EXPORT_INTERVAL", "1000");
    }
}

/// <summary>With Telemetry:OtlpEndpoint, the traces and metrics reach the collector (at the latest when the portal stops).</summary>
[Collection(nameof(TelemetryCollection))]
public sealed class OtlpExportTests
{
    [Fact]
    public async Task A_deposit_reaches_the_collector_as_a_span_under_its_request_and_as_a_counted_deposit()
    {
        await using var collector = new OtlpCatcher();
        var app = new OtlpSqliteApp(collector.Port);
        await app.InitializeAsync();
        try
        {
            var example = await DepositFiles.Example(app.Anonymous());
            var file = DepositFiles.With(example, DepositFiles.FreshAdvance(example, DepositFiles.NextSeed()));
            var response = await app.Bearer("demo-agendapro").PostAsync("/api/v1/depots",
                DepositFiles.Form(file, DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf))));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            await app.DisposeAsync(); // the providers flush what they hold when the host stops
        }

        var within = TimeSpan.FromSeconds(30);
        Assert.True(await collector.ReceivesAsync("/v1/traces", "guichet.deposit", within), "span du dépôt non reçu");
        Assert.True(await collector.ReceivesAsync("/v1/traces", "/api/v1/depots", within), "span de la requête HTTP non reçu");
        Assert.True(await collector.ReceivesAsync("/v1/metrics", "guichet.deposits.completed", within), "métrique des dépôts non reçue");
        Assert.True(await collector.ReceivesAsync("/v1/metrics", "guichet-essai", within), "service.name non reçu");
        Assert.False(collector.Received("/v1/traces", "/health/live"), "la supervision ne fait pas de traces");
    }
}

/// <summary>Telemetry:* settings that cannot work are named in French at start; /metrics answers the loopback by default.</summary>
public sealed class TelemetryOptionsTests
{
    [Fact]
    public void Invalid_telemetry_settings_are_each_named_in_French()
    {
        var options = new TelemetryOptions
        {
            PrometheusAllowedNetworks = ["10.0.0.0/8", "pas-un-reseau"], OtlpEndpoint = "collecteur:4317", OtlpProtocol = "udp", ServiceName = " ",
        };

        Assert.Equal(
        [
            "Telemetry:PrometheusAllowedNetworks : « pas-un-reseau » n'est pas un réseau CIDR (ex. 10.0.0.0/24).",
            "Telemetry:OtlpEndpoint doit être une adresse http(s) absolue : « collecteur:4317 ».",
            "Telemetry:OtlpProtocol doit valoir « grpc » ou « http » : « udp ».",
            "Telemetry:ServiceName ne peut pas être vide.",
        ], options.Errors());
        Assert.Empty(new TelemetryOptions { Prometheus = true, OtlpEndpoint = "http://collecteur:4317" }.Errors());
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.5", false)]
    [InlineData("203.0.113.7", false)]
    public void By_default_only_the_machine_itself_may_read_the_metrics(string address, bool allowed) =>
        Assert.Equal(allowed, TelemetrySetup.Allowed(IPAddress.Parse(address), new TelemetryOptions().AllowedNetworks()));

    [Fact]
    public void Configured_networks_replace_the_loopback()
    {
        var networks = new TelemetryOptions { PrometheusAllowedNetworks = ["10.0.0.0/24"] }.AllowedNetworks();

        Assert.True(TelemetrySetup.Allowed(IPAddress.Parse("10.0.0.9"), networks));
        Assert.False(TelemetrySetup.Allowed(IPAddress.Parse("127.0.0.1"), networks));
        Assert.False(TelemetrySetup.Allowed(null, networks));
    }
}
