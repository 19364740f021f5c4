using System.Linq.Expressions;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Requests;
using Guichet.Storage;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Deadlines;

public sealed record SweepResult(int Reminders, int Closings, int Conflicts);

/// <summary>
/// When the J+10 reminders and the J+20 closings are due (docs/regles.md#echeances); what they do is the actions
/// <see cref="RemindVendor"/> and <see cref="CloseExpiredRound"/>. Run by the hosted loop and by the <c>sweep</c> verb.
/// Exactly once across instances and restarts: each change goes through the request's optimistic concurrency token,
/// so when two sweepers (or a sweeper and « Confirmer ») touch the same request, one commits and the other rolls back
/// with its outbox row. No in-memory timers: every due date is a column.
/// </summary>
public sealed class DeadlineSweep(GuichetDbContext db, AttachmentStore store, TimeProvider clock, ILogger<DeadlineSweep> logger)
{
    public const int BatchSize = 200;

    private readonly RemindVendor _remind = new(db);
    private readonly CloseExpiredRound _close = new(db, store);

    public async Task<SweepResult> RunAsync(CancellationToken ct = default)
    {
        using var span = Telemetry.GuichetTelemetry.Source.StartActivity("guichet.deadlines.sweep");
        var now = clock.UtcNow();
        // Reminders first: a late one pushes its closing back, so the closing pass below no longer sees that round.
        var reminders = await PassAsync(r => r.ClosedAt == null && r.ReminderSentAt == null && r.ReminderDueAt <= now,
            ids => _remind.RunAsync(ids, now, ct), ct);
        var closings = await PassAsync(r => r.ClosedAt == null && r.ReminderSentAt != null && r.ClosingDueAt <= now,
            ids => _close.RunAsync(ids, now, ct), ct);
        var conflicts = reminders.Conflicts + closings.Conflicts;
        Telemetry.GuichetTelemetry.Swept(reminders.Done, closings.Done);
        if (reminders.Done + closings.Done > 0)
            logger.LogInformation("Échéances : {Reminders} relance(s), {Closings} clôture(s), {Conflicts} conflit(s).", reminders.Done, closings.Done, conflicts);
        return new SweepResult(reminders.Done, closings.Done, conflicts);
    }

    private async Task<BatchOutcome> PassAsync(Expression<Func<ModificationRound, bool>> due,
        Func<IReadOnlyCollection<long>, Task<BatchOutcome>> act, CancellationToken ct)
    {
        int done = 0, conflicts = 0;
        long after = 0;
        while (true)
        {
            // A cursor on the round id: every due round is looked at once per pass, even if it keeps conflicting.
            var batch = await db.Rounds.AsNoTracking().Where(due).Where(r => r.Id > after).OrderBy(r => r.Id)
                .Select(r => new { r.Id, r.FundingRequestId }).Take(BatchSize).ToListAsync(ct);
            if (batch.Count == 0) break;
            after = batch[^1].Id;
            var ids = batch.Select(b => b.FundingRequestId).Distinct().ToList();
            var outcome = await act(ids);
            if (outcome.Conflicts > 0 && ids.Count > 1)
            {
                // One conflict fails the whole batch: redo it one request at a time, so the others still go through.
                outcome = new BatchOutcome(0, 0);
                foreach (var id in ids)
                {
                    var one = await act([id]);
                    outcome = new BatchOutcome(outcome.Done + one.Done, outcome.Conflicts + one.Conflicts);
                }
            }
            done += outcome.Done;
            conflicts += outcome.Conflicts;
        }
        return new BatchOutcome(done, conflicts);
    }
}
