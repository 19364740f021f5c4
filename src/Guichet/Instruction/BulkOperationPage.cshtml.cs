using Guichet.Accounts;
using Guichet.Data;
using Guichet.Instruction.Bulk;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>One operation groupée: its progress (polled by a script, or « Actualiser »), then its summary and CSV.</summary>
[Authorize(Roles = Roles.Gestionnaire)]
public sealed class BulkOperationPageModel(GuichetDbContext db) : PageModel
{
    public const int ShownSkipped = 100;
    public BulkState State { get; private set; } = null!;
    public List<BulkOperationItem> Skipped { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (await BulkState.LoadAsync(db, id, ct) is not { } state) return NotFound();
        State = state;
        if (state.Finished)
            Skipped = await db.BulkOperationItems.AsNoTracking().Where(i => i.OperationId == id && i.Outcome == BulkOutcome.Ignoree)
                .OrderBy(i => i.Id).Take(ShownSkipped).ToListAsync(ct);
        return Page();
    }
}
