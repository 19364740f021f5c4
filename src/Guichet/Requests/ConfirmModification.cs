using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;

namespace Guichet.Requests;

/// <summary>
/// « Confirmer »: the values posted with it (if any) join the draft under the same rules, the draft is applied at once, the
/// request goes back « en cours » and the vendor's acknowledgement e-mail is written — one save.
/// </summary>
public sealed class ConfirmModification(GuichetDbContext db, TimeProvider clock)
{
    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, IReadOnlyDictionary<string, string?>? values, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Fournisseur);
        var request = await RequestAccess.LoadAsync(db, user, numero, ct);
        var now = clock.UtcNow();
        if (values is { Count: > 0 }) request.EditDraft(values, now);
        request.ConfirmModification(actor, now);
        await RequestAccess.SaveAsync(db, request, EmailKind.ModificationConfirmed, now, ct);
        return request;
    }
}
