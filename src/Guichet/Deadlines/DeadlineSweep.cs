using Guichet.Data;
using Guichet.Hosting;
using Guichet.Requests;
using Guichet.Storage;
using Microsoft.Extensions.Options;

namespace Guichet.Deadlines;

public sealed record SweepResult(int Reminders, int Closings, int Conflicts);

/// <summary>
/// When the J+10 reminders and the J+20 closings are due (docs/regles.md#echeances); what they do is the actions
/// <see cref="RemindVendor"/> and <see cref="CloseExpiredRound"/>. Run by the hosted loop and by the <c>sweep</c> verb.
/// Exactly once across instances and restarts: each batch is written by set operations in one transaction, every
/// request through an UPDATE guarded by its optimistic concurrency token and by the due condition (<see cref="SweepSql"/>),
/// so when two sweepers (or a sweeper and « Confirmer ») touch the same request, one writes it and the other leaves it
/// with its e-mail and event. No in-memory timers: every due date is a column.
/// </summary>
public sealed class DeadlineSweep(GuichetDbContext db, AttachmentStore store, TimeProvider clock, ILogger<DeadlineSweep> logger,
    IOptions<DeadlinesOptions>? options = null)
{
    public const int DefaultBatchSize = 500;

    private readonly int _batchSize = options?.Value.BatchSize ?? DefaultBatchSize;

    private readonly RemindVendor _remind = new(db);
    private readonly CloseExpiredRound _close = new(db, store);

    public async Task<SweepResult> RunAsync(CancellationToken ct = default)
    {
        using var span = Telemetry.GuichetTelemetry.Source.StartActivity("guichet.deadlines.sweep");
        var now = clock.UtcNow();
        // Reminders first: a late one pushes its closing back, so the closing pass below no longer sees that round.
        var reminders = await PassAsync(SweepSql.ReminderDue, now, ids => _remind.RunAsync(ids, now, ct), ct);
        var closings = await PassAsync(SweepSql.ClosingDue, now, ids => _close.RunAsync(ids, now, ct), ct);
        var conflicts = reminders.Conflicts + closings.Conflicts;
        Telemetry.GuichetTelemetry.Swept(reminders.Done, closings.Done);
        if (reminders.Done + closings.Done > 0)
            logger.LogInformation("Échéances : {Reminders} relance(s), {Closings} clôture(s), {Conflicts} conflit(s).", reminders.Done, closings.Done, conflicts);
        return new SweepResult(reminders.Done, closings.Done, conflicts);
    }

    private async Task<(int Done, int Conflicts)> PassAsync(string due, DateTime now,
        Func<IReadOnlyCollection<long>, Task<BatchOutcome>> act, CancellationToken ct)
    {
        int done = 0, conflicts = 0;
        long after = 0;
        while (true)
        {
            // A cursor on the round id: every due round is looked at once per pass, even if it keeps conflicting.
            var batch = await SweepSql.DueRoundsAsync(db, due, now, after, _batchSize, ct);
            if (batch.Count == 0) break;
            after = batch[^1].Round;
            var outcome = await act(batch.Select(b => b.Request).Distinct().ToList());
            done += outcome.Done;
            // A request changed since it was read (a draft saved, another sweeper): read again and tried once more on its own.
            foreach (var id in outcome.Conflicting)
            {
                var one = await act([id]);
                done += one.Done;
                conflicts += one.Conflicts;
            }
        }
        return (done, conflicts);
    }
}
