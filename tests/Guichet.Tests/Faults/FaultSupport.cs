using System.Collections.Concurrent;
using System.Net;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Testing;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Guichet.Tests.Faults;

/// <summary>
/// The portal on a PostgreSQL cluster of its own, which a test may stop (as a crash would) and start again while the
/// portal keeps running; the background loops run (deadlines every 5 seconds) and what the portal logs is kept.
/// </summary>
public sealed class OutageApp : GuichetApp
{
    private PostgresCluster? _cluster;

    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("Cluster non démarré.");
    public LogCapture Logs { get; } = new();
    public bool IsDown { get; private set; }

    protected override string Provider => "Postgres";

    protected override async Task<string> ConnectionStringAsync()
    {
        // Connection timeout of 5 s: an unreachable server is refused at once on loopback anyway.
        _cluster = await PostgresCluster.StartAsync("guichet-outage-", "-c max_connections=60 -c shared_buffers=16MB",
            "Pooling=true;Maximum Pool Size=20;Timeout=5", "lancez ./test.sh, qui l'installe.");
        return await _cluster.CreateDatabaseAsync("guichet_outage");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Workers:Enabled", "true");
        builder.UseSetting("Deadlines:IntervalSeconds", "5");
        builder.ConfigureTestServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }

    /// <summary>The server is stopped as by a crash (<c>pg_ctl stop -m immediate</c>) until <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        IsDown = true;
        await Cluster.StopAsync("immediate");
    }

    public async Task StartAsync()
    {
        await Cluster.StartAgainAsync();
        IsDown = false;
    }

    public override async ValueTask DisposeAsync()
    {
        if (IsDown) await StartAsync();
        try { await base.DisposeAsync(); }
        finally { await Cluster.DisposeAsync(); }
    }
}

/// <summary>What the portal logs at Warning and above, kept in memory for the tests to read.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public int Count(string category, string contains) =>
        Entries.Count(e => e.Category == category && e.Message.Contains(contains, StringComparison.Ordinal));

    public void Dispose() { }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) capture.Entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}

public static class FaultRequests
{
    private static readonly Actor Vendor = new("Test (fournisseur)", "Fournisseur", null);

    /// <summary>A new advance « En cours » of the organisation of <paramref name="siret"/> (AgendaPro or Regulis), deposited 30 days ago.</summary>
    public static async Task<string> NewOfAsync(this GuichetApp app, string siret)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var now = app.Clock.UtcNow;
        var org = await db.Organisations.Include(o => o.Solutions).SingleAsync(o => o.Siret == siret);
        var solution = org.Solutions.First();
        var scheme = await db.Schemes.SingleAsync(s => s.Code == solution.SchemeCode);
        var number = (await NumberAllocator.NextAsync(db, RequestType.Avance, now.Year, 1))[0];
        var docs = scheme.RequiredDocuments(RequestType.Avance)
            .Select(t => SupportingDocument.Create(t, "bc.pdf", Guid.NewGuid().ToString("N"), "application/pdf", 10, new string('0', 64), now));
        var rpps = (20_000_000_000L + Random.Shared.NextInt64(0, 9_999_999_999L)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = FundingRequest.Deposit(number, org, solution, scheme,
            new FundingRequest.DepositData("FAULT-" + Guid.NewGuid().ToString("N")[..12], RequestType.Avance, ClientIdType.Rpps, rpps,
                "Client " + number, "BC-F", DateOnly.FromDateTime(now.AddDays(-30)), null, null, scheme.AdvanceAmount, "https://support.test/sas"),
            docs, Vendor, now.AddDays(-30));
        db.Requests.Add(request);
        await db.SaveChangesAsync();
        Assert.Equal(RequestStatus.EnCours, request.Status);
        return number;
    }

    public const string DatabaseBusyMessage = "Le service est momentanément indisponible. Réessayez dans quelques instants.";

    /// <summary>
    /// The 503 of a transient failure: Retry-After, the French <paramref name="message"/> (the database's by default), no
    /// trace of the failing part (<paramref name="hidden"/>), Problem Details on the API, a page elsewhere.
    /// </summary>
    public static async Task AssertUnavailable(HttpResponseMessage response, bool api, string message = DatabaseBusyMessage, params string[] hidden)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {body}");
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter is { TotalSeconds: > 0 and <= 60 }, "Retry-After absent ou invalide : " + response.Headers.RetryAfter);
        Assert.Contains(message, body);
        foreach (var word in hidden.Append("Npgsql").Append("Exception")) Assert.DoesNotContain(word, body);
        if (api)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("\"status\":503", body);
        }
        else
        {
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("lang=\"fr\"", body);
        }
    }
}
