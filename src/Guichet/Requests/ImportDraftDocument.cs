using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>« Importer » during a modification: the file joins the round's draft (add only) and stays invisible to managers until « Confirmer ».</summary>
public sealed class ImportDraftDocument(GuichetDbContext db, DocumentIntake intake, TimeProvider clock)
{
    public async Task<SupportingDocument> RunAsync(ClaimsPrincipal user, string numero, string? typeCode, IFormFile? file, CancellationToken ct)
    {
        RequestAccess.ActorFor(user, Roles.Fournisseur);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct);
        return await intake.WithDocumentAsync(typeCode, file, async document =>
        {
            var now = clock.UtcNow();
            request.AddDraftDocument(document, request.Scheme!, now);
            await RequestAccess.SaveAsync(db, request, null, now, ct);
            return document;
        }, ct);
    }
}
