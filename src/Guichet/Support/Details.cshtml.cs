using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Instruction;
using Guichet.Tracking;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Support;

/// <summary>
/// The support desk's request page: read-only data, history, the e-mails sent with their state, and « Passer à
/// modifier à la demande du fournisseur » on an « En cours » request.
/// </summary>
[Authorize(Roles = Roles.Assistance)]
public sealed class DetailsModel(GuichetDbContext db, Decisions decisions, TimeProvider clock) : PageModel
{
    public FundingRequest Demande { get; private set; } = null!;
    public FundingScheme Scheme { get; private set; } = null!;
    public List<OutboxMessage> Emails { get; private set; } = [];
    public DateTime Now { get; private set; }

    [TempData] public string? Message { get; set; }
    public string? Error { get; private set; }

    [BindProperty] public string? Commentaire { get; set; }
    [BindProperty] public List<string> Elements { get; set; } = [];
    [BindProperty] public int? Version { get; set; }
    [BindProperty] public bool Confirme { get; set; }

    public async Task<IActionResult> OnGetAsync(string numero, CancellationToken ct) =>
        await LoadAsync(numero, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostDemanderModificationAsync(string numero, CancellationToken ct)
    {
        var result = Confirme
            ? await decisions.OpenRoundAsync(User, numero, Commentaire, Elements, Version, ct)
            : new DecisionResult(StatusCodes.Status400BadRequest, "Cochez la case de confirmation pour enregistrer cette décision.");
        if (result.Succeeded)
        {
            Message = result.Message;
            return Redirect("/assistance/" + Uri.EscapeDataString(numero));
        }
        if (result.Status == StatusCodes.Status404NotFound) return NotFound();
        db.ChangeTracker.Clear();
        if (!await LoadAsync(numero, ct)) return NotFound();
        Error = result.Message;
        Response.StatusCode = result.Status;
        return Page();
    }

    private async Task<bool> LoadAsync(string numero, CancellationToken ct)
    {
        var request = await RequestQuery.FindAsync(db, User, numero, ct);
        if (request is null) return false;
        Demande = request;
        Scheme = await db.Schemes.AsNoTracking().SingleAsync(s => s.Code == request.SchemeCode, ct);
        Emails = await db.OutboxMessages.AsNoTracking().Where(m => m.FundingRequestId == request.Id)
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).ToListAsync(ct);
        Now = clock.UtcNow();
        return true;
    }
}
