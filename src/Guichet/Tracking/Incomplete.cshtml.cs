using Guichet.Accounts;
using Guichet.Data;
using Guichet.Requests;
using Guichet.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tracking;

/// <summary>« Suivi demandes incomplètes »: the vendor's incomplete requests with their missing attachment types.</summary>
[Authorize]
public sealed class IncompleteModel(GuichetDbContext db) : PageModel
{
    public List<(FundingRequest Request, IReadOnlyList<DocumentType> Missing)> Rows { get; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var schemes = await db.Schemes.AsNoTracking().ToDictionaryAsync(s => s.Code, ct);
        var requests = await RequestAccess.Visible(db, User).AsNoTracking().Where(r => r.Status == RequestStatus.Incomplete)
            .Include(r => r.Documents).OrderBy(r => r.DepositedAt).Take(500).ToListAsync(ct);
        foreach (var r in requests) Rows.Add((r, r.MissingDocumentTypes(schemes[r.SchemeCode])));
    }
}
