using System.Linq.Expressions;
using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Requests;

/// <summary>
/// The one way into a request: the visibility rule (the agency sees all, a vendor its own organisation, others nothing),
/// who may act, the load with everything an action needs (scheme included), and the save that turns a concurrent change
/// into a refusal. Every action and every request page goes through here.
/// </summary>
public static class RequestAccess
{
    public const string ConcurrencyMessage = "La demande a été modifiée par quelqu'un d'autre entre-temps (une demande de modification a pu être "
        + "annulée ou clôturée). Rechargez la page et recommencez : rien n'a été enregistré.";

    /// <summary>The requests the user may see.</summary>
    public static IQueryable<FundingRequest> Visible(GuichetDbContext db, ClaimsPrincipal user) =>
        Scoped(db.Requests, user, id => r => r.OrganisationId == id);

    /// <summary>The counter rows of the same requests (same rule).</summary>
    public static IQueryable<RequestCount> VisibleCounts(GuichetDbContext db, ClaimsPrincipal user) =>
        Scoped(db.RequestCounts, user, id => c => c.OrganisationId == id);

    /// <summary>The one organisation a vendor is confined to; null for the agency (which sees all) and for anyone else (nothing).</summary>
    public static int? VendorOrganisation(ClaimsPrincipal user) =>
        !user.SeesAllOrganisations() && user.IsVendor() ? user.OrganisationId() : null;

    private static IQueryable<T> Scoped<T>(IQueryable<T> all, ClaimsPrincipal user, Func<int, Expression<Func<T, bool>>> ofOrganisation)
    {
        if (user.SeesAllOrganisations()) return all;
        return VendorOrganisation(user) is { } id ? all.Where(ofOrganisation(id)) : all.Where(_ => false);
    }

    /// <summary>One request with everything its pages and actions use, or null when missing or not visible (same answer).</summary>
    public static Task<FundingRequest?> FindAsync(GuichetDbContext db, ClaimsPrincipal user, string number, CancellationToken ct) =>
        Visible(db, user)
            .Include(r => r.Organisation).Include(r => r.Solution).Include(r => r.Scheme)
            .Include(r => r.Documents).Include(r => r.History).Include(r => r.Rounds)
            .AsSplitQuery()
            .FirstOrDefaultAsync(r => r.Number == number, ct);

    /// <summary>
    /// The same, refused when missing or not visible. A page passes the version it showed (<paramref name="expectedVersion"/>):
    /// a decision taken on a stale page is refused, not applied to newer data.
    /// </summary>
    public static async Task<FundingRequest> LoadAsync(GuichetDbContext db, ClaimsPrincipal user, string number, CancellationToken ct,
        int? expectedVersion = null)
    {
        var request = await FindAsync(db, user, number, ct) ?? throw NotFound(number);
        if (expectedVersion is { } v && v != request.Version) throw Refusal.Conflict(ConcurrencyMessage);
        return request;
    }

    public static Refusal NotFound(string number) =>
        Refusal.NotFound($"Aucune demande « {Fr.Clip(number, 40)} » ne vous est accessible.");

    /// <summary>The actor recorded in the history, when the user holds one of <paramref name="roles"/> (the first one held).</summary>
    public static Actor ActorFor(ClaimsPrincipal user, params string[] roles) =>
        roles.FirstOrDefault(user.IsInRole) is { } role ? user.Actor(role) : throw Refusal.Forbidden("Votre rôle ne permet pas cette action.");

    /// <summary>
    /// Writes the e-mail that tells of the change (if any) and saves both in one transaction. The request's version guards it:
    /// if someone else changed the request since it was loaded, nothing is saved and the caller is refused.
    /// </summary>
    public static async Task SaveAsync(GuichetDbContext db, FundingRequest request, EmailKind? mail, DateTime now, CancellationToken ct)
    {
        if (mail is { } kind) await Outbox.EnqueueForRequestAsync(db, request, kind, now, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            throw Refusal.Conflict(ConcurrencyMessage);
        }
    }
}
