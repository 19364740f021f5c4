using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.AspNetCore.Identity;

namespace Guichet.Requests;

/// <summary>« M'attribuer » (no assignee given) or « Attribuer à » another active manager; the vendor is not told.</summary>
public sealed class AssignRequest(GuichetDbContext db, UserManager<GuichetUser> users, TimeProvider clock)
{
    public const string TakenMeanwhile = "Un autre gestionnaire vient de prendre ou de modifier cette demande. Rechargez la page pour voir "
        + "à qui elle est attribuée : rien n'a été enregistré.";

    public async Task<FundingRequest> RunAsync(ClaimsPrincipal user, string numero, string? assigneeId, int? expectedVersion, CancellationToken ct)
    {
        var actor = RequestAccess.ActorFor(user, Roles.Gestionnaire);
        // No assignee is « M'attribuer »; choosing oneself in « Attribuer à » may take the request over from a colleague.
        var taking = string.IsNullOrEmpty(assigneeId);
        var assignee = await users.FindByIdAsync(taking ? user.Id() : assigneeId!);
        if (assignee is not { IsActive: true } || !await users.IsInRoleAsync(assignee, Roles.Gestionnaire))
            throw Refusal.Invalid("Choisissez un gestionnaire actif.", "$.attributaire");
        var request = await LoadAsync(user, numero, expectedVersion, ct);
        var now = clock.UtcNow();
        request.AssignTo(actor, assignee.Id, assignee.FullName, now, taking);
        await SaveAsync(db, request, now, ct);
        return request;
    }

    /// <summary>A page showing an older version was overtaken: the refusal says so in terms of assignment.</summary>
    internal async Task<FundingRequest> LoadAsync(ClaimsPrincipal user, string numero, int? expectedVersion, CancellationToken ct)
    {
        try { return await RequestAccess.LoadAsync(db, user, numero, ct, expectedVersion); }
        catch (Refusal r) when (r.Message == RequestAccess.ConcurrencyMessage) { throw Refusal.Conflict(TakenMeanwhile); }
    }

    /// <summary>Two managers taking the same request at once: the version token lets one save, the other is refused.</summary>
    internal static async Task SaveAsync(GuichetDbContext db, FundingRequest request, DateTime now, CancellationToken ct)
    {
        try { await RequestAccess.SaveAsync(db, request, null, now, ct); }
        catch (Refusal r) when (r.Message == RequestAccess.ConcurrencyMessage) { throw Refusal.Conflict(TakenMeanwhile); }
    }
}
