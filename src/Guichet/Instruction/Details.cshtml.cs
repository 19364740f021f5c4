using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Tracking;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>
/// The manager's request page: all data, the last confirmed changes highlighted, history, e-mails sent, and the
/// decisions allowed in the current status, each behind a confirmation checkbox (works without JavaScript).
/// </summary>
[Authorize(Roles = Roles.Gestionnaire)]
public sealed class DetailsModel(GuichetDbContext db, Decisions decisions, TimeProvider clock) : PageModel
{
    public FundingRequest Demande { get; private set; } = null!;
    public FundingScheme Scheme { get; private set; } = null!;
    public List<OutboxMessage> Emails { get; private set; } = [];
    public DateTime Now { get; private set; }

    [TempData] public string? Message { get; set; }
    public string? Error { get; private set; }
    /// <summary>Which form the error belongs to, so that it shows beside it.</summary>
    public string? ErrorFor { get; private set; }

    [BindProperty] public string? Commentaire { get; set; }
    [BindProperty] public List<string> Elements { get; set; } = [];
    [BindProperty] public string? Motif { get; set; }
    [BindProperty] public int? Version { get; set; }
    [BindProperty] public bool Confirme { get; set; }

    public async Task<IActionResult> OnGetAsync(string numero, CancellationToken ct)
    {
        if (!await LoadAsync(numero, ct)) return NotFound();
        await RequestView.RecordAsync(db, User.Id(), Demande.Id, Now, ct);
        return Page();
    }

    public Task<IActionResult> OnPostDemanderModificationAsync(string numero, CancellationToken ct) =>
        Decide(numero, "modification", () => decisions.OpenRoundAsync(User, numero, Commentaire, Elements, Version, ct), ct);

    public Task<IActionResult> OnPostAnnulerAsync(string numero, CancellationToken ct) =>
        Decide(numero, "annuler", () => decisions.CancelRoundAsync(User, numero, Commentaire, Version, ct), ct);

    public Task<IActionResult> OnPostValiderAsync(string numero, CancellationToken ct) =>
        Decide(numero, "valider", () => decisions.ValidateAsync(User, numero, Version, ct), ct);

    public Task<IActionResult> OnPostRejeterAsync(string numero, CancellationToken ct) =>
        Decide(numero, "rejeter", () => decisions.RejectAsync(User, numero, Motif, Version, ct), ct);

    public Task<IActionResult> OnPostPayerAsync(string numero, CancellationToken ct) =>
        Decide(numero, "payer", () => decisions.MarkPaidAsync(User, numero, Version, ct), ct);

    private async Task<IActionResult> Decide(string numero, string form, Func<Task<DecisionResult>> decide, CancellationToken ct)
    {
        var result = Confirme
            ? await decide()
            : new DecisionResult(StatusCodes.Status400BadRequest, "Cochez la case de confirmation pour enregistrer cette décision.");
        if (result.Succeeded)
        {
            Message = result.Message;
            return Redirect("/instruction/" + Uri.EscapeDataString(numero)); // after a POST, a GET: a reload never decides twice
        }
        if (result.Status == StatusCodes.Status404NotFound) return NotFound();
        db.ChangeTracker.Clear();
        if (!await LoadAsync(numero, ct)) return NotFound();
        Error = result.Message;
        ErrorFor = form;
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
