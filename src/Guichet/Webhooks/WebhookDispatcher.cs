using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Webhooks;

/// <summary>
/// Posts the due deliveries, each once as far as Guichet can know, however many dispatchers run: the lease pattern of
/// <see cref="EmailDispatcher"/> (a guarded update writes each claimed row's token; only the token's holder marks it).
/// A delivery waits while an earlier one of the same request to the same endpoint is pending (per-request order).
/// 2xx is delivered; anything else (status, timeout, refused address, no answer) is retried with exponential backoff and
/// jitter until <c>Webhooks:RetryDays</c> after the first attempt, then « échec définitif ». An endpoint failing for
/// <c>Webhooks:PauseAfterHours</c> is paused and its organisation's users are e-mailed. Every attempt is recorded.
/// </summary>
public sealed class WebhookDispatcher(GuichetDbContext db, WebhookTransport transport, TimeProvider clock, IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger)
{
    private readonly WebhookOptions _options = options.Value;

    private sealed record Claim(WebhookDelivery Delivery, Guid Token);

    /// <summary>Posts everything due now; returns how many deliveries were delivered.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct = default)
    {
        var delivered = 0;
        while (!ct.IsCancellationRequested)
        {
            var (candidates, batch) = await ClaimAsync(ct);
            if (candidates == 0) break;
            var pending = new HashSet<Claim>(batch);
            try
            {
                // The posts of a batch run side by side, each bounded by the timeout. Those that went through are then
                // marked together, in one transaction; a failure is recorded on its own (backoff, endpoint's streak, pause).
                var posts = batch.Select(claim => (claim, Post: PostAsync(claim, ct))).ToList();
                var results = new List<(Claim Claim, bool Ok, WebhookAttempt Attempt)>();
                foreach (var (claim, post) in posts)
                {
                    var (ok, attempt) = await post;
                    results.Add((claim, ok, attempt));
                }
                var succeeded = results.Where(r => r.Ok).Select(r => (r.Claim, r.Attempt)).ToList();
                delivered += await RecordDeliveredAsync(succeeded);
                pending.ExceptWith(succeeded.Select(r => r.Claim));
                foreach (var (claim, _, attempt) in results.Where(r => !r.Ok))
                {
                    pending.Remove(claim);
                    await RecordFailedAsync(claim, attempt);
                }
            }
            finally
            {
                await ReleaseAsync(pending);
            }
            if (candidates < _options.BatchSize) break;
        }
        return delivered;
    }

    private IQueryable<WebhookDelivery> Due(DateTime now) => db.WebhookDeliveries.Where(d =>
        d.State == DeliveryState.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now)
        && d.Subscription!.Active
        && !db.WebhookDeliveries.Any(o => o.SubscriptionId == d.SubscriptionId && o.RequestNumber != null && o.RequestNumber == d.RequestNumber
            && o.State == DeliveryState.Pending && o.Order < d.Order));

    private async Task<(int Candidates, List<Claim> Claimed)> ClaimAsync(CancellationToken ct)
    {
        var now = clock.UtcNow();
        var ids = await Due(now).OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Id).Select(d => d.Id).Take(_options.BatchSize).ToListAsync(ct);
        if (ids.Count == 0) return (0, []);
        var until = now + _options.Lease;
        // One guarded update takes every row of the batch still free under one token; only the rows it took carry it.
        var token = Guid.NewGuid();
        var claimed = await db.WebhookDeliveries
            .Where(d => ids.Contains(d.Id) && d.State == DeliveryState.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseToken, token).SetProperty(d => d.LeaseUntil, until), ct);
        if (claimed == 0) return (ids.Count, []);
        var rows = await db.WebhookDeliveries.AsNoTracking().Include(d => d.Event).Include(d => d.Subscription)
            .Where(d => d.LeaseToken == token).OrderBy(d => d.Id).ToListAsync(ct);
        return (ids.Count, rows.Select(d => new Claim(d, token)).ToList());
    }

    private async Task<(bool Ok, WebhookAttempt Attempt)> PostAsync(Claim claim, CancellationToken ct)
    {
        var delivery = claim.Delivery;
        var subscription = delivery.Subscription!;
        var evt = delivery.Event!;
        var started = clock.UtcNow();
        var body = EventBody.Serialize(evt);
        var id = EventBody.IdOf(evt);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        int? status = null;
        string? answer = null;
        string? error = null;
        var watch = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.Add("webhook-id", id);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", WebhookSignature.Header(subscription.SigningSecrets(started), id, timestamp, body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.Timeout);
            using var response = await transport.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            answer = await ReadStartAsync(response, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"Pas de réponse en {_options.TimeoutSeconds} s.";
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException)
        {
            error = FindBlocked(e) is { } blocked ? "Adresse refusée : " + blocked.Message : "Connexion impossible : " + e.Message;
        }
        watch.Stop();
        var ok = status is >= 200 and < 300;
        if (!ok && error is null) error = $"Réponse HTTP {status}.";
        return (ok, WebhookAttempt.Of(delivery, started, status, watch.Elapsed, answer, ok ? null : error));
    }

    private static BlockedAddressException? FindBlocked(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is BlockedAddressException b) return b;
        return null;
    }

    // Only the first bytes are kept: an endpoint's answer is shown to its owner, not stored whole.
    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[WebhookAttempt.ResponseExcerpt];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0) read += n;
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>
    /// Marks the deliveries that went through (those whose lease is still this run's), records their attempts and ends their
    /// endpoints' failure streaks, in one transaction; returns how many were marked.
    /// </summary>
    private async Task<int> RecordDeliveredAsync(IReadOnlyList<(Claim Claim, WebhookAttempt Attempt)> done)
    {
        if (done.Count == 0) return 0;
        var now = clock.UtcNow();
        var marked = new List<(Claim Claim, WebhookAttempt Attempt)>();
        await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
        foreach (var (claim, attempt) in done)
        {
            var delivery = claim.Delivery;
            var first = delivery.FirstAttemptAt ?? attempt.At;
            var attempts = delivery.Attempts + 1;
            var n = await db.WebhookDeliveries.Where(d => d.Id == delivery.Id && d.LeaseToken == claim.Token)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DeliveryState.Delivered).SetProperty(d => d.Attempts, attempts)
                    .SetProperty(d => d.FirstAttemptAt, first).SetProperty(d => d.LastStatusCode, attempt.StatusCode)
                    .SetProperty(d => d.DeliveredAt, now)
                    .SetProperty(d => d.LeaseToken, (Guid?)null).SetProperty(d => d.LeaseUntil, (DateTime?)null), CancellationToken.None);
            if (n == 0) logger.LogWarning("Livraison {Delivery} tentée, mais son bail a été perdu : un autre envoi a pu la reprendre.", delivery.Id);
            else marked.Add((claim, attempt));
        }
        if (marked.Count == 0) return 0;
        db.WebhookAttempts.AddRange(marked.Select(m => m.Attempt));
        // A success ends the endpoint's failure streak (WebhookSubscription.FailingSince), which RecordFailure starts.
        var endpoints = marked.Select(m => m.Claim.Delivery.SubscriptionId).Distinct().ToList();
        await db.WebhookSubscriptions.Where(s => endpoints.Contains(s.Id) && s.FailingSince != null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.FailingSince, (DateTime?)null), CancellationToken.None);
        await db.SaveChangesAsync(CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        db.ChangeTracker.Clear();
        foreach (var _ in marked) Telemetry.GuichetTelemetry.WebhookAttempted("delivered");
        return marked.Count;
    }

    /// <summary>
    /// Records a failed post (if the lease is still this run's): the attempt, the next try or the end of the retries, and the
    /// endpoint's failure streak, which pauses it after too long. Successes are marked by <see cref="RecordDeliveredAsync"/>.
    /// </summary>
    private async Task RecordFailedAsync(Claim claim, WebhookAttempt attempt)
    {
        var delivery = claim.Delivery;
        var now = clock.UtcNow();
        var first = delivery.FirstAttemptAt ?? attempt.At;
        var attempts = delivery.Attempts + 1;
        var giveUp = now >= first.AddDays(_options.RetryDays);
        var next = giveUp ? delivery.NextAttemptAt : now + Backoff(attempts);
        var state = giveUp ? DeliveryState.Failed : DeliveryState.Pending;
        await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var marked = await db.WebhookDeliveries.Where(d => d.Id == delivery.Id && d.LeaseToken == claim.Token)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, state).SetProperty(d => d.Attempts, attempts)
                .SetProperty(d => d.FirstAttemptAt, first).SetProperty(d => d.LastStatusCode, attempt.StatusCode)
                .SetProperty(d => d.NextAttemptAt, next)
                .SetProperty(d => d.LeaseToken, (Guid?)null).SetProperty(d => d.LeaseUntil, (DateTime?)null), CancellationToken.None);
        if (marked == 0)
        {
            logger.LogWarning("Livraison {Delivery} tentée, mais son bail a été perdu : un autre envoi a pu la reprendre.", delivery.Id);
            return;
        }
        db.WebhookAttempts.Add(attempt);
        var subscription = await db.WebhookSubscriptions.SingleAsync(s => s.Id == delivery.SubscriptionId, CancellationToken.None);
        subscription.RecordFailure(attempt.At);
        if (subscription.Active && now - subscription.FailingSince >= TimeSpan.FromHours(_options.PauseAfterHours))
        {
            subscription.PauseAfterFailures($"Mis en pause automatiquement : aucune livraison réussie depuis le {Fr.DateTime(subscription.FailingSince!.Value)}.", now);
            await Outbox.EnqueueForOrganisationAsync(db, subscription.OrganisationId, EmailKind.WebhookPaused,
                EmailTemplates.ForWebhookPaused(subscription.Url, subscription.FailingSince!.Value), now, CancellationToken.None);
            logger.LogWarning("Webhook {Subscription} mis en pause après des échecs depuis {Since:o}.", subscription.Id, subscription.FailingSince);
        }
        await db.SaveChangesAsync(CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        db.ChangeTracker.Clear();
        Telemetry.GuichetTelemetry.WebhookAttempted(giveUp ? "failed" : "retry");
        logger.LogInformation("Livraison {Delivery} échouée (tentative {Attempts}) : {Error}", delivery.Id, attempts, attempt.Error);
    }

    /// <summary>30 s × 2^(attempts − 1), six hours at most, ± 20 % so that endpoints coming back are not all hit at once.</summary>
    public static TimeSpan Backoff(int attempts)
    {
        var seconds = Math.Min(6 * 3600, 30 * Math.Pow(2, Math.Clamp(attempts - 1, 0, 20)));
        return TimeSpan.FromSeconds(seconds * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    private async Task ReleaseAsync(IEnumerable<Claim> claims)
    {
        foreach (var claim in claims)
        {
            try
            {
                await db.WebhookDeliveries.Where(d => d.Id == claim.Delivery.Id && d.LeaseToken == claim.Token)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseToken, (Guid?)null).SetProperty(d => d.LeaseUntil, (DateTime?)null),
                        CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Livraison {Delivery} non rendue : elle le sera à l'expiration de son bail.", claim.Delivery.Id);
                return;
            }
        }
    }
}

/// <summary>The background loop: every <c>Webhooks:PeriodSeconds</c>, a scope and one <see cref="WebhookDispatcher.DispatchDueAsync"/>.</summary>
public sealed class WebhookDispatchService(IServiceScopeFactory scopes, IOptions<WorkersOptions> workers, IOptions<WebhookOptions> options,
    ILogger<WebhookDispatchService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workers.Value.Enabled) return;
        var period = TimeSpan.FromSeconds(options.Value.PeriodSeconds);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().DispatchDueAsync(stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                logger.LogError(e, "Livraison des webhooks interrompue ({Failures} échec(s) de suite).", failures);
            }
            try
            {
                await Task.Delay(EmailDispatchService.Pause(period, failures), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
