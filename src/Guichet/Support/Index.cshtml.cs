using Guichet.Accounts;
using Guichet.Data;
using Guichet.Requests;
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
        // Support also finds every request of a vendor by its SIRET.
        var found = db.Requests.MatchingText(q).Union(db.Requests.Where(r => r.Organisation!.Siret == q));
        Rows = await AgencyRows.Of(db, found.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id)).Take(MaxResults).ToListAsync(ct);
    }
}
