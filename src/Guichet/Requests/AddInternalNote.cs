using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>A « note interne » by a manager or support: stored beside the request, never shown to the vendor, no e-mail.</summary>
public sealed class AddInternalNote(GuichetDbContext db, TimeProvider clock)
{
    public async Task<InternalNote> RunAsync(ClaimsPrincipal user, string numero, string? text, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Gestionnaire, Roles.Assistance);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct);
        var now = clock.UtcNow();
        var note = request.AddNote(actor, text, now);
        await RequestAccess.SaveAsync(db, request, null, now, ct);
        return note;
    }
}
