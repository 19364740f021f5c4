using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Pages.Shared;
using Guichet.Requests;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Support;

/// <summary>
/// The support desk's request page: read-only data, history, the e-mails sent with their state, and « Passer à
/// modifier à la demande du fournisseur » on an « En cours » request.
/// </summary>
[Authorize(Roles = Roles.Assistance)]
public sealed class DetailsModel(GuichetDbContext db, TimeProvider clock) : PageModel
{
    public FundingRequest Demande { get; private set; } = null!;
    public FundingScheme Scheme => Demande.Scheme!;
    public List<OutboxMessage> Emails { get; private set; } = [];
    public List<InternalNote> Notes { get; private set; } = [];
    public string? NoteError { get; private set; }
    public DateTime Now { get; private set; }

    [TempData] public string? Message { get; set; }
    public string? Error => PageRefusals.Errors(this).FirstOrDefault()?.Message;

    [BindProperty] public string? Commentaire { get; set; }
    [BindProperty] public List<string> Elements { get; set; } = [];
    [BindProperty] public int? Version { get; set; }
    [BindProperty] public bool Confirme { get; set; }
    [BindProperty] public string? Note { get; set; }

    public async Task<IActionResult> OnGetAsync(string numero, CancellationToken ct) =>
        await LoadAsync(numero, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostNoteAsync(string numero, [FromServices] AddInternalNote add, CancellationToken ct)
    {
        try
        {
            await add.RunAsync(User, numero, Note, ct);
            Message = "La note interne est enregistrée.";
            return Redirect("/assistance/" + Uri.EscapeDataString(numero));
        }
        catch (Refusal refusal)
        {
            if (!this.Record(refusal, "note")) return NotFound();
            NoteError = refusal.Message;
            return await LoadAsync(numero, ct) ? Page() : NotFound();
        }
    }

    public async Task<IActionResult> OnPostDemanderModificationAsync(string numero, [FromServices] OpenRound open, CancellationToken ct)
    {
        try
        {
            PageRefusals.RequireTicked(Confirme);
            await open.RunAsync(User, numero, Commentaire, Elements, Version, ct);
            Message = "La demande est passée « A modifier » à la demande du fournisseur : il est prévenu par e-mail.";
            return Redirect("/assistance/" + Uri.EscapeDataString(numero));
        }
        catch (Refusal refusal)
        {
            if (!this.Record(refusal, "modification")) return NotFound();
            return await LoadAsync(numero, ct) ? Page() : NotFound();
        }
    }

    private async Task<bool> LoadAsync(string numero, CancellationToken ct)
    {
        if (await AgencyRequestView.LoadAsync(db, User, numero, ct) is not { } view) return false;
        (Demande, Emails, Notes, Now) = (view.Request, view.Emails, view.Notes, clock.UtcNow());
        return true;
    }
}
