using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>
/// « Demander une modification »: a manager opens a round with a comment and the items to modify; support opens it
/// « à la demande du fournisseur ». The vendor is told by e-mail. EN_COURS → A_MODIFIER.
/// </summary>
public sealed class OpenRound(GuichetDbContext db, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, string? comment, IReadOnlyCollection<string>? items,
        int? expectedVersion, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Gestionnaire, Roles.Assistance);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct, expectedVersion);
        var now = clock.UtcNow();
        request.OpenModificationRound(actor, comment, items ?? [], request.Scheme!, now, atVendorRequest: !user.IsInRole(Roles.Gestionnaire));
        await RequestAccess.SaveAsync(db, request, EmailKind.RoundOpened, now, ct);
        return request;
    }
}
