using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Pages.Shared;
using Guichet.Requests;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Instruction;

/// <summary>
/// The manager's request page: all data, the last confirmed changes highlighted, who has it (assignment), internal notes,
/// history, e-mails sent, and the decisions the request allows, each behind a confirmation checkbox (works without JavaScript).
/// </summary>
[Authorize(Roles = Roles.Gestionnaire)]
public sealed class DetailsModel(GuichetDbContext db, UserManager<GuichetUser> users, TimeProvider clock) : PageModel
{
    public FundingRequest Demande { get; private set; } = null!;
    public FundingScheme Scheme => Demande.Scheme!;
    public List<OutboxMessage> Emails { get; private set; } = [];
    public List<InternalNote> Notes { get; private set; } = [];
    /// <summary>Active managers, for « Attribuer à ».</summary>
    public List<(string Id, string Name)> Managers { get; private set; } = [];
    public DateTime Now { get; private set; }

    [TempData] public string? Message { get; set; }
    /// <summary>The refusal of the decision just posted, shown beside its form (<see cref="ErrorFor"/>).</summary>
    public string? Error => PageRefusals.Errors(this).FirstOrDefault()?.Message;
    public string? ErrorFor { get; private set; }

    [BindProperty] public string? Commentaire { get; set; }
    [BindProperty] public List<string> Elements { get; set; } = [];
    [BindProperty] public string? Motif { get; set; }
    [BindProperty] public int? Version { get; set; }
    [BindProperty] public bool Confirme { get; set; }
    [BindProperty] public string? Attributaire { get; set; }
    [BindProperty] public string? Note { get; set; }

    public async Task<IActionResult> OnGetAsync(string numero, CancellationToken ct)
    {
        if (!await LoadAsync(numero, ct)) return NotFound();
        await RequestView.RecordAsync(db, User.Id(), Demande.Id, Now, ct);
        return Page();
    }

    public Task<IActionResult> OnPostDemanderModificationAsync(string numero, [FromServices] OpenRound open, CancellationToken ct) =>
        Decide(numero, "modification", () => open.RunAsync(User, numero, Commentaire, Elements, Version, ct),
            "La demande de modification est ouverte : le fournisseur est prévenu par e-mail.", ct);

    public Task<IActionResult> OnPostAnnulerAsync(string numero, [FromServices] CancelRound cancel, CancellationToken ct) =>
        Decide(numero, "annuler", () => cancel.RunAsync(User, numero, Commentaire, Version, ct),
            "La demande de modification est annulée : la demande est de nouveau « en cours ».", ct);

    public Task<IActionResult> OnPostValiderAsync(string numero, [FromServices] ValidateRequest validate, CancellationToken ct) =>
        Decide(numero, "valider", () => validate.RunAsync(User, numero, Version, ct), "La demande est validée.", ct);

    public Task<IActionResult> OnPostRejeterAsync(string numero, [FromServices] RejectRequest reject, CancellationToken ct) =>
        Decide(numero, "rejeter", () => reject.RunAsync(User, numero, Motif, Version, ct), "La demande est rejetée.", ct);

    public Task<IActionResult> OnPostPayerAsync(string numero, [FromServices] MarkPaid pay, CancellationToken ct) =>
        Decide(numero, "payer", () => pay.RunAsync(User, numero, Version, ct), "La demande est « Décidée et payée ».", ct);

    public Task<IActionResult> OnPostMAttribuerAsync(string numero, [FromServices] AssignRequest assign, CancellationToken ct) =>
        Act(numero, "attribution", () => assign.RunAsync(User, numero, null, Version, ct), "La demande vous est attribuée.", ct);

    public Task<IActionResult> OnPostAttribuerAsync(string numero, [FromServices] AssignRequest assign, CancellationToken ct) =>
        Act(numero, "attribution", () => assign.RunAsync(User, numero, string.IsNullOrEmpty(Attributaire) ? "-" : Attributaire, Version, ct), "L'attribution est enregistrée.", ct);

    public Task<IActionResult> OnPostRetirerAttributionAsync(string numero, [FromServices] UnassignRequest unassign, CancellationToken ct) =>
        Act(numero, "attribution", () => unassign.RunAsync(User, numero, Version, ct), "La demande n'est plus attribuée.", ct);

    public Task<IActionResult> OnPostNoteAsync(string numero, [FromServices] AddInternalNote add, CancellationToken ct) =>
        Act(numero, "note", () => add.RunAsync(User, numero, Note, ct), "La note interne est enregistrée.", ct);

    private Task<IActionResult> Decide(string numero, string form, Func<Task<FundingRequest>> decide, string done, CancellationToken ct) =>
        Act(numero, form, () => { PageRefusals.RequireTicked(Confirme); return decide(); }, done, ct);

    private async Task<IActionResult> Act(string numero, string form, Func<Task> act, string done, CancellationToken ct)
    {
        try
        {
            await act();
            Message = done;
            return Redirect("/instruction/" + Uri.EscapeDataString(numero)); // after a POST, a GET: a reload never decides twice
        }
        catch (Refusal refusal)
        {
            if (!this.Record(refusal, form)) return NotFound();
            ErrorFor = form;
            return await LoadAsync(numero, ct) ? Page() : NotFound();
        }
    }

    private async Task<bool> LoadAsync(string numero, CancellationToken ct)
    {
        if (await AgencyRequestView.LoadAsync(db, User, numero, ct) is not { } view) return false;
        (Demande, Emails, Notes, Now) = (view.Request, view.Emails, view.Notes, clock.UtcNow());
        Managers = (await users.GetUsersInRoleAsync(Roles.Gestionnaire)).Where(u => u.IsActive).OrderBy(u => u.FullName)
            .Select(u => (u.Id, u.FullName)).ToList();
        return true;
    }
}
