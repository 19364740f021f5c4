using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Requests;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Tracking;

/// <summary>Completing an incomplete request: pick a type and a file, « Importer ».</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class CompleteModel(GuichetDbContext db) : PageModel
{
    public FundingRequest Demande { get; private set; } = null!;
    public IReadOnlyList<DocumentType> Missing => Demande.MissingDocumentTypes(Demande.Scheme!);
    [BindProperty] public string? Type { get; set; }
    [BindProperty] public IFormFile? Fichier { get; set; }
    public string? Error => PageRefusals.Errors(this).FirstOrDefault()?.Message;
    public string? Message { get; private set; }

    public async Task<IActionResult> OnGetAsync(string numero, CancellationToken ct) =>
        await Load(numero, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(string numero, [FromServices] CompleteRequest complete, CancellationToken ct)
    {
        try
        {
            var request = await complete.RunAsync(User, numero, Type, Fichier, ct);
            Message = request.Status == RequestStatus.EnCours
                ? "Pièce importée : la demande est complète et passe au statut « en cours »."
                : "Pièce importée. D'autres pièces obligatoires manquent encore.";
        }
        catch (Refusal refusal)
        {
            if (!this.Record(refusal)) return NotFound();
        }
        return await Load(numero, ct) ? Page() : NotFound();
    }

    private async Task<bool> Load(string numero, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        if (await RequestAccess.FindAsync(db, User, numero, ct) is not { } request) return false;
        Demande = request;
        return true;
    }
}
