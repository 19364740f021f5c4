using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>« Enregistrer » (page) and <c>PATCH …/modification</c>: draft values, checked by the deposit's rules, kept until « Confirmer ».</summary>
public sealed class SaveDraft(GuichetDbContext db, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, IReadOnlyDictionary<string, string?> values, CancellationToken ct)
    {
        RequestAccess.ActorFor(user, Roles.Fournisseur);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct);
        var now = clock.UtcNow();
        request.EditDraft(values, now);
        await RequestAccess.SaveAsync(db, request, null, now, ct);
        return request;
    }
}
