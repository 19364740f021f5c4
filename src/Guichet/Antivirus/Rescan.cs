using Guichet.Data;
using Guichet.Email;
using Guichet.Storage;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Antivirus;

/// <summary>What one « rescan » did: files scanned, files quarantined, files that could not be read, requests told.</summary>
public sealed record RescanResult(int Scanned, int Quarantined, int Errors, int RequestsTold);

/// <summary>
/// Verb « rescan »: after a signature update, streams every stored attachment not yet quarantined (confirmed ones and open
/// drafts) to the scanner again; a file now found infected is quarantined and the vendor is told, one e-mail per request.
/// Saved request by request, so a crash loses at most the request being scanned and a second run carries on.
/// </summary>
public sealed class Rescan(GuichetDbContext db, AttachmentStore store, ClamAvScanner scanner, TimeProvider clock, ILogger<Rescan> logger)
{
    private const int RequestsPerQuery = 200;

    /// <summary>Throws <see cref="ScannerUnavailableException"/> when the scanner stops answering: the current request is left as it was.</summary>
    public async Task<RescanResult> RunAsync(CancellationToken ct)
    {
        if (!scanner.Enabled) throw new InvalidOperationException("Aucun antivirus configuré (clés Antivirus:*) : aucune pièce ne peut être réanalysée.");
        int scanned = 0, quarantined = 0, errors = 0, told = 0;
        long after = 0;
        while (true)
        {
            var ids = await db.Requests.AsNoTracking()
                .Where(r => r.Id > after && r.Documents.Any(d => d.QuarantinedAt == null))
                .OrderBy(r => r.Id).Select(r => r.Id).Take(RequestsPerQuery).ToListAsync(ct);
            if (ids.Count == 0) break;
            foreach (var id in ids)
            {
                db.ChangeTracker.Clear();
                var request = await db.Requests.Include(r => r.Documents).SingleAsync(r => r.Id == id, ct);
                var found = 0;
                foreach (var doc in request.Documents.Where(d => !d.IsQuarantined).OrderBy(d => d.AddedAt))
                {
                    await using var content = await store.OpenReadAsync(doc.StorageKey, ct);
                    if (content is null)
                    {
                        errors++;
                        logger.LogWarning("Réanalyse : fichier absent du stockage pour la pièce {Document} de la demande {Number}", doc.Id, request.Number);
                        continue;
                    }
                    var verdict = await scanner.ScanAsync(content, ct);
                    scanned++;
                    if (!verdict.Infected) continue;
                    doc.Quarantine(verdict.Signature!, clock.GetUtcNow().UtcDateTime);
                    found++;
                    logger.LogWarning("Pièce {Document} de la demande {Number} mise en quarantaine : {Signature}", doc.Id, request.Number, verdict.Signature);
                }
                if (found == 0) continue;
                // The e-mail goes in the same SaveChanges as the quarantine it tells of.
                await Outbox.EnqueueForRequestAsync(db, request, EmailKind.AttachmentQuarantined, clock.GetUtcNow().UtcDateTime, ct);
                await db.SaveChangesAsync(ct);
                quarantined += found;
                told++;
            }
            after = ids[^1];
        }
        db.ChangeTracker.Clear();
        return new RescanResult(scanned, quarantined, errors, told);
    }
}
