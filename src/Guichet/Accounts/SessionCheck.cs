using System.Security.Claims;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Accounts;

/// <summary>
/// Every cookie session is checked at every request against its <see cref="UserSession"/> row and the user's current
/// security stamp and « actif » flag: « Se déconnecter » ends this session (its row), deactivation, a new password and a
/// role change (the stamp) end every session of the user. One read by primary key joined to the user; the last
/// activity is written at most every <see cref="Sessions.TouchEvery"/>; the cookie is not re-issued.
/// </summary>
public static class SessionCheck
{
    private sealed record State(string UserId, DateTime LastSeenAt, string? SecurityStamp, bool IsActive);

    // Read at every request of a signed-in person: compiled (Data/PerModel.cs).
    private static readonly PerModel<Func<GuichetDbContext, string, DateTime, CancellationToken, Task<State?>>> Current = new(() =>
        EF.CompileAsyncQuery((GuichetDbContext db, string sessionId, DateTime idle, CancellationToken ct) => db.UserSessions.AsNoTracking()
            .Where(s => s.Id == sessionId && s.RevokedAt == null && s.LastSeenAt > idle)
            .Join(db.Users, s => s.UserId, u => u.Id, (s, u) => new State(s.UserId, s.LastSeenAt, u.SecurityStamp, u.IsActive))
            .FirstOrDefault()));

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var ct = context.HttpContext.RequestAborted;
        var stampClaim = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        var userId = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = context.Principal?.FindFirstValue(stampClaim);
        // A cookie issued before server-side sessions has no session id: refused, its holder signs in again.
        var sessionId = context.Principal?.SessionId();
        if (userId is not null && stamp is not null && sessionId is not null)
        {
            var db = services.GetRequiredService<GuichetDbContext>();
            var now = services.GetRequiredService<TimeProvider>().UtcNow();
            var idle = Sessions.IdleLimit(now, context.Options.ExpireTimeSpan);
            // The request's queries share one connection, opened here and given back when the request's context returns
            // to its pool, instead of one open and close per query (docs/architecture.md, « Performances »).
            await db.Database.OpenConnectionAsync(ct);
            var current = await Current.For(db)(db, sessionId, idle, ct);
            if (current is { IsActive: true } && current.UserId == userId && current.SecurityStamp == stamp)
            {
                var stale = now - Sessions.TouchEvery;
                if (current.LastSeenAt < stale)
                    await db.UserSessions.Where(s => s.Id == sessionId && s.LastSeenAt < stale)
                        .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), ct);
                return;
            }
        }
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
    }
}
