using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Storage;

namespace Guichet.Requests;

/// <summary>« Ne pas modifier »: the draft and its files are discarded; the request goes back « en cours » and is instructed as it stands.</summary>
public sealed class DeclineModification(GuichetDbContext db, AttachmentStore store, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Fournisseur);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct);
        var now = clock.UtcNow();
        var discarded = request.DeclineModification(actor, now);
        await RequestAccess.SaveAsync(db, request, EmailKind.ModificationDeclined, now, ct);
        await store.DeleteDroppedAsync(discarded);
        return request;
    }
}
