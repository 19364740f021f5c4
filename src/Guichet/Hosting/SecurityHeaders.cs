namespace Guichet.Hosting;

/// <summary>Security headers on every response (CSP without inline script or style, no framing, no sniffing).</summary>
public static class SecurityHeaders
{
    private const string Csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        + "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    // The API reference page (Scalar) configures itself with an inline module script and inline styles; it gets
    // them, and nothing else does. It reads only this origin: no CDN.
    private const string ApiReferenceCsp = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
        + "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var h = context.Response.Headers;
            // An endpoint may set its own, stricter policy (the attachments, Tracking/DocumentEndpoints.cs): it is kept.
            if (string.IsNullOrEmpty(h.ContentSecurityPolicy))
                h.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/api/documentation") ? ApiReferenceCsp : Csp;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "same-origin";
            h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            h["Cross-Origin-Opener-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        await next();
    });
}
