using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Email;

namespace Guichet.Requests;

/// <summary>Relance J+10 (system): the reminder is recorded once on each due round of the batch and its e-mail written; one transaction.</summary>
public sealed class RemindVendor(GuichetDbContext db)
{
    public async Task<BatchOutcome> RunAsync(IReadOnlyCollection<long> requestIds, DateTime now, CancellationToken ct)
    {
        var (outcome, _) = await SystemBatch.RunAsync(db, requestIds, withDocuments: false, SweepSql.ReminderDue, now, request =>
        {
            request.RecordReminderSent(now);
            return (EmailKind.Reminder, []);
        }, ct);
        return outcome;
    }
}
