using Guichet.Accounts;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Modification;

/// <summary>The « Modifier » page of the training deck: summary and manager's comment, « Informations de la demande », « Pièces justificatives ».</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class ModifyModel(ModificationService modification, TimeProvider clock) : PageModel
{
    public FundingRequest Demande { get; private set; } = null!;
    public ModificationRound Round => Demande.OpenRound!;
    public DateTime Now => clock.UtcNow();
    public IReadOnlyList<ErrorItem> Errors { get; private set; } = [];
    public string? Message { get; private set; }
    public bool AskDecline { get; private set; }
    public string? NotModifiable { get; private set; }

    [BindProperty] public string? ContactSupport { get; set; }
    [BindProperty] public string? Type { get; set; }
    [BindProperty] public IFormFile? Fichier { get; set; }

    public bool IsEditable(string field) => Round.FieldItems.Contains(field);

    /// <summary>What the field shows: the value just typed, else the draft, else the value from the JSON import.</summary>
    public string ValueOf(string field, string? posted) =>
        posted ?? (Round.Draft.TryGetValue(field, out var draft) ? draft : EditableField.Get(Demande, field) ?? "");

    public string? ErrorFor(string path) => Errors.FirstOrDefault(e => e.Chemin == path)?.Message;

    public async Task<IActionResult> OnGetAsync(string numero, bool renoncer, CancellationToken ct)
    {
        var result = await Show(await modification.LoadAsync(User, numero, ct));
        AskDecline = renoncer && Demande is not null && NotModifiable is null;
        return result;
    }

    public async Task<IActionResult> OnPostEnregistrerAsync(string numero, CancellationToken ct)
    {
        var result = await modification.EditAsync(User, numero, PostedFields(), ct);
        if (result.Ok) Message = "Vos modifications sont enregistrées comme brouillon. Elles ne seront transmises au gestionnaire qu'après « Confirmer ».";
        return await Show(result, numero, ct);
    }

    public async Task<IActionResult> OnPostConfirmerAsync(string numero, CancellationToken ct)
    {
        var fields = PostedFields();
        if (fields.Count > 0)
        {
            var edited = await modification.EditAsync(User, numero, fields, ct);
            if (!edited.Ok) return await Show(edited, numero, ct, "« Confirmer » est refusé tant qu'une donnée n'est pas conforme.");
        }
        var result = await modification.ConfirmAsync(User, numero, ct);
        if (!result.Ok) return await Show(result, numero, ct, "« Confirmer » est refusé tant qu'une donnée n'est pas conforme.");
        TempData["Succes"] = "Vos modifications ont été transmises. La demande repasse au statut « en cours » et sera instruite par un gestionnaire dans les prochains jours.";
        return Redirect($"/demandes/{numero}");
    }

    public async Task<IActionResult> OnPostImporterAsync(string numero, CancellationToken ct)
    {
        var result = await modification.AddDocumentAsync(User, numero, Type, Fichier, ct);
        if (result.Ok) Message = $"La pièce « {result.Document!.FileName} » est importée.";
        return await Show(result, numero, ct);
    }

    public async Task<IActionResult> OnPostSupprimerAsync(string numero, Guid id, CancellationToken ct)
    {
        var result = await modification.RemoveDocumentAsync(User, numero, id, ct);
        if (result.Ok) Message = "La pièce importée a été supprimée.";
        return await Show(result, numero, ct);
    }

    public async Task<IActionResult> OnPostRenoncerAsync(string numero, CancellationToken ct)
    {
        var result = await modification.DeclineAsync(User, numero, ct);
        if (!result.Ok) return await Show(result, numero, ct);
        TempData["Succes"] = "Vous avez choisi de ne pas modifier votre demande. Elle repasse au statut « en cours » et sera instruite en l'état dans les prochains jours.";
        return Redirect($"/demandes/{numero}");
    }

    // Only fields actually posted are edits; a crafted post of a field not asked for is refused by the service.
    private Dictionary<string, string?> PostedFields()
    {
        var fields = new Dictionary<string, string?>();
        if (Request.HasFormContentType && Request.Form.ContainsKey(nameof(ContactSupport))) fields[EditableField.ContactSupport] = ContactSupport ?? "";
        return fields;
    }

    private async Task<IActionResult> Show(StepResult result, string? numero = null, CancellationToken ct = default, string? refusal = null)
    {
        if (result.Status == 404) return NotFound();
        if (!result.Ok)
        {
            Errors = result.Errors;
            Response.StatusCode = result.Status;
            if (refusal is not null && result.Status == 400) Message = null;
        }
        var request = result.Request;
        if (request is null && numero is not null) request = (await modification.LoadAsync(User, numero, ct)).Request;
        if (request is null) return NotFound();
        Demande = request;
        if (request.OpenRound is null)
        {
            NotModifiable = Errors.FirstOrDefault()?.Message
                ?? Refusal.WrongStatus(request.Status, "Modifier", RequestStatus.AModifier).Message;
            Response.StatusCode = StatusCodes.Status409Conflict;
        }
        ViewData["Refus"] = result.Ok ? null : refusal;
        return Page();
    }
}
