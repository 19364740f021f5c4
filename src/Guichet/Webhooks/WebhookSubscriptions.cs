using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Webhooks;

/// <summary>
/// What a vendor's user does with the organisation's webhooks, for the page « Webhooks » and <c>/api/v1/webhooks</c> alike:
/// only the caller's organisation's subscriptions are ever found (another's is « introuvable », as a missing one).
/// </summary>
public sealed class WebhookSubscriptions(GuichetDbContext db, TimeProvider clock, IOptions<WebhookOptions> options)
{
    private readonly WebhookOptions _options = options.Value;

    public const int MaxPerOrganisation = 10;

    private static int OrganisationOf(ClaimsPrincipal user) =>
        user.IsVendor() && user.OrganisationId() is { } id ? id : throw Refusal.Forbidden("Les webhooks sont ceux d'un organisme fournisseur.");

    public Task<List<WebhookSubscription>> ListAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        var organisation = OrganisationOf(user);
        return db.WebhookSubscriptions.AsNoTracking().Where(s => s.OrganisationId == organisation).OrderBy(s => s.Id).ToListAsync(ct);
    }

    public async Task<WebhookSubscription> FindAsync(ClaimsPrincipal user, long id, CancellationToken ct)
    {
        var organisation = OrganisationOf(user);
        return await db.WebhookSubscriptions.SingleOrDefaultAsync(s => s.Id == id && s.OrganisationId == organisation, ct)
            ?? throw Refusal.NotFound($"Aucun webhook n° {id} n'appartient à votre organisme.");
    }

    public async Task<WebhookSubscription> CreateAsync(ClaimsPrincipal user, string? url, IReadOnlyCollection<string>? types, bool? active, CancellationToken ct)
    {
        var organisation = OrganisationOf(user);
        WebhookSubscription.CheckTypes(types);
        var checkedUrl = await WebhookAddress.CheckAsync(url, _options.AllowLoopback, ct);
        if (await db.WebhookSubscriptions.CountAsync(s => s.OrganisationId == organisation, ct) >= MaxPerOrganisation)
            throw Refusal.Conflict($"Un organisme a au plus {MaxPerOrganisation} webhooks : supprimez-en un d'abord.");
        var subscription = WebhookSubscription.Create(organisation, checkedUrl.AbsoluteUri, types, active ?? true, clock.UtcNow());
        db.WebhookSubscriptions.Add(subscription);
        await db.SaveChangesAsync(ct);
        return subscription;
    }

    public async Task<WebhookSubscription> ChangeAsync(ClaimsPrincipal user, long id, string? url, IReadOnlyCollection<string>? types, bool? active, CancellationToken ct)
    {
        var subscription = await FindAsync(user, id, ct);
        if (types is not null) WebhookSubscription.CheckTypes(types);
        var checkedUrl = url is null ? null : (await WebhookAddress.CheckAsync(url, _options.AllowLoopback, ct)).AbsoluteUri;
        subscription.Change(checkedUrl, types, active, clock.UtcNow());
        await db.SaveChangesAsync(ct);
        return subscription;
    }

    public async Task DeleteAsync(ClaimsPrincipal user, long id, CancellationToken ct)
    {
        var subscription = await FindAsync(user, id, ct);
        db.WebhookSubscriptions.Remove(subscription);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>A new secret; the previous one stays valid for <c>Webhooks:RotationHours</c>.</summary>
    public async Task<WebhookSubscription> RotateAsync(ClaimsPrincipal user, long id, CancellationToken ct)
    {
        var subscription = await FindAsync(user, id, ct);
        subscription.RotateSecret(TimeSpan.FromHours(_options.RotationHours), clock.UtcNow());
        await db.SaveChangesAsync(ct);
        return subscription;
    }

    /// <summary>The latest attempts of the subscription's deliveries, newest first, with the event each carried.</summary>
    public async Task<List<(WebhookAttempt Attempt, PortalEvent Event)>> AttemptsAsync(ClaimsPrincipal user, long id, int limit, CancellationToken ct)
    {
        var subscription = await FindAsync(user, id, ct);
        var rows = await (from a in db.WebhookAttempts.AsNoTracking()
                          join e in db.Events.AsNoTracking() on a.EventId equals e.Id
                          where a.SubscriptionId == subscription.Id
                          orderby a.At descending, a.Id descending
                          select new { a, e }).Take(limit).ToListAsync(ct);
        return rows.Select(r => (r.a, r.e)).ToList();
    }

    /// <summary>« Envoyer un événement de test »: an event of type « test », delivered to this subscription only.</summary>
    public async Task<WebhookDelivery> SendTestAsync(ClaimsPrincipal user, long id, CancellationToken ct)
    {
        var subscription = await FindAsync(user, id, ct);
        var now = clock.UtcNow();
        var evt = PortalEvent.Test(subscription.OrganisationId, now);
        db.Events.Add(evt);
        var delivery = WebhookDelivery.For(evt, subscription.Id, now);
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        return delivery;
    }

    /// <summary>« Rejouer »: the organisation's event (by its feed cursor) delivered once more to this subscription, with the same id.</summary>
    public async Task<WebhookDelivery> ReplayAsync(ClaimsPrincipal user, long id, long position, CancellationToken ct)
    {
        var subscription = await FindAsync(user, id, ct);
        var evt = await db.Events.SingleOrDefaultAsync(e => e.OrganisationId == subscription.OrganisationId && e.Position == position, ct)
            ?? throw Refusal.NotFound($"Aucun événement de curseur {position} dans le flux de votre organisme.");
        var delivery = WebhookDelivery.For(evt, subscription.Id, clock.UtcNow());
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(ct);
        return delivery;
    }
}
