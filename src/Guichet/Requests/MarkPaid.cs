using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>« Décidée et payée » (manager): VALIDEE → DECIDEE_ET_PAYEE; the vendor is told by e-mail.</summary>
public sealed class MarkPaid(GuichetDbContext db, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, int? expectedVersion, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Gestionnaire);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct, expectedVersion);
        var now = clock.UtcNow();
        request.MarkPaid(actor, now);
        await RequestAccess.SaveAsync(db, request, EmailKind.Paid, now, ct);
        return request;
    }
}
