using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Guichet.Hosting;

/// <summary>Section « ReverseProxy »: the proxies (TLS termination, load balancer) whose X-Forwarded-* headers are believed.</summary>
public sealed class ReverseProxyOptions
{
    public const string Section = "ReverseProxy";
    /// <summary>IP addresses of the proxies, e.g. « 10.0.0.5 ».</summary>
    public List<string> KnownProxies { get; set; } = [];
    /// <summary>Networks of the proxies in CIDR notation, e.g. « 10.0.0.0/24 ».</summary>
    public List<string> KnownNetworks { get; set; } = [];
    /// <summary>Public HTTPS port that plain HTTP is redirected to; 443 when a proxy is configured, else Kestrel's HTTPS port.</summary>
    public int? HttpsPort { get; set; }

    public bool Any => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public IEnumerable<string> Errors()
    {
        foreach (var p in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
            yield return $"ReverseProxy:KnownProxies : « {p} » n'est pas une adresse IP.";
        foreach (var n in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return $"ReverseProxy:KnownNetworks : « {n} » n'est pas un réseau CIDR (ex. 10.0.0.0/24).";
        if (HttpsPort is < 1 or > 65535)
            yield return "ReverseProxy:HttpsPort doit être compris entre 1 et 65 535.";
    }
}

/// <summary>Each wrong entry is named, in French, when the portal refuses to start.</summary>
public sealed class ReverseProxyValidation : IValidateOptions<ReverseProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ReverseProxyOptions options) =>
        options.Errors().ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}

/// <summary>
/// Transport security: X-Forwarded-For/-Proto from the configured proxies only, HTTPS redirection and HSTS outside
/// Development, and every cookie marked Secure (always in Production; over HTTPS, direct or via a trusted proxy, elsewhere).
/// </summary>
public static class Transport
{
    public static IServiceCollection AddGuichetTransport(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var proxy = configuration.GetSection(ReverseProxyOptions.Section).Get<ReverseProxyOptions>() ?? new();
        services.AddOptions<ReverseProxyOptions>().BindConfiguration(ReverseProxyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReverseProxyOptions>, ReverseProxyValidation>();

        services.Configure<ForwardedHeadersOptions>(o =>
        {
            // Only the proxy's client address and scheme. X-Forwarded-Host is not believed: the proxy passes the
            // original Host header itself, and a forged host would end up in links and redirects.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // ASP.NET trusts loopback by default; here only the configured proxies count (a proxy on the same host is
            // configured as 127.0.0.1 like any other). An empty list would mean « trust everybody » to the
            // middleware, so without configured proxies the middleware is not added at all (UseGuichetTransport).
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var p in proxy.KnownProxies)
                if (IPAddress.TryParse(p, out var address)) o.KnownProxies.Add(address);
            foreach (var n in proxy.KnownNetworks)
                if (System.Net.IPNetwork.TryParse(n, out var network)) o.KnownIPNetworks.Add(network);
            // A chain of proxies (load balancer, then a local TLS terminator) is followed while each hop is a known proxy.
            o.ForwardLimit = null;
        });

        if (proxy.HttpsPort is { } port) services.AddHttpsRedirection(o => o.HttpsPort = port);
        else if (proxy.Any) services.AddHttpsRedirection(o => o.HttpsPort = 443);

        // Production: every cookie is Secure whatever the request says. Elsewhere (Development, tests over plain
        // HTTP): Secure when the request is HTTPS — directly or as told by a trusted proxy. The cookie policy
        // middleware applies this to every cookie written (session, antiforgery, TempData); the cookies' own
        // options say the same so that nothing depends on the middleware's order alone.
        var secure = environment.IsProduction() ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        services.Configure<CookiePolicyOptions>(o => o.Secure = secure);
        services.ConfigureApplicationCookie(o => o.Cookie.SecurePolicy = secure);
        services.Configure<AntiforgeryOptions>(o => o.Cookie.SecurePolicy = secure);
        services.Configure<CookieTempDataProviderOptions>(o => o.Cookie.SecurePolicy = secure);
        return services;
    }

    /// <summary>First in the pipeline: the forwarded headers, then (outside Development) HSTS and the redirect to HTTPS.</summary>
    public static IApplicationBuilder UseGuichetTransport(this WebApplication app)
    {
        var proxy = app.Configuration.GetSection(ReverseProxyOptions.Section).Get<ReverseProxyOptions>() ?? new();
        if (proxy.Any) app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
        {
            // HSTS is only sent on HTTPS responses (and never for localhost).
            app.UseHsts();
            // The load balancer probes /health over plain HTTP: it is answered, not redirected.
            app.UseWhen(c => !c.Request.Path.StartsWithSegments("/health"), a => a.UseHttpsRedirection());
        }
        app.UseCookiePolicy();
        return app;
    }
}
