using Guichet.Data;
using Guichet.Hosting;
using MailKit.Net.Smtp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Email;

/// <summary>
/// Sends the due outbox messages, each once as far as Guichet can know, however many dispatchers run (instances, the
/// <c>sweep</c> verb). A dispatcher claims a few messages (<c>Email:Dispatch:BatchSize</c>), each with its own lease
/// token written by a guarded update, so two dispatchers never hold the same row. Before sending a message it renews
/// its lease (guarded on the token and on the lease not having expired) and skips the message when the lease is gone;
/// during the send it keeps renewing it, and cancels the send if another dispatcher has taken the message. Only the
/// token's holder marks the message sent or schedules its retry (1, 2, 4… minutes, an hour at most).
/// At least once remains the guarantee on a crash between sending and marking: the message goes out again, with the
/// same Message-ID, once its lease has expired.
/// </summary>
public sealed class EmailDispatcher(GuichetDbContext db, EmailSender sender, TimeProvider clock, IOptions<EmailOptions> options,
    ILogger<EmailDispatcher> logger)
{
    private readonly int _batchSize = options.Value.Dispatch.BatchSize;
    private readonly TimeSpan _lease = options.Value.Dispatch.Lease;

    private sealed record Claim(OutboxMessage Message, Guid Token);

    /// <summary>Sends everything due now; returns how many messages were sent.</summary>
    /// <remarks>
    /// A refusal by the server (an SMTP reply) fails that message only. Any other failure (connection refused, dropped,
    /// timed out, pickup folder unwritable) fails the message being sent and ends the run: the rest of the batch is
    /// released for the next run instead of meeting the same broken server one after the other.
    /// </remarks>
    public async Task<int> DispatchDueAsync(CancellationToken ct = default)
    {
        var sent = 0;
        while (!ct.IsCancellationRequested)
        {
            var (candidates, batch) = await ClaimAsync(ct);
            if (candidates == 0) break;
            var pending = new Queue<Claim>(batch);
            var broken = false;
            try
            {
                await using var session = sender.Open();
                while (!broken && pending.TryDequeue(out var claim))
                {
                    var outcome = await SendOneAsync(session, claim, ct);
                    if (outcome == Outcome.Sent) sent++;
                    broken = outcome == Outcome.ServerFailed;
                }
            }
            finally
            {
                await ReleaseAsync(pending);
            }
            if (broken || candidates < _batchSize) break;
        }
        return sent;
    }

    private enum Outcome { Sent, Skipped, MessageFailed, ServerFailed }

    /// <summary>
    /// The ids of up to a batch of due, free messages, then one guarded update per message writing a new token and the
    /// lease expiry: a row another dispatcher claimed meanwhile matches no longer and is left to it.
    /// </summary>
    private async Task<(int Candidates, List<Claim> Claimed)> ClaimAsync(CancellationToken ct)
    {
        var now = clock.UtcNow();
        var ids = await db.OutboxMessages
            .Where(m => m.SentAt == null && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Select(m => m.Id).Take(_batchSize).ToListAsync(ct);
        if (ids.Count == 0) return (0, []);
        var until = now + _lease;
        var tokens = new Dictionary<long, Guid>();
        foreach (var id in ids)
        {
            var token = Guid.NewGuid();
            var claimed = await db.OutboxMessages
                .Where(m => m.Id == id && m.SentAt == null && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseToken, token).SetProperty(m => m.LeaseUntil, until), ct);
            if (claimed == 1) tokens[id] = token;
        }
        if (tokens.Count == 0) return (ids.Count, []);
        var claimedIds = tokens.Keys.ToList();
        var rows = await db.OutboxMessages.AsNoTracking().Where(m => claimedIds.Contains(m.Id)).OrderBy(m => m.Id).ToListAsync(ct);
        return (ids.Count, rows.Where(m => m.LeaseToken == tokens[m.Id]).Select(m => new Claim(m, tokens[m.Id])).ToList());
    }

    /// <summary>Extends the lease if it is still this dispatcher's and has not expired; false when it is lost.</summary>
    private async Task<bool> RenewAsync(Claim claim, CancellationToken ct)
    {
        var now = clock.UtcNow();
        var until = now + _lease;
        return await db.OutboxMessages
            .Where(m => m.Id == claim.Message.Id && m.LeaseToken == claim.Token && m.LeaseUntil > now && m.SentAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseUntil, until), ct) == 1;
    }

    private async Task<Outcome> SendOneAsync(EmailSender.IEmailSession session, Claim claim, CancellationToken ct)
    {
        var message = claim.Message;
        if (!await RenewAsync(claim, ct))
        {
            logger.LogInformation("E-mail {MessageId} laissé : son bail a expiré ou un autre envoi l'a pris.", message.MessageId);
            return Outcome.Skipped;
        }
        MimeKit.MimeMessage mime;
        try
        {
            mime = sender.Compose(message);
        }
        catch (Exception e) when (e is FormatException or MimeKit.ParseException or ArgumentException)
        {
            await FailAsync(claim, e);
            return Outcome.MessageFailed;
        }

        Exception? failure = null;
        bool leaseKept;
        using (var lost = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var sending = session.SendAsync(mime, lost.Token);
            leaseKept = await KeepLeaseWhileAsync(sending, claim, lost);
            try
            {
                await sending;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                failure = e;
            }
        }

        if (failure is null)
        {
            var now = clock.UtcNow();
            int marked;
            try
            {
                marked = await db.OutboxMessages.Where(m => m.Id == message.Id && m.LeaseToken == claim.Token)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, now).SetProperty(m => m.Attempts, m => m.Attempts + 1)
                        .SetProperty(m => m.LastError, (string?)null)
                        .SetProperty(m => m.LeaseToken, (Guid?)null).SetProperty(m => m.LeaseUntil, (DateTime?)null), CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogError(e, "E-mail {MessageId} envoyé mais pas marqué envoyé : il repartira, avec le même Message-ID, à l'expiration de son bail.",
                    message.MessageId);
                throw;
            }
            if (marked == 0 || !leaseKept)
                logger.LogWarning("E-mail {MessageId} envoyé, mais son bail a été perdu pendant l'envoi : un autre envoi a pu le prendre "
                    + "et le renverra peut-être, avec le même Message-ID.", message.MessageId);
            Telemetry.GuichetTelemetry.EmailSent();
            return Outcome.Sent;
        }
        if (!leaseKept)
        {
            logger.LogInformation("Envoi de l'e-mail {MessageId} interrompu : un autre envoi l'a pris.", message.MessageId);
            return Outcome.Skipped;
        }
        await FailAsync(claim, failure);
        return failure is SmtpCommandException ? Outcome.MessageFailed : Outcome.ServerFailed;
    }

    /// <summary>
    /// Renews the lease every third of its length until <paramref name="sending"/> ends, so that a slow server never lets
    /// it lapse; when the lease is found lost, cancels the send (the other holder sends the message). Returns whether the
    /// lease was kept. A database error here is logged and the send goes on: the lease may lapse, which at worst sends
    /// the message twice.
    /// </summary>
    private async Task<bool> KeepLeaseWhileAsync(Task sending, Claim claim, CancellationTokenSource lost)
    {
        using var stop = new CancellationTokenSource();
        try
        {
            while (true)
            {
                var tick = Task.Delay(_lease / 3, clock, stop.Token);
                if (await Task.WhenAny(sending, tick) == sending) return true;
                bool renewed;
                try
                {
                    renewed = await RenewAsync(claim, CancellationToken.None);
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "Bail de l'e-mail {MessageId} non prolongé pendant l'envoi.", claim.Message.MessageId);
                    continue;
                }
                if (renewed) continue;
                await lost.CancelAsync();
                try { await sending; } catch (Exception) { } // its outcome is read by the caller
                return false;
            }
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    private async Task FailAsync(Claim claim, Exception e)
    {
        var message = claim.Message;
        var attempts = message.Attempts + 1;
        var next = clock.UtcNow() + OutboxMessage.Backoff(attempts);
        var error = e.GetType().Name + " : " + e.Message;
        Telemetry.GuichetTelemetry.EmailFailed();
        if (error.Length > 1000) error = error[..1000];
        logger.LogWarning("Envoi de l'e-mail {MessageId} échoué (tentative {Attempts}), nouvel essai à {Next:o} : {Error}",
            message.MessageId, attempts, next, error);
        await db.OutboxMessages.Where(m => m.Id == message.Id && m.LeaseToken == claim.Token)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Attempts, attempts).SetProperty(m => m.NextAttemptAt, next)
                .SetProperty(m => m.LastError, error)
                .SetProperty(m => m.LeaseToken, (Guid?)null).SetProperty(m => m.LeaseUntil, (DateTime?)null), CancellationToken.None);
    }

    /// <summary>Gives back the claimed messages not tried in this run (server broken, stop requested, database error).</summary>
    private async Task ReleaseAsync(IEnumerable<Claim> claims)
    {
        foreach (var claim in claims)
        {
            try
            {
                await db.OutboxMessages.Where(m => m.Id == claim.Message.Id && m.LeaseToken == claim.Token)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseToken, (Guid?)null).SetProperty(m => m.LeaseUntil, (DateTime?)null),
                        CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "E-mail {MessageId} non rendu : il le sera à l'expiration de son bail.", claim.Message.MessageId);
                return;
            }
        }
    }
}

/// <summary>
/// The background loop: every <c>Email:Dispatch:PeriodSeconds</c>, a scope and one <see cref="EmailDispatcher.DispatchDueAsync"/>.
/// Whatever fails (database down, server unreachable) is logged and retried after a growing pause (period × 2, × 4…, a
/// minute at most); only the host's stop ends the loop.
/// </summary>
public sealed class EmailDispatchService(IServiceScopeFactory scopes, IOptions<WorkersOptions> workers, IOptions<EmailOptions> options,
    ILogger<EmailDispatchService> logger) : BackgroundService
{
    private static readonly TimeSpan MaxPause = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workers.Value.Enabled) return;
        var period = options.Value.Dispatch.Period;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<EmailDispatcher>().DispatchDueAsync(stoppingToken);
                if (failures > 0) logger.LogInformation("Envoi des e-mails rétabli après {Failures} échec(s).", failures);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                logger.LogError(e, "Envoi des e-mails interrompu ({Failures} échec(s) de suite) ; nouvel essai dans {Pause}.",
                    failures, Pause(period, failures));
            }
            try
            {
                await Task.Delay(Pause(period, failures), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>The period, doubled for each failure in a row, a minute at most (or the period, if longer).</summary>
    public static TimeSpan Pause(TimeSpan period, int failures) =>
        failures == 0 ? period : TimeSpan.FromTicks(Math.Min(period.Ticks * (1L << Math.Min(failures, 20)), Math.Max(period.Ticks, MaxPause.Ticks)));
}
