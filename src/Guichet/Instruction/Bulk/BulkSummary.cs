using Guichet.Data;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction.Bulk;

/// <summary>An operation as its page and the API show it: counts taken from its items, so always exact.</summary>
public sealed record BulkState(BulkOperation Operation, int Done, int Skipped)
{
    public int Processed => Done + Skipped;
    public bool Finished => Operation.Status == BulkStatus.Terminee;

    public static async Task<BulkState?> LoadAsync(GuichetDbContext db, Guid id, CancellationToken ct)
    {
        var operation = await db.BulkOperations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, ct);
        if (operation is null) return null;
        var (done, skipped) = await BulkRunner.CountsAsync(db, id, ct);
        return new BulkState(operation, done, skipped);
    }

    /// <summary>« 120 sur 300 traitées »</summary>
    public string ProgressText => $"{StartBulkOperation.Count(Processed)} sur {StartBulkOperation.Count(Operation.Total)} traitée{(Processed > 1 ? "s" : "")}";
}

/// <summary>« Le bilan »: every item of an operation with its outcome and, when skipped, the reason; CSV for French Excel.</summary>
public static class BulkSummary
{
    public static readonly string[] Columns = ["numero", "resultat", "motif"];

    public static async Task WriteCsvAsync(HttpContext http, GuichetDbContext db, Guid id, CancellationToken ct)
    {
        await using var csv = await CsvDownload.StartAsync(http, $"bilan-operation-{id:N}.csv", Columns, ct);
        long after = 0;
        while (true)
        {
            // Keyset pages: a 100 000-item operation is never held in memory.
            var page = await db.BulkOperationItems.AsNoTracking().Where(i => i.OperationId == id && i.Id > after).OrderBy(i => i.Id)
                .Take(1000).Select(i => new { i.Id, i.Number, i.Outcome, i.Reason }).ToListAsync(ct);
            if (page.Count == 0) break;
            foreach (var i in page)
                await csv.LineAsync($"{CsvDownload.Cell(i.Number)};{CsvDownload.Cell(BulkOperationItem.OutcomeLabel(i.Outcome))};{CsvDownload.Cell(i.Reason)}");
            after = page[^1].Id;
        }
    }
}
