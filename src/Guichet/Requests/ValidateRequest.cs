using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>« Valider » (manager): EN_COURS → VALIDEE; the vendor is told by e-mail.</summary>
public sealed class ValidateRequest(GuichetDbContext db, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, int? expectedVersion, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Gestionnaire);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct, expectedVersion);
        var now = clock.UtcNow();
        request.Validate(actor, now);
        await RequestAccess.SaveAsync(db, request, EmailKind.Validated, now, ct);
        return request;
    }
}
