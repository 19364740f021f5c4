using System.Collections.Concurrent;
using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Instruction.Bulk;

/// <summary>
/// Runs operations groupées, item by item, exactly once each: an item's outcome and the request's change are saved in the
/// same SaveChanges (the single action saves the whole change tracker), and the item's Outcome is a concurrency token, so
/// of two runners on the same item only one commits. The instance running an operation writes its heartbeat; an operation
/// whose heartbeat stopped (its process died) is resumed by a live instance (<see cref="TakeOverStaleAsync"/>).
/// </summary>
public sealed class BulkRunner(IServiceScopeFactory scopes, TimeProvider clock, IOptions<BulkOptions> options,
    IHostApplicationLifetime lifetime, ILogger<BulkRunner> logger)
{
    private const int Batch = 50;
    private const int ConflictAttempts = 3;
    public const string UnexpectedMessage = "Erreur inattendue pendant le traitement de cette demande : elle n'a pas été modifiée.";

    // The operations this instance runs now.
    private readonly ConcurrentDictionary<Guid, Task> _running = new();

    /// <summary>Runs the operation in the background on this instance (unless it already runs here); returns its run.</summary>
    public Task Start(Guid id) => _running.GetOrAdd(id, key => Task.Run(async () =>
    {
        try { await RunAsync(key, lifetime.ApplicationStopping); }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested) { }
        catch (Exception e)
        {
            // Its heartbeat stops: a live instance resumes it after BulkOperations:StaleAfterSeconds.
            logger.LogError(e, "Opération groupée {Id} interrompue ; elle sera reprise.", key);
        }
        finally { _running.TryRemove(key, out _); }
    }));

    /// <summary>The run of an operation on this instance, if any (tests await it).</summary>
    public Task? Running(Guid id) => _running.TryGetValue(id, out var run) ? run : null;

    /// <summary>Processes every item still to do, then closes the operation (TERMINEE) with its counts.</summary>
    public async Task RunAsync(Guid id, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<GuichetDbContext>();
        var operation = await db.BulkOperations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id && o.Status == BulkStatus.EnCours, ct);
        if (operation is null) return;
        var beat = clock.UtcNow();
        while (true)
        {
            var batch = await db.BulkOperationItems.AsNoTracking().Where(i => i.OperationId == id && i.Outcome == null)
                .OrderBy(i => i.Id).Select(i => i.Id).Take(Batch).ToListAsync(ct);
            if (batch.Count == 0) break;
            // Read again for each batch: a manager who lost the role meanwhile has the rest refused.
            var user = await PrincipalAsync(db, operation.UserId, ct);
            foreach (var itemId in batch)
            {
                ct.ThrowIfCancellationRequested();
                await ProcessAsync(services, db, operation, user, itemId, ct);
                if (clock.UtcNow() - beat >= TimeSpan.FromSeconds(options.Value.HeartbeatSeconds))
                {
                    beat = clock.UtcNow();
                    if (!await BeatAsync(db, id, ct)) return; // closed elsewhere
                }
            }
            await BeatAsync(db, id, ct);
        }
        var (done, skipped) = await CountsAsync(db, id, ct);
        var now = clock.UtcNow();
        await db.BulkOperations.Where(o => o.Id == id && o.Status == BulkStatus.EnCours).ExecuteUpdateAsync(s => s
            .SetProperty(o => o.Status, BulkStatus.Terminee).SetProperty(o => o.FinishedAt, now)
            .SetProperty(o => o.Done, done).SetProperty(o => o.Skipped, skipped).SetProperty(o => o.HeartbeatAt, now), ct);
        logger.LogInformation("Opération groupée {Id} terminée : {Done} faite(s), {Skipped} ignorée(s).", id, done, skipped);
    }

    /// <summary>
    /// One item: marked « faite » in the same SaveChanges as the single action's change. A refusal leaves the request
    /// unchanged and the item « ignorée » with the refusal's message; a concurrent change of the request is tried again.
    /// </summary>
    private async Task ProcessAsync(IServiceProvider services, GuichetDbContext db, BulkOperation operation, ClaimsPrincipal user,
        long itemId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var item = await db.BulkOperationItems.FirstAsync(i => i.Id == itemId, ct);
            if (item.Outcome is not null) return; // another runner did it
            item.MarkDone(clock.UtcNow());
            string reason;
            try
            {
                await ApplyAsync(services, operation, user, item.Number, ct);
                return;
            }
            catch (Refusal refusal)
            {
                // Lost to another runner (the item) or to another change of the request: look again, from the database.
                if (refusal.Message == RequestAccess.ConcurrencyMessage && attempt < ConflictAttempts) continue;
                reason = refusal.Message;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && !TransientFailures.Is(e))
            {
                logger.LogError(e, "Opération groupée {Id} : demande {Number} en erreur, ignorée.", operation.Id, item.Number);
                reason = UnexpectedMessage;
            }
            db.ChangeTracker.Clear();
            var now = clock.UtcNow();
            // Guarded: an item another runner already wrote keeps its outcome.
            await db.BulkOperationItems.Where(i => i.Id == itemId && i.Outcome == null).ExecuteUpdateAsync(s => s
                .SetProperty(i => i.Outcome, BulkOutcome.Ignoree).SetProperty(i => i.Reason, reason).SetProperty(i => i.ProcessedAt, now), ct);
            return;
        }
    }

    /// <summary>The single decision, as the manager would take it on the request's page.</summary>
    private static Task ApplyAsync(IServiceProvider services, BulkOperation operation, ClaimsPrincipal user, string number, CancellationToken ct) =>
        operation.Action switch
        {
            BulkAction.Valider => services.GetRequiredService<ValidateRequest>().RunAsync(user, number, null, ct),
            BulkAction.Rejeter => services.GetRequiredService<RejectRequest>().RunAsync(user, number, operation.Reason, null, ct),
            BulkAction.MarquerPayee => services.GetRequiredService<MarkPaid>().RunAsync(user, number, null, ct),
            BulkAction.DemanderModification => services.GetRequiredService<OpenRound>().RunAsync(user, number, operation.Comment, operation.Items, null, ct),
            _ => services.GetRequiredService<CancelRound>().RunAsync(user, number, operation.Comment, null, ct),
        };

    /// <summary>The creator as their session would carry them: same claims, same roles (none once deactivated).</summary>
    private static async Task<ClaimsPrincipal> PrincipalAsync(GuichetDbContext db, string userId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null) return new ClaimsPrincipal(new ClaimsIdentity());
        var roles = user.IsActive
            ? await db.UserRoles.Where(ur => ur.UserId == userId).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name!).ToListAsync(ct)
            : [];
        return GuichetClaims.Build(user, roles, "OperationGroupee");
    }

    /// <summary>The heartbeat, with the counts so far; false when the operation is no longer « en cours ».</summary>
    private async Task<bool> BeatAsync(GuichetDbContext db, Guid id, CancellationToken ct)
    {
        var (done, skipped) = await CountsAsync(db, id, ct);
        var now = clock.UtcNow();
        return await db.BulkOperations.Where(o => o.Id == id && o.Status == BulkStatus.EnCours).ExecuteUpdateAsync(s => s
            .SetProperty(o => o.HeartbeatAt, now).SetProperty(o => o.Done, done).SetProperty(o => o.Skipped, skipped), ct) == 1;
    }

    /// <summary>Done and skipped items, counted on the items (the truth), not on the operation's row.</summary>
    public static async Task<(int Done, int Skipped)> CountsAsync(GuichetDbContext db, Guid id, CancellationToken ct)
    {
        var counts = await db.BulkOperationItems.Where(i => i.OperationId == id && i.Outcome != null)
            .GroupBy(i => i.Outcome).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return (counts.Where(c => c.Key == BulkOutcome.Faite).Sum(c => c.Count), counts.Where(c => c.Key == BulkOutcome.Ignoree).Sum(c => c.Count));
    }

    /// <summary>
    /// Claims the operations « en cours » whose heartbeat is stale (guarded update: one instance wins each) and runs them
    /// here; returns those claimed.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> TakeOverStaleAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var now = clock.UtcNow();
        var cutoff = now.AddSeconds(-options.Value.StaleAfterSeconds);
        var stale = await db.BulkOperations.AsNoTracking().Where(o => o.Status == BulkStatus.EnCours && o.HeartbeatAt < cutoff)
            .Select(o => new { o.Id, o.Takeovers }).ToListAsync(ct);
        var claimed = new List<Guid>();
        foreach (var op in stale)
        {
            if (_running.ContainsKey(op.Id)) continue;
            if (await db.BulkOperations.Where(o => o.Id == op.Id && o.Status == BulkStatus.EnCours && o.HeartbeatAt < cutoff && o.Takeovers == op.Takeovers)
                    .ExecuteUpdateAsync(s => s.SetProperty(o => o.HeartbeatAt, now).SetProperty(o => o.Takeovers, o => o.Takeovers + 1), ct) == 0)
                continue;
            logger.LogWarning("Opération groupée {Id} reprise : son instance ne donnait plus de battement depuis {Seconds} s.",
                op.Id, options.Value.StaleAfterSeconds);
            claimed.Add(op.Id);
            _ = Start(op.Id);
        }
        return claimed;
    }
}

/// <summary>Looks for operations to resume every BulkOperations:CheckSeconds, when Workers:Enabled.</summary>
public sealed class BulkWorker(BulkRunner runner, TimeProvider clock, IOptions<WorkersOptions> workers, IOptions<BulkOptions> options,
    ILogger<BulkWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workers.Value.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CheckSeconds), clock);
        do
        {
            try { await runner.TakeOverStaleAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { logger.LogWarning(e, "Reprise des opérations groupées : échec, nouvel essai dans {Seconds} s.", options.Value.CheckSeconds); }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}
