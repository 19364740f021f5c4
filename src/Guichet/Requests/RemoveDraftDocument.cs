using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Storage;

namespace Guichet.Requests;

/// <summary>The bin icon: only an attachment imported during this round can be removed; its file is purged once that is saved.</summary>
public sealed class RemoveDraftDocument(GuichetDbContext db, AttachmentStore store, TimeProvider clock)
{
    public async Task RunAsync(ClaimsPrincipal user, string numero, Guid documentId, CancellationToken ct)
    {
        RequestAccess.ActorFor(user, Roles.Fournisseur);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct);
        var now = clock.UtcNow();
        var removed = request.RemoveDraftDocument(documentId, now);
        await RequestAccess.SaveAsync(db, request, null, now, ct);
        await store.DeleteDroppedAsync([removed]);
    }
}
