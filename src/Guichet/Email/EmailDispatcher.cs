using Guichet.Data;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Email;

/// <summary>
/// Sends the due outbox messages: claims a batch with a lease (guarded update, so several instances never take the
/// same row), sends each, marks it sent or schedules a retry with backoff. At least once: a crash after sending and
/// before marking resends the same Message-ID once the lease has expired.
/// </summary>
public sealed class EmailDispatcher(GuichetDbContext db, EmailSender sender, TimeProvider clock, IOptions<EmailOptions> options,
    ILogger<EmailDispatcher> logger)
{
    private readonly int _batchSize = options.Value.Dispatch.BatchSize;
    private readonly TimeSpan _lease = options.Value.Dispatch.Lease;

    /// <summary>Sends everything due now; returns how many messages were sent.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct = default)
    {
        var sent = 0;
        while (!ct.IsCancellationRequested)
        {
            var token = Guid.NewGuid();
            var batch = await ClaimAsync(token, ct);
            if (batch.Count == 0) break;
            await using (var session = sender.Open())
            {
                foreach (var message in batch)
                {
                    try
                    {
                        await session.SendAsync(sender.Compose(message), ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        await FailAsync(message, token, e, ct);
                        continue;
                    }
                    var now = clock.UtcNow();
                    await db.OutboxMessages.Where(m => m.Id == message.Id && m.LeaseToken == token)
                        .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, now).SetProperty(m => m.Attempts, m => m.Attempts + 1)
                            .SetProperty(m => m.LastError, (string?)null)
                            .SetProperty(m => m.LeaseToken, (Guid?)null).SetProperty(m => m.LeaseUntil, (DateTime?)null), CancellationToken.None);
                    sent++;
                }
            }
            if (batch.Count < _batchSize) break;
        }
        return sent;
    }

    private async Task<List<OutboxMessage>> ClaimAsync(Guid token, CancellationToken ct)
    {
        var now = clock.UtcNow();
        var ids = await db.OutboxMessages
            .Where(m => m.SentAt == null && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Select(m => m.Id).Take(_batchSize).ToListAsync(ct);
        if (ids.Count == 0) return [];
        var until = now + _lease;
        // The condition is repeated in the UPDATE: a row another instance claimed meanwhile is left to it.
        await db.OutboxMessages
            .Where(m => ids.Contains(m.Id) && m.SentAt == null && (m.LeaseUntil == null || m.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseToken, token).SetProperty(m => m.LeaseUntil, until), ct);
        return await db.OutboxMessages.AsNoTracking().Where(m => m.LeaseToken == token).OrderBy(m => m.Id).ToListAsync(ct);
    }

    private async Task FailAsync(OutboxMessage message, Guid token, Exception e, CancellationToken ct)
    {
        var attempts = message.Attempts + 1;
        var next = clock.UtcNow() + OutboxMessage.Backoff(attempts);
        var error = e.GetType().Name + " : " + e.Message;
        if (error.Length > 1000) error = error[..1000];
        logger.LogWarning("Envoi de l'e-mail {MessageId} échoué (tentative {Attempts}), nouvel essai à {Next:o} : {Error}",
            message.MessageId, attempts, next, error);
        await db.OutboxMessages.Where(m => m.Id == message.Id && m.LeaseToken == token)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Attempts, attempts).SetProperty(m => m.NextAttemptAt, next)
                .SetProperty(m => m.LastError, error)
                .SetProperty(m => m.LeaseToken, (Guid?)null).SetProperty(m => m.LeaseUntil, (DateTime?)null), ct);
    }
}

/// <summary>The thin loop: every few seconds, a scope and one <see cref="EmailDispatcher.DispatchDueAsync"/>.</summary>
public sealed class EmailDispatchService(IServiceScopeFactory scopes, IOptions<WorkersOptions> workers, ILogger<EmailDispatchService> logger)
    : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workers.Value.Enabled) return;
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<EmailDispatcher>().DispatchDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Envoi des e-mails interrompu ; nouvel essai dans {Period}.", Period);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
