using Guichet.Accounts;
using Guichet.Data;
using Guichet.Instruction.Bulk;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>The recent operations groupées of the agency, newest first.</summary>
[Authorize(Roles = Roles.Gestionnaire)]
public sealed class BulkOperationsModel(GuichetDbContext db) : PageModel
{
    public List<BulkOperation> Operations { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Operations = await db.BulkOperations.AsNoTracking().OrderByDescending(o => o.CreatedAt).Take(50).ToListAsync(ct);
}
