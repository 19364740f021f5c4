using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Storage;
using Guichet.Tracking;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>The outcome of a decision: 200 with the request, or a 4xx with a French message (nothing changed).</summary>
public sealed record DecisionResult(int Status, string Message, FundingRequest? Request = null)
{
    public bool Succeeded => Status == StatusCodes.Status200OK;
}

/// <summary>
/// The agency's decisions on a request, called by the instruction and support pages and by the API: who may,
/// the domain transition, the outbox e-mail, one SaveChanges guarded by the request's version.
/// </summary>
public sealed class Decisions(GuichetDbContext db, TimeProvider clock, AttachmentStore store, ILogger<Decisions> logger)
{
    public const string ConcurrencyMessage = "La demande a été modifiée par quelqu'un d'autre entre-temps. Rechargez la page et recommencez.";

    /// <summary>« Demander une modification »: a manager, or support « à la demande du fournisseur ».</summary>
    public Task<DecisionResult> OpenRoundAsync(ClaimsPrincipal user, string numero, string? comment, IReadOnlyCollection<string>? items,
        int? expectedVersion, CancellationToken ct)
    {
        var asManager = user.IsInRole(Roles.Gestionnaire);
        var role = asManager ? Roles.Gestionnaire : Roles.Assistance;
        return RunAsync(user, numero, expectedVersion, [Roles.Gestionnaire, Roles.Assistance], (r, scheme, now) =>
        {
            r.OpenModificationRound(user.Actor(role), comment, items ?? [], scheme, now, atVendorRequest: !asManager);
            return (EmailKind.RoundOpened, [], asManager
                ? "La demande de modification est ouverte : le fournisseur est prévenu par e-mail."
                : "La demande est passée « A modifier » à la demande du fournisseur : il est prévenu par e-mail.");
        }, ct);
    }

    /// <summary>« Annuler la demande de modification »: the vendor's draft is discarded.</summary>
    public Task<DecisionResult> CancelRoundAsync(ClaimsPrincipal user, string numero, string? comment, int? expectedVersion, CancellationToken ct) =>
        RunAsync(user, numero, expectedVersion, [Roles.Gestionnaire], (r, _, now) =>
        {
            var discarded = r.CancelModificationRound(user.Actor(Roles.Gestionnaire), now, string.IsNullOrWhiteSpace(comment) ? null : comment.Trim());
            return (EmailKind.RoundCancelled, discarded, "La demande de modification est annulée : la demande est de nouveau « En cours ».");
        }, ct);

    public Task<DecisionResult> ValidateAsync(ClaimsPrincipal user, string numero, int? expectedVersion, CancellationToken ct) =>
        RunAsync(user, numero, expectedVersion, [Roles.Gestionnaire], (r, _, now) =>
        {
            r.Validate(user.Actor(Roles.Gestionnaire), now);
            return (EmailKind.Validated, [], "La demande est validée.");
        }, ct);

    public Task<DecisionResult> RejectAsync(ClaimsPrincipal user, string numero, string? reason, int? expectedVersion, CancellationToken ct) =>
        RunAsync(user, numero, expectedVersion, [Roles.Gestionnaire], (r, _, now) =>
        {
            r.Reject(user.Actor(Roles.Gestionnaire), reason, now);
            return (EmailKind.Rejected, [], "La demande est rejetée.");
        }, ct);

    public Task<DecisionResult> MarkPaidAsync(ClaimsPrincipal user, string numero, int? expectedVersion, CancellationToken ct) =>
        RunAsync(user, numero, expectedVersion, [Roles.Gestionnaire], (r, _, now) =>
        {
            r.MarkPaid(user.Actor(Roles.Gestionnaire), now);
            return (EmailKind.Paid, [], "La demande est « Décidée et payée ».");
        }, ct);

    private delegate (EmailKind Mail, IReadOnlyList<SupportingDocument> Discarded, string Message) Apply(FundingRequest request, FundingScheme scheme, DateTime now);

    private async Task<DecisionResult> RunAsync(ClaimsPrincipal user, string numero, int? expectedVersion, string[] roles, Apply apply, CancellationToken ct)
    {
        if (!roles.Any(user.IsInRole)) return new(StatusCodes.Status403Forbidden, "Votre rôle ne permet pas cette action.");
        var request = await RequestQuery.FindAsync(db, user, numero, ct);
        if (request is null) return new(StatusCodes.Status404NotFound, $"Aucune demande « {Clip(numero)} » ne vous est accessible.");
        // The page posts the version it showed: a decision taken on a stale page is refused, not applied to newer data.
        if (expectedVersion is { } v && v != request.Version) return new(StatusCodes.Status409Conflict, ConcurrencyMessage, request);
        var scheme = await db.Schemes.SingleAsync(s => s.Code == request.SchemeCode, ct);
        var now = clock.UtcNow();

        (EmailKind Mail, IReadOnlyList<SupportingDocument> Discarded, string Message) done;
        try { done = apply(request, scheme, now); }
        catch (Refusal e)
        {
            return new(Problems.StatusOf(e.Kind), e.Message, request);
        }
        await Outbox.EnqueueForRequestAsync(db, request, done.Mail, now, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return new(StatusCodes.Status409Conflict, ConcurrencyMessage);
        }
        // Discarded draft files are removed once the change is committed; a leftover file is harmless.
        foreach (var d in done.Discarded)
        {
            try { store.Delete(d.StorageKey); }
            catch (IOException e) { logger.LogWarning(e, "Pièce abandonnée {Key} non supprimée.", d.StorageKey); }
        }
        return new(StatusCodes.Status200OK, done.Message, request);
    }

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
