using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>Completing an incomplete request with a missing attachment (page « Compléter » and <c>POST …/pieces</c>); once none is missing, « en cours ».</summary>
public sealed class CompleteRequest(GuichetDbContext db, DocumentIntake intake, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, string? typeCode, IFormFile? file, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Fournisseur);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct);
        return await intake.WithDocumentAsync(typeCode, file, async document =>
        {
            var now = clock.UtcNow();
            request.Complete(actor, request.Scheme!, [document], now);
            await RequestAccess.SaveAsync(db, request, null, now, ct);
            return request;
        }, ct);
    }
}
