using System.Security.Claims;
using Guichet.Accounts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Guichet.Hosting;

/// <summary>
/// Every page of a signed-in person carries « Se déconnecter », a form with an antiforgery token. Issuing one decrypts
/// the antiforgery cookie and encrypts a new request token: about 6 % of a tracking page (BENCHMARKS.md, « Coût d'une
/// page hors base »).
///
/// A request token stays valid as long as its cookie token and its person do not change, and may be posted any number of
/// times, so the token issued for one (cookie, person, session) is served again to that browser's next pages.
/// Validation is untouched: every POST is checked by the framework's antiforgery against its own cookie and its user.
/// Only a request that carries the browser's antiforgery cookie gets a reused token, and that cookie is SameSite=Strict
/// (Program.cs): a request started by another site, the lever of a compression attack such as BREACH, gets a fresh one.
/// </summary>
public sealed class ReusedAntiforgeryTokens(IAntiforgery inner, IOptions<AntiforgeryOptions> options) : IAntiforgery, IDisposable
{
    // Bounded (about 10 MB): one entry per browser seen in the last 20 minutes; when full, pages get fresh tokens as before.
    private const int MaxEntries = 10_000;
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(20);
    private readonly MemoryCache _issued = new(new MemoryCacheOptions { SizeLimit = MaxEntries });

    public AntiforgeryTokenSet GetAndStoreTokens(HttpContext context)
    {
        var key = KeyOf(context);
        if (key is not null && _issued.TryGetValue(key, out string? requestToken) && requestToken is not null)
        {
            // The framework's own answer for a reused cookie: the page must not be cached.
            if (!context.Response.HasStarted)
            {
                context.Response.Headers.CacheControl = "no-cache, no-store";
                context.Response.Headers.Pragma = "no-cache";
            }
            return new AntiforgeryTokenSet(requestToken, null, options.Value.FormFieldName, options.Value.HeaderName);
        }
        var tokens = inner.GetAndStoreTokens(context);
        // Only a token issued for the cookie the browser sent is kept: a new cookie (first visit, or an unreadable one)
        // comes back as CookieToken and is stored by the framework; its browser sends it with its next page.
        if (key is not null && tokens.CookieToken is null && tokens.RequestToken is not null)
            _issued.Set(key, tokens.RequestToken, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Lifetime });
        return tokens;
    }

    /// <summary>The browser's antiforgery cookie, its person and its session; null where the framework must answer itself.</summary>
    private string? KeyOf(HttpContext context)
    {
        // Over plain HTTP with a Secure-only cookie the framework refuses: let it.
        if (options.Value.Cookie.SecurePolicy == CookieSecurePolicy.Always && !context.Request.IsHttps) return null;
        var cookie = context.Request.Cookies[options.Value.Cookie.Name!];
        if (string.IsNullOrEmpty(cookie)) return null;
        var signedIn = context.User.Identities.Where(i => i.IsAuthenticated).ToList();
        if (signedIn.Count == 0) return string.Concat(cookie, "\n-");
        // The request token names its person by the signed-in identity's NameIdentifier: one identity with one, or no reuse.
        if (signedIn.Count > 1 || signedIn[0].FindFirst(ClaimTypes.NameIdentifier)?.Value is not { } id) return null;
        return string.Concat(cookie, "\n", id, "\n", context.User.SessionId());
    }

    public AntiforgeryTokenSet GetTokens(HttpContext context) => inner.GetTokens(context);

    // A refused token is no longer served (the key ring changed under it, say): the next page gets a fresh one.
    public async Task<bool> IsRequestValidAsync(HttpContext context)
    {
        var valid = await inner.IsRequestValidAsync(context);
        if (!valid) Forget(context);
        return valid;
    }

    public async Task ValidateRequestAsync(HttpContext context)
    {
        try { await inner.ValidateRequestAsync(context); }
        catch (AntiforgeryValidationException) { Forget(context); throw; }
    }

    private void Forget(HttpContext context)
    {
        if (KeyOf(context) is { } key) _issued.Remove(key);
    }
    public void SetCookieTokenAndHeader(HttpContext context) => inner.SetCookieTokenAndHeader(context);
    public void Dispose() => _issued.Dispose();
}

public static class ReusedAntiforgeryTokensRegistration
{
    /// <summary>Wraps the framework's antiforgery (registered by AddAntiforgery) in <see cref="ReusedAntiforgeryTokens"/>.</summary>
    public static IServiceCollection ReuseAntiforgeryTokens(this IServiceCollection services)
    {
        var framework = services.Single(d => d.ServiceType == typeof(IAntiforgery));
        services.Remove(framework);
        services.AddSingleton<IAntiforgery>(sp => ActivatorUtilities.CreateInstance<ReusedAntiforgeryTokens>(sp,
            (IAntiforgery)ActivatorUtilities.CreateInstance(sp, framework.ImplementationType!)));
        return services;
    }
}
