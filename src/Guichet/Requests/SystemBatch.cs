using Guichet.Data;
using Guichet.Email;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Requests;

/// <summary>What a system action did on a batch: requests changed, and requests left alone because they changed meanwhile.</summary>
public sealed record BatchOutcome(int Done, int Conflicts);

/// <summary>
/// The system's way into a batch of requests (the deadline sweep has no user): load them, apply the entity's verb to each,
/// write each e-mail, save once. A request the verb refuses (already handled since it was found due) is skipped; a
/// concurrent change anywhere in the batch saves nothing and counts the batch as conflicts, for the caller to retry.
/// </summary>
internal static class SystemBatch
{
    public static async Task<(BatchOutcome Outcome, List<SupportingDocument> Dropped)> RunAsync(GuichetDbContext db,
        IReadOnlyCollection<long> requestIds, bool withDocuments, DateTime now,
        Func<FundingRequest, (EmailKind Mail, IReadOnlyList<SupportingDocument> Dropped)> apply, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var query = db.Requests.Where(r => requestIds.Contains(r.Id)).Include(r => r.Rounds).AsQueryable();
        if (withDocuments) query = query.Include(r => r.Documents);
        var requests = await query.AsSplitQuery().ToListAsync(ct);
        var recipients = await Outbox.RecipientsByOrganisationAsync(db, requests.Select(r => r.OrganisationId).Distinct().ToList(), ct);
        var dropped = new List<SupportingDocument>();
        var done = 0;
        foreach (var request in requests)
        {
            try
            {
                var (mail, files) = apply(request);
                Outbox.Enqueue(db, request, mail, recipients.GetValueOrDefault(request.OrganisationId, []), now);
                dropped.AddRange(files);
                done++;
            }
            catch (Refusal)
            {
                // Already handled since it was found due (another sweeper, a confirmation): nothing to do.
            }
        }
        if (done == 0) return (new BatchOutcome(0, 0), []);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return (new BatchOutcome(0, requests.Count), []);
        }
        return (new BatchOutcome(done, 0), dropped);
    }
}
