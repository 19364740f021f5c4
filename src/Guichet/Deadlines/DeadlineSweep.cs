using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Deadlines;

public sealed record SweepResult(int Reminders, int Closings, int Conflicts);

/// <summary>
/// The J+10 reminder and the J+20 closing (docs/regles.md#echeances), run by the hosted loop and by the <c>sweep</c> verb.
/// Exactly once across instances and restarts: each change goes through the request's optimistic concurrency token,
/// so when two sweepers (or a sweeper and « Confirmer ») touch the same request, one commits and the other rolls back
/// with its outbox row. No in-memory timers: every due date is a column.
/// </summary>
public sealed class DeadlineSweep(GuichetDbContext db, AttachmentStore store, TimeProvider clock, ILogger<DeadlineSweep> logger)
{
    public const int BatchSize = 200;

    public async Task<SweepResult> RunAsync(CancellationToken ct = default)
    {
        var now = clock.UtcNow();
        // Reminders first: a late one pushes its closing back, so the closing pass below no longer sees that round.
        var (reminders, c1) = await PassAsync(
            r => r.ClosedAt == null && r.ReminderSentAt == null && r.ReminderDueAt <= now,
            request =>
            {
                request.RecordReminderSent(now);
                return (EmailKind.Reminder, []);
            }, now, ct, withDocuments: false);
        var (closings, c2) = await PassAsync(
            r => r.ClosedAt == null && r.ReminderSentAt != null && r.ClosingDueAt <= now,
            request => (EmailKind.RoundClosed, request.CloseExpiredRound(now)), now, ct, withDocuments: true);
        if (reminders + closings > 0)
            logger.LogInformation("Échéances : {Reminders} relance(s), {Closings} clôture(s), {Conflicts} conflit(s).", reminders, closings, c1 + c2);
        return new SweepResult(reminders, closings, c1 + c2);
    }

    private async Task<(int Done, int Conflicts)> PassAsync(System.Linq.Expressions.Expression<Func<ModificationRound, bool>> due,
        Func<FundingRequest, (EmailKind Kind, IReadOnlyList<SupportingDocument> Discarded)> apply, DateTime now, CancellationToken ct,
        bool withDocuments)
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
            var (d, c) = await ApplyAsync(ids, apply, now, ct, withDocuments);
            if (c > 0 && ids.Count > 1)
            {
                // One conflict fails the whole batch: redo it one request at a time, so the others still go through.
                (d, c) = (0, 0);
                foreach (var id in ids)
                {
                    var (d1, c1) = await ApplyAsync([id], apply, now, ct, withDocuments);
                    d += d1;
                    c += c1;
                }
            }
            done += d;
            conflicts += c;
        }
        return (done, conflicts);
    }

    private async Task<(int Done, int Conflicts)> ApplyAsync(List<long> requestIds,
        Func<FundingRequest, (EmailKind Kind, IReadOnlyList<SupportingDocument> Discarded)> apply, DateTime now, CancellationToken ct,
        bool withDocuments)
    {
        db.ChangeTracker.Clear();
        // A reminder touches the round and the history only; a closing discards the round's draft files, so it needs them.
        var query = db.Requests.Where(r => requestIds.Contains(r.Id)).Include(r => r.Rounds).AsQueryable();
        if (withDocuments) query = query.Include(r => r.Documents);
        var requests = await query.AsSplitQuery().ToListAsync(ct);
        var organisations = requests.Select(r => r.OrganisationId).Distinct().ToList();
        var recipients = (await db.Users.Where(u => u.OrganisationId != null && organisations.Contains(u.OrganisationId.Value) && u.IsActive && u.Email != null)
                .Select(u => new { u.OrganisationId, u.Email }).ToListAsync(ct))
            .GroupBy(u => u.OrganisationId!.Value).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(u => u.Email!).Order().ToList());

        var discarded = new List<SupportingDocument>();
        var done = 0;
        foreach (var request in requests)
        {
            try
            {
                var (kind, files) = apply(request);
                Outbox.Enqueue(db, request, kind, recipients.GetValueOrDefault(request.OrganisationId, []), now);
                discarded.AddRange(files);
                done++;
            }
            catch (Refusal)
            {
                // Already handled since the query (another sweeper, a confirmation): nothing to do.
            }
        }
        if (done == 0) return (0, 0);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return (0, requests.Count);
        }
        foreach (var d in discarded) store.Delete(d.StorageKey);
        return (done, 0);
    }
}
