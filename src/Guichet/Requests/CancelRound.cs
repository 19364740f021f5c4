using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Storage;

namespace Guichet.Requests;

/// <summary>« Annuler la demande de modification » (manager): the vendor's draft and its files are discarded. A_MODIFIER → EN_COURS.</summary>
public sealed class CancelRound(GuichetDbContext db, AttachmentStore store, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, string? comment, int? expectedVersion, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Gestionnaire);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct, expectedVersion);
        var now = clock.UtcNow();
        var discarded = request.CancelModificationRound(actor, now, comment);
        await RequestAccess.SaveAsync(db, request, EmailKind.RoundCancelled, now, ct);
        await store.DeleteDroppedAsync(discarded);
        return request;
    }
}
