using Guichet.Accounts;
using Guichet.Data;
using Guichet.Instruction;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Support;

/// <summary>The support desk's search: by portal number, vendor reference, vendor SIRET or client (name or identifier).</summary>
[Authorize(Roles = Roles.Assistance)]
public sealed class IndexModel(GuichetDbContext db) : PageModel
{
    public const int MaxResults = 50;

    [BindProperty(SupportsGet = true, Name = "q")] public string? Query { get; set; }
    public List<QueueRow> Rows { get; private set; } = [];
    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var q = Query?.Trim();
        if (string.IsNullOrEmpty(q)) return;
        if (q.Length is < 3 or > 100)
        {
            Error = "Saisissez entre 3 et 100 caractères.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var lower = q.ToLowerInvariant();
        var found = db.Requests.Where(r => r.Number.Contains(q) || r.VendorReference.Contains(q) || r.Organisation!.Siret == q
            || r.ClientId == q || r.ClientName.ToLower().Contains(lower));
        Rows = await QueueQuery.Rows(found.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id)).Take(MaxResults).ToListAsync(ct);
    }
}
