using Guichet.Accounts;
using Guichet.Data;
using Guichet.Requests;
using Guichet.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Tracking;

/// <summary>A request's page: its data, attachments (« Consulter »), open round and history.</summary>
[Authorize]
public sealed class DetailsModel(GuichetDbContext db, TimeProvider clock) : PageModel
{
    public FundingRequest Demande { get; private set; } = null!;
    public ModificationRound? Round => Demande.OpenRound;
    public DateTime Now { get; private set; }
    public bool IsVendor => User.IsVendor();

    public async Task<IActionResult> OnGetAsync(string numero, CancellationToken ct)
    {
        var request = await RequestAccess.FindAsync(db, User, numero, ct);
        if (request is null) return NotFound();
        Demande = request;
        Now = clock.GetUtcNow().UtcDateTime;
        return Page();
    }
}
