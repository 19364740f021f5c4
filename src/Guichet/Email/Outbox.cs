using Guichet.Data;
using Guichet.Domain;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Email;

/// <summary>
/// The one way to send an e-mail: add an outbox row to the context, then save it with the state change it tells of.
/// Nothing is saved here, so a rolled-back change never sends anything.
/// </summary>
public static class Outbox
{
    /// <summary>
    /// Renders <paramref name="kind"/> for the request and adds it, addressed to the active users of its organisation.
    /// Round kinds use the open round (opened, reminder) or the last closed one (closed, confirmed, declined,
    /// cancelled): load <c>request.Rounds</c> first. Does nothing when the organisation has no active user.
    /// </summary>
    public static async Task EnqueueForRequestAsync(GuichetDbContext db, FundingRequest request, EmailKind kind, DateTime now, CancellationToken ct = default)
    {
        var recipients = await db.Users
            .Where(u => u.OrganisationId == request.OrganisationId && u.IsActive && u.Email != null)
            .OrderBy(u => u.Email).Select(u => u.Email!).ToListAsync(ct);
        Enqueue(db, request, kind, recipients, now);
    }

    /// <summary>The active users' addresses of each organisation (the deadline sweep looks them up once per batch).</summary>
    public static async Task<Dictionary<int, IReadOnlyList<string>>> RecipientsByOrganisationAsync(GuichetDbContext db,
        IReadOnlyCollection<int> organisationIds, CancellationToken ct) =>
        (await db.Users.Where(u => u.OrganisationId != null && organisationIds.Contains(u.OrganisationId.Value) && u.IsActive && u.Email != null)
            .Select(u => new { u.OrganisationId, u.Email }).ToListAsync(ct))
        .GroupBy(u => u.OrganisationId!.Value).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(u => u.Email!).Order().ToList());

    /// <summary>The e-mails written about a request, newest first (shown to managers and support).</summary>
    public static Task<List<OutboxMessage>> OfRequestAsync(GuichetDbContext db, long requestId, CancellationToken ct) =>
        db.OutboxMessages.AsNoTracking().Where(m => m.FundingRequestId == requestId)
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).ToListAsync(ct);

    /// <summary>The same, with the recipients already known (the deadline sweep looks them up once per organisation).</summary>
    public static void Enqueue(GuichetDbContext db, FundingRequest request, EmailKind kind, IReadOnlyList<string> recipients, DateTime now)
    {
        if (recipients.Count == 0) return;
        db.Add(OutboxMessage.Create(kind, request, recipients, EmailTemplates.ForRequest(kind, request, RoundFor(kind, request)), now));
    }

    /// <summary>The round an e-mail tells of: the open one (opened, reminder) or the one closed last (the other round kinds).</summary>
    internal static ModificationRound? RoundFor(EmailKind kind, FundingRequest request) =>
        kind is EmailKind.RoundOpened or EmailKind.Reminder ? request.OpenRound : request.LastClosedRound;

    /// <summary>An e-mail to the active users of an organisation, tied to no request (e.g. a webhook paused).</summary>
    public static async Task EnqueueForOrganisationAsync(GuichetDbContext db, int organisationId, EmailKind kind, RenderedEmail email, DateTime now, CancellationToken ct)
    {
        var recipients = (await RecipientsByOrganisationAsync(db, [organisationId], ct)).GetValueOrDefault(organisationId, []);
        if (recipients.Count > 0) db.Add(OutboxMessage.Create(kind, null, recipients, email, now));
    }

    /// <summary>An account e-mail to one person; <paramref name="path"/> is the portal path of its link (e.g. the reset page).</summary>
    public static void EnqueueForUser(GuichetDbContext db, string email, string? name, EmailKind kind, string path, DateTime now)
    {
        if (string.IsNullOrEmpty(email)) throw new InvalidOperationException("L'utilisateur n'a pas d'adresse e-mail.");
        db.Add(OutboxMessage.Create(kind, null, [email], EmailTemplates.ForAccount(kind, string.IsNullOrEmpty(name) ? email : name, email, path), now));
    }
}
