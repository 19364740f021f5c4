using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Requests;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Modification;

/// <summary>The « Modifier » page of the training deck: summary and manager's comment, « Informations de la demande », « Pièces justificatives ».</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class ModifyModel(GuichetDbContext db, TimeProvider clock) : PageModel
{
    private const string ConfirmRefused = "« Confirmer » est refusé tant qu'une donnée n'est pas conforme.";

    public FundingRequest Demande { get; private set; } = null!;
    public ModificationRound Round => Demande.OpenRound!;
    public DateTime Now => clock.UtcNow();
    public IReadOnlyList<ErrorItem> Errors => PageRefusals.Errors(this);
    public string? Message { get; private set; }
    public bool AskDecline { get; private set; }
    public string? NotModifiable { get; private set; }

    [BindProperty] public string? ContactSupport { get; set; }
    [BindProperty] public string? Type { get; set; }
    [BindProperty] public IFormFile? Fichier { get; set; }

    public bool IsEditable(string field) => Round.FieldItems.Contains(field);

    /// <summary>What the field shows: the value just typed, else the draft, else the value from the JSON import.</summary>
    public string ValueOf(string field, string? posted) =>
        posted ?? (Round.Draft.TryGetValue(field, out var draft) ? draft : EditableField.Read(Demande, field));

    public string? ErrorFor(string path) => PageRefusals.ErrorFor(this, path);

    public async Task<IActionResult> OnGetAsync(string numero, bool renoncer, CancellationToken ct)
    {
        var shown = await ShowAsync(numero, ct);
        AskDecline = renoncer && NotModifiable is null;
        return shown;
    }

    public Task<IActionResult> OnPostEnregistrerAsync(string numero, [FromServices] SaveDraft save, CancellationToken ct) =>
        Act(numero, async () =>
        {
            await save.RunAsync(User, numero, PostedFields(), ct);
            Message = "Vos modifications sont enregistrées comme brouillon. Elles ne seront transmises au gestionnaire qu'après « Confirmer ».";
            return null;
        }, ct);

    public Task<IActionResult> OnPostConfirmerAsync(string numero, [FromServices] ConfirmModification confirm, CancellationToken ct) =>
        Act(numero, async () =>
        {
            await confirm.RunAsync(User, numero, PostedFields(), ct);
            TempData["Succes"] = "Vos modifications ont été transmises. La demande repasse au statut « en cours » et sera instruite par un gestionnaire dans les prochains jours.";
            return Redirect($"/demandes/{numero}");
        }, ct, ConfirmRefused);

    public Task<IActionResult> OnPostImporterAsync(string numero, [FromServices] ImportDraftDocument import, CancellationToken ct) =>
        Act(numero, async () =>
        {
            var document = await import.RunAsync(User, numero, Type, Fichier, ct);
            Message = $"La pièce « {document.FileName} » est importée.";
            return null;
        }, ct);

    public Task<IActionResult> OnPostSupprimerAsync(string numero, Guid id, [FromServices] RemoveDraftDocument remove, CancellationToken ct) =>
        Act(numero, async () =>
        {
            await remove.RunAsync(User, numero, id, ct);
            Message = "La pièce importée a été supprimée.";
            return null;
        }, ct);

    public Task<IActionResult> OnPostRenoncerAsync(string numero, [FromServices] DeclineModification decline, CancellationToken ct) =>
        Act(numero, async () =>
        {
            await decline.RunAsync(User, numero, ct);
            TempData["Succes"] = "Vous avez choisi de ne pas modifier votre demande. Elle repasse au statut « en cours » et sera instruite en l'état dans les prochains jours.";
            return Redirect($"/demandes/{numero}");
        }, ct);

    // Only fields actually posted are edits; a crafted post of a field not asked for is refused by the request.
    private Dictionary<string, string?> PostedFields()
    {
        var fields = new Dictionary<string, string?>();
        if (Request.HasFormContentType && Request.Form.ContainsKey(nameof(ContactSupport))) fields[EditableField.ContactSupport] = ContactSupport ?? "";
        return fields;
    }

    /// <summary>Runs the action; a redirect ends the step, otherwise (or when refused) the page is shown again with the request as saved.</summary>
    private async Task<IActionResult> Act(string numero, Func<Task<IActionResult?>> action, CancellationToken ct, string? refusedTitle = null)
    {
        try
        {
            if (await action() is { } done) return done;
        }
        catch (Refusal refusal)
        {
            if (!this.Record(refusal)) return NotFound();
            if (refusal.Kind == RefusalKind.Invalid && refusedTitle is not null) ViewData["Refus"] = refusedTitle;
        }
        return await ShowAsync(numero, ct);
    }

    private async Task<IActionResult> ShowAsync(string numero, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        if (await RequestAccess.FindAsync(db, User, numero, ct) is not { } request) return NotFound();
        Demande = request;
        if (!request.Allows(RequestAction.Modify))
        {
            NotModifiable = Errors.FirstOrDefault()?.Message
                ?? Refusal.WrongStatus(request.Status, "Modifier", FundingRequest.StatusFor(RequestAction.Modify)).Message;
            Response.StatusCode = StatusCodes.Status409Conflict;
        }
        return Page();
    }
}
