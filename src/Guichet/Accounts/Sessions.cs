using System.Net;
using System.Security.Claims;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Accounts;

/// <summary>
/// Server-side sessions (<see cref="UserSession"/>): opened by the application cookie's sign-in event, whatever page signs
/// in, and ended one by one (« Se déconnecter », « Déconnecter » on « Mon compte ») or all at once.
/// </summary>
public static class Sessions
{
    /// <summary>The claim of the cookie principal naming its <see cref="UserSession"/>.</summary>
    public const string ClaimType = "guichet:session";

    /// <summary>« Dernière activité » is written at most this often: a read at every request, a write every few minutes.</summary>
    public static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(5);

    public static string? SessionId(this ClaimsPrincipal user) => user.FindFirstValue(ClaimType);

    /// <summary>
    /// A session unused for longer than this has an expired cookie whatever it did (the cookie lives <paramref name="lifetime"/>
    /// after its last renewal, and the last activity is at most <see cref="TouchEvery"/> late).
    /// </summary>
    public static DateTime IdleLimit(DateTime now, TimeSpan lifetime) => now - lifetime - TouchEvery;

    /// <summary>The cookie lifetime of the application scheme, the one the sessions follow.</summary>
    public static TimeSpan CookieLifetime(IServiceProvider services) =>
        services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(IdentityConstants.ApplicationScheme).ExpireTimeSpan;

    /// <summary>
    /// Cookie « SigningIn » event: every sign-in (password, second factor, refresh) opens a row and names it in the cookie.
    /// The browser's previous session, if any, is ended rather than left behind; the user's old rows are deleted here.
    /// </summary>
    public static async Task OpenAsync(CookieSigningInContext context)
    {
        var http = context.HttpContext;
        var userId = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null || context.Principal!.Identity is not ClaimsIdentity identity) return;
        var db = http.RequestServices.GetRequiredService<GuichetDbContext>();
        var now = http.RequestServices.GetRequiredService<TimeProvider>().UtcNow();
        var ct = http.RequestAborted;

        if (http.User.SessionId() is { } previous)
            await db.UserSessions.Where(s => s.Id == previous && s.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), ct);
        // Cleaned at the user's sign-in: one indexed delete, harmless if two instances run it at once, and a user's rows
        // grow only by signing in. Kept a cookie lifetime after their end, then nothing can use them any more.
        var before = IdleLimit(now, context.Options.ExpireTimeSpan);
        await db.UserSessions.Where(s => s.UserId == userId && (s.RevokedAt < now - context.Options.ExpireTimeSpan || s.LastSeenAt < before))
            .ExecuteDeleteAsync(ct);

        var address = http.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true }) address = address.MapToIPv4();
        var session = UserSession.Open(userId, now, address?.ToString(), http.Request.Headers.UserAgent.ToString());
        db.UserSessions.Add(session);
        await db.SaveChangesAsync(ct);
        db.Entry(session).State = EntityState.Detached;

        foreach (var old in identity.FindAll(ClaimType).ToList()) identity.RemoveClaim(old);
        identity.AddClaim(new Claim(ClaimType, session.Id));
    }

    /// <summary>Ends one session of the user; 0 when it is not theirs or already ended.</summary>
    public static Task<int> RevokeAsync(GuichetDbContext db, string userId, string? sessionId, DateTime now, CancellationToken ct = default) =>
        db.UserSessions.Where(s => s.Id == sessionId && s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), ct);

    /// <summary>« Se déconnecter de tous les appareils » : every open session of the user, the current one included.</summary>
    public static Task<int> RevokeAllAsync(GuichetDbContext db, string userId, DateTime now, CancellationToken ct = default) =>
        db.UserSessions.Where(s => s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), ct);

    /// <summary>The user's sessions still able to serve a request, most recent activity first.</summary>
    public static Task<List<UserSession>> LiveAsync(GuichetDbContext db, string userId, DateTime now, TimeSpan lifetime, CancellationToken ct = default)
    {
        var idle = IdleLimit(now, lifetime);
        return db.UserSessions.AsNoTracking().Where(s => s.UserId == userId && s.RevokedAt == null && s.LastSeenAt > idle)
            .OrderByDescending(s => s.LastSeenAt).ThenByDescending(s => s.CreatedAt).ToListAsync(ct);
    }

    /// <summary>« Firefox sur Linux » : enough to recognise a device, from the User-Agent header.</summary>
    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent)) return "Navigateur inconnu";
        bool Has(string s) => userAgent.Contains(s, StringComparison.OrdinalIgnoreCase);
        var browser = Has("Edg/") ? "Edge" : Has("OPR/") || Has("Opera") ? "Opera" : Has("Firefox/") ? "Firefox"
            : Has("Chromium/") ? "Chromium" : Has("Chrome/") ? "Chrome" : Has("Safari/") ? "Safari"
            : Has("curl/") ? "curl" : "Autre navigateur";
        var system = Has("Android") ? "Android" : Has("iPhone") || Has("iPad") ? "iOS" : Has("Windows") ? "Windows"
            : Has("Mac OS X") || Has("Macintosh") ? "macOS" : Has("CrOS") ? "ChromeOS" : Has("Linux") ? "Linux" : null;
        return system is null ? browser : $"{browser} sur {system}";
    }

    /// <summary>An address for display, never the raw header.</summary>
    public static string Address(string? ip) => IPAddress.TryParse(ip, out var a) ? a.ToString() : "inconnue";
}
