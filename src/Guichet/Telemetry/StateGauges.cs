using System.Diagnostics.Metrics;
using Guichet.Data;
using Guichet.Deposits;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Telemetry;

/// <summary>
/// The gauges read from the database: outbox backlog and the age of its oldest unsent e-mail, the same for webhook
/// deliveries, deposits in progress,
/// requests per status (from the RequestCounts table, not the requests). One read for all of them, kept
/// <see cref="RefreshEvery"/> on the app's clock, so scrapes never hammer the database; when the database does not
/// answer, the gauges are left out of the scrape (unknown, not zero) until the next read. Per app: its meter comes
/// from the app's <see cref="IMeterFactory"/> and ends with it.
/// </summary>
public sealed class StateGauges
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(3);

    private sealed record Snapshot(int Backlog, DateTime? OldestUnsent, int DepositsInProgress, IReadOnlyList<(string Status, int Count)> ByStatus,
        int WebhookBacklog, DateTime? OldestPendingWebhook);

    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly ILogger<StateGauges> _logger;
    private readonly Lock _lock = new();
    private Snapshot? _snapshot;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public StateGauges(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider clock, ILogger<StateGauges> logger)
    {
        (_scopes, _clock, _logger) = (scopes, clock, logger);
        var meter = meters.Create(GuichetTelemetry.Name);
        meter.CreateObservableGauge<int>("guichet.outbox.backlog", () => Read() is { } s ? [new Measurement<int>(s.Backlog)] : [],
            "{email}", "E-mails en attente d'envoi dans la boîte d'envoi.");
        meter.CreateObservableGauge("guichet.outbox.oldest_age", () => Age(s => s.OldestUnsent), "s",
            "Âge du plus ancien e-mail non envoyé (0 quand la boîte d'envoi est vide).");
        meter.CreateObservableGauge<int>("guichet.deposits.in_progress", () => Read() is { } s ? [new Measurement<int>(s.DepositsInProgress)] : [],
            "{deposit}", "Dépôts « en traitement ».");
        meter.CreateObservableGauge<int>("guichet.webhooks.backlog", () => Read() is { } s ? [new Measurement<int>(s.WebhookBacklog)] : [],
            "{delivery}", "Livraisons de webhooks en attente (pas encore livrées ni en échec définitif).");
        meter.CreateObservableGauge("guichet.webhooks.oldest_age", () => Age(s => s.OldestPendingWebhook), "s",
            "Âge de la plus ancienne livraison de webhook en attente (0 quand il n'y en a pas).");
        meter.CreateObservableGauge<int>("guichet.requests.by_status",
            () => Read() is { } s ? s.ByStatus.Select(b => new Measurement<int>(b.Count, new KeyValuePair<string, object?>("status", b.Status))) : [],
            "{request}", "Demandes par statut (toutes organisations).");
    }

    private IEnumerable<Measurement<double>> Age(Func<Snapshot, DateTime?> since)
    {
        if (Read() is not { } s) return [];
        var age = since(s) is { } oldest ? Math.Max(0, (_clock.GetUtcNow().UtcDateTime - oldest).TotalSeconds) : 0;
        return [new Measurement<double>(age)];
    }

    private Snapshot? Read()
    {
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            if (now - _readAt < RefreshEvery && now >= _readAt) return _snapshot;
            _readAt = now;
            try
            {
                // Observable callbacks are synchronous; the read is bounded by its own timeout.
                _snapshot = ReadAsync().GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                _snapshot = null;
                _logger.LogWarning("Métriques : lecture de l'état en base impossible ({Error}) ; jauges omises jusqu'à la prochaine lecture.", e.Message);
            }
            return _snapshot;
        }
    }

    private async Task<Snapshot> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var ct = timeout.Token;
        using var scope = _scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var unsent = db.OutboxMessages.AsNoTracking().Where(m => m.SentAt == null);
        var backlog = await unsent.CountAsync(ct);
        var oldest = backlog == 0 ? null : await unsent.MinAsync(m => (DateTime?)m.CreatedAt, ct);
        var deposits = await db.DepositJobs.AsNoTracking().CountAsync(j => j.Status == DepositJobStatus.EnTraitement, ct);
        var byStatus = await db.RequestCounts.AsNoTracking().GroupBy(c => c.Status)
            .Select(g => new { Status = g.Key, Count = g.Sum(c => c.Count) }).ToListAsync(ct);
        var pending = db.WebhookDeliveries.AsNoTracking().Where(d => d.State == Webhooks.DeliveryState.Pending);
        var webhookBacklog = await pending.CountAsync(ct);
        var oldestWebhook = webhookBacklog == 0 ? null : await pending.MinAsync(d => (DateTime?)d.CreatedAt, ct);
        return new Snapshot(backlog, oldest, deposits, byStatus.Select(b => (b.Status.Code(), b.Count)).ToList(), webhookBacklog, oldestWebhook);
    }
}
