using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Email;
using Guichet.Storage;

namespace Guichet.Requests;

/// <summary>
/// Clôture J+20 (system): each expired round of the batch closes « délai expiré — instruite en l'état », its draft and
/// draft files are discarded, the request goes back « en cours » and the vendor is told; one transaction, then the
/// discarded files are deleted (after the commit: a rolled-back closing keeps them).
/// </summary>
public sealed class CloseExpiredRound(GuichetDbContext db, AttachmentStore store)
{
    public async Task<BatchOutcome> RunAsync(IReadOnlyCollection<long> requestIds, DateTime now, CancellationToken ct)
    {
        var (outcome, dropped) = await SystemBatch.RunAsync(db, requestIds, withDocuments: true, SweepSql.ClosingDue, now,
            request => (EmailKind.RoundClosed, request.CloseExpiredRound(now)), ct);
        await store.DeleteDroppedAsync(dropped);
        return outcome;
    }
}
