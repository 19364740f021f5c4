using Guichet.Accounts;
using Guichet.Data;
using Guichet.Deposits;
using Guichet.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tracking;

/// <summary>Completing an incomplete request: pick a type and a file, « Importer ».</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class CompleteModel(GuichetDbContext db, Completion completion) : PageModel
{
    public FundingRequest Demande { get; private set; } = null!;
    public IReadOnlyList<DocumentType> Missing { get; private set; } = [];
    [BindProperty] public string? Type { get; set; }
    [BindProperty] public IFormFile? Fichier { get; set; }
    public string? Error { get; private set; }
    public string? Message { get; private set; }

    public async Task<IActionResult> OnGetAsync(string numero, CancellationToken ct) =>
        await Load(numero, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(string numero, CancellationToken ct)
    {
        var result = await completion.AddAsync(User, numero, Type, Fichier, ct);
        if (result.Status == 404) return NotFound();
        db.ChangeTracker.Clear();
        await Load(numero, ct);
        if (result.Error is not null)
        {
            Error = result.Error;
            Response.StatusCode = result.Status;
            return Page();
        }
        Message = Demande.Status == RequestStatus.EnCours
            ? "Pièce importée : la demande est complète et passe au statut « En cours »."
            : "Pièce importée. D'autres pièces obligatoires manquent encore.";
        return Page();
    }

    private async Task<bool> Load(string numero, CancellationToken ct)
    {
        var request = await RequestQuery.FindAsync(db, User, numero, ct);
        if (request is null) return false;
        Demande = request;
        Missing = request.MissingDocumentTypes(await db.Schemes.SingleAsync(s => s.Code == request.SchemeCode, ct));
        return true;
    }
}
