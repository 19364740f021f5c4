using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>« Retirer l'attribution »: nobody has the request any more (« non attribuées »).</summary>
public sealed class UnassignRequest(GuichetDbContext db, AssignRequest assign, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, int? expectedVersion, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Gestionnaire);
        var request = await assign.LoadAsync(user, numero, expectedVersion, ct);
        var now = clock.UtcNow();
        request.Unassign(actor, now);
        await AssignRequest.SaveAsync(db, request, now, ct);
        return request;
    }
}
