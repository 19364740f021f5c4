using Guichet.Data;
using Guichet.Hosting;
using MailKit.Net.Smtp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Email;

/// <summary>
/// Sends the due outbox messages, each once as far as Guichet can know, however many dispatchers run (instances, the
/// <c>sweep</c> verb). A dispatcher claims a batch of due, free messages (<c>Email:Dispatch:BatchSize</c>) in one guarded
/// update that writes the run's lease token and expiry, so two dispatchers never hold the same row. One SMTP connection
/// serves the whole run. Before sending a message it renews its lease in the database only when the lease it knows of
/// has run down by a third (a message sent right after its claim needs no round trip); a renewal that finds the lease
/// gone skips the message. During the send it keeps renewing it, and cancels the send if another dispatcher has taken
/// the message. Each message is marked sent as soon as the relay accepted it, before the next one is sent; only the
/// token's holder marks it sent or schedules its retry (1, 2, 4… minutes, an hour at most).
/// At least once remains the guarantee on a crash between the relay's acceptance and the mark: that one message (never
/// more) goes out again, with the same Message-ID, once its lease has expired.
/// </summary>
public sealed class EmailDispatcher(GuichetDbContext db, EmailSender sender, TimeProvider clock, IOptions<EmailOptions> options,
    ILogger<EmailDispatcher> logger)
{
    private readonly int _batchSize = options.Value.Dispatch.BatchSize;
    private readonly TimeSpan _lease = options.Value.Dispatch.Lease;

    /// <summary>A claimed message; <see cref="Until"/> is the lease expiry this dispatcher last wrote.</summary>
    private sealed class Claim(OutboxMessage message, Guid token, DateTime until)
    {
        public OutboxMessage Message { get; } = message;
        public Guid Token { get; } = token;
        public DateTime Until { get; set; } = until;
    }

    /// <summary>Sends everything due now; returns how many messages were sent.</summary>
    /// <remarks>
    /// A refusal by the server (an SMTP reply) fails that message only. Any other failure (connection refused, dropped,
    /// timed out, pickup folder unwritable) fails the message being sent and ends the run: the rest of the batch is
    /// released for the next run instead of meeting the same broken server one after the other.
    /// </remarks>
    public async Task<int> DispatchDueAsync(CancellationToken ct = default)
    {
        var sent = 0;
        // One connection for the whole run (opened at its first send, not before): a batch no longer pays for its own.
        await using var session = sender.Open();
        // And one database connection for the run: EF would otherwise take one from the pool and give it back around every
        // statement (docs/architecture.md#e-mails).
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var (candidates, batch) = await ClaimAsync(ct);
                if (candidates == 0) break;
                var pending = new Queue<Claim>(batch);
                var broken = false;
                try
                {
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
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        return sent;
    }

    private enum Outcome { Sent, Skipped, MessageFailed, ServerFailed }

    /// <summary>
    /// Up to a batch of due, free messages, then one guarded update writing the run's token and the lease expiry on those
    /// still due and free: a row another dispatcher claimed meanwhile matches no longer and is left to it.
    /// </summary>
    /// <remarks>
    /// When the update took every row read, the rows read are this run's as they stand: between the read and the update a
    /// row can only be claimed by another dispatcher, and a claim that leaves it due and free again (a release) changes
    /// nothing else, while one that sends it or schedules its retry makes the guard refuse it. Only when some rows were
    /// taken meanwhile are this run's rows read again, by its token.
    /// </remarks>
    private async Task<(int Candidates, List<Claim> Claimed)> ClaimAsync(CancellationToken ct)
    {
        var now = clock.UtcNow();
        var rows = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.SentAt == null && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Take(_batchSize).ToListAsync(ct);
        if (rows.Count == 0) return (0, []);
        var ids = rows.Select(m => m.Id).ToList();
        var until = now + _lease;
        var token = Guid.NewGuid();
        var claimed = await db.OutboxMessages
            .Where(m => ids.Contains(m.Id) && m.SentAt == null && m.NextAttemptAt <= now && (m.LeaseUntil == null || m.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseToken, token).SetProperty(m => m.LeaseUntil, until), ct);
        if (claimed == 0) return (rows.Count, []);
        if (claimed < rows.Count)
            rows = await db.OutboxMessages.AsNoTracking().Where(m => m.LeaseToken == token).OrderBy(m => m.Id).ToListAsync(ct);
        return (ids.Count, rows.Select(m => new Claim(m, token, until)).ToList());
    }

    /// <summary>Extends the lease if it is still this dispatcher's and has not expired; false when it is lost.</summary>
    private async Task<bool> RenewAsync(Claim claim, CancellationToken ct)
    {
        var now = clock.UtcNow();
        var until = now + _lease;
        var renewed = await db.OutboxMessages
            .Where(m => m.Id == claim.Message.Id && m.LeaseToken == claim.Token && m.LeaseUntil > now && m.SentAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseUntil, until), ct) == 1;
        if (renewed) claim.Until = until;
        return renewed;
    }

    /// <summary>
    /// Whether the message may be sent: yes without a round trip while two thirds of the lease this dispatcher wrote are
    /// left (only its token's holder can shorten or hand over a lease before it expires), else as a renewal answers.
    /// </summary>
    private async Task<bool> HoldsLeaseAsync(Claim claim, CancellationToken ct) =>
        claim.Until - clock.UtcNow() >= _lease * 2 / 3 || await RenewAsync(claim, ct);

    private async Task<Outcome> SendOneAsync(EmailSender.IEmailSession session, Claim claim, CancellationToken ct)
    {
        var message = claim.Message;
        if (!await HoldsLeaseAsync(claim, ct))
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
                marked = await MarkSentAsync(claim, now);
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
    /// Marks the message sent, if this dispatcher still holds it: once per e-mail, so a statement written from the model
    /// (names, the columns' type mappings) rather than <c>ExecuteUpdateAsync</c>, whose LINQ work cost more than the update.
    /// </summary>
    private async Task<int> MarkSentAsync(Claim claim, DateTime now)
    {
        var type = db.Model.FindEntityType(typeof(OutboxMessage))!;
        await using var command = db.Database.GetDbConnection().CreateCommand();
        string Column(string property) => $"\"{type.FindProperty(property)!.GetColumnName()}\"";
        object Parameter(string name, string property, object? value) =>
            type.FindProperty(property)!.GetRelationalTypeMapping().CreateParameter(command, name, value);
        // Names from the model; every value a parameter.
        var sql = $"""
            UPDATE "{type.GetTableName()}" SET {Column(nameof(OutboxMessage.SentAt))} = @sent,
                {Column(nameof(OutboxMessage.Attempts))} = {Column(nameof(OutboxMessage.Attempts))} + 1,
                {Column(nameof(OutboxMessage.LastError))} = NULL, {Column(nameof(OutboxMessage.LeaseToken))} = NULL,
                {Column(nameof(OutboxMessage.LeaseUntil))} = NULL
            WHERE {Column(nameof(OutboxMessage.Id))} = @id AND {Column(nameof(OutboxMessage.LeaseToken))} = @token
            """;
        return await db.Database.ExecuteSqlRawAsync(sql,
            [Parameter("sent", nameof(OutboxMessage.SentAt), now), Parameter("id", nameof(OutboxMessage.Id), claim.Message.Id),
                Parameter("token", nameof(OutboxMessage.LeaseToken), claim.Token)],
            CancellationToken.None);
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
    private async Task ReleaseAsync(IReadOnlyCollection<Claim> claims)
    {
        if (claims.Count == 0) return;
        var ids = claims.Select(c => c.Message.Id).ToList();
        var token = claims.First().Token;
        try
        {
            await db.OutboxMessages.Where(m => ids.Contains(m.Id) && m.LeaseToken == token)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseToken, (Guid?)null).SetProperty(m => m.LeaseUntil, (DateTime?)null),
                    CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Count} e-mail(s) non rendu(s) : ils le seront à l'expiration de leur bail.", claims.Count);
        }
    }
}

/// <summary>
/// The background loop: every <c>Email:Dispatch:PeriodSeconds</c>, <c>Email:Dispatch:Connections</c> scopes, each running one
/// <see cref="EmailDispatcher.DispatchDueAsync"/> (their claims never overlap).
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
                await DispatchSideBySideAsync(scopes, options.Value.Dispatch.Connections, stoppingToken);
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

    /// <summary>
    /// One pass of <paramref name="connections"/> dispatchers side by side (<c>Email:Dispatch:Connections</c>), each in its own
    /// scope (context, SMTP connection); returns how many messages they sent. The loop and the <c>sweep</c> verb run it.
    /// </summary>
    public static async Task<int> DispatchSideBySideAsync(IServiceScopeFactory scopes, int connections, CancellationToken ct) =>
        (await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            using var scope = scopes.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<EmailDispatcher>().DispatchDueAsync(ct);
        }))).Sum();

    /// <summary>The period, doubled for each failure in a row, a minute at most (or the period, if longer).</summary>
    public static TimeSpan Pause(TimeSpan period, int failures) =>
        failures == 0 ? period : TimeSpan.FromTicks(Math.Min(period.Ticks * (1L << Math.Min(failures, 20)), Math.Max(period.Ticks, MaxPause.Ticks)));
}
