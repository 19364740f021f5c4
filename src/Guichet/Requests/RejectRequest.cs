using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>« Rejeter » with a reason (manager): EN_COURS → REJETEE; the vendor is told by e-mail, with the reason.</summary>
public sealed class RejectRequest(GuichetDbContext db, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, string? reason, int? expectedVersion, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Gestionnaire);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct, expectedVersion);
        var now = clock.UtcNow();
        request.Reject(actor, reason, now);
        await RequestAccess.SaveAsync(db, request, EmailKind.Rejected, now, ct);
        return request;
    }
}
