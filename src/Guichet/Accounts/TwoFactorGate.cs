using System.Security.Claims;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Guichet.Accounts;

/// <summary>Section « TwoFactor »: whether the agency (managers, support, administrators) must use two-factor sign-in.</summary>
public sealed class TwoFactorOptions
{
    public const string Section = "TwoFactor";

    /// <summary>On by default (production safe); off in appsettings.Development.json so that the demo accounts sign in with their password.</summary>
    public bool RequiredForAgency { get; set; } = true;
}

/// <summary>
/// When two-factor sign-in is required for the agency, an agency session without it reaches nothing but the enrolment page:
/// pages answer a redirect there, <c>/api</c> by cookie a 403. Personal API tokens are a separate credential and pass.
/// </summary>
public static class TwoFactorGate
{
    public const string EnrolmentPath = "/compte/double-authentification";

    /// <summary>Set on the cookie principal by <see cref="GuichetClaimsFactory"/>; enabling or disabling renews the security
    /// stamp, so SessionCheck ends every cookie whose claim is out of date.</summary>
    public const string EnabledClaim = "guichet:2fa";

    public const string EnrolFirst = "Activez la double authentification pour accéder au Guichet : les comptes de l'Agence doivent l'utiliser.";

    // Reachable while enrolling: the page itself, signing in and out, the error pages.
    private static readonly string[] Open = [EnrolmentPath, "/deconnexion", "/connexion", "/erreur", "/acces-refuse", "/health"];

    public static bool IsAgency(ClaimsPrincipal user) => user.SeesAllOrganisations();

    public static IApplicationBuilder UseTwoFactorEnrolment(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var required = context.RequestServices.GetRequiredService<IOptions<TwoFactorOptions>>().Value.RequiredForAgency;
        var user = context.User;
        if (required && user.Identity?.IsAuthenticated == true && IsAgency(user) && !user.HasClaim(c => c.Type == EnabledClaim)
            && !HasBearer(context.Request) && !Open.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
        {
            if (context.Request.Path.StartsWithSegments("/api"))
                await Problems.Write(context, StatusCodes.Status403Forbidden, "Accès refusé", EnrolFirst);
            else
                context.Response.Redirect(EnrolmentPath);
            return;
        }
        await next(context);
    });

    private static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    /// <summary>The user's two-factor cookie, between the password and the code (Identity's <c>TwoFactorUserIdScheme</c>).</summary>
    public static async Task<string?> PendingUserIdAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(IdentityConstants.TwoFactorUserIdScheme);
        return result.Succeeded ? result.Principal.FindFirstValue(ClaimTypes.Name) : null;
    }

    /// <summary>« 123 456 » or « 123-456 » as typed from the app: digits only.</summary>
    public static string Digits(string? code) => new((code ?? "").Where(c => c is not (' ' or '-' or '\u00a0' or '\u202f' or '\t')).ToArray());

    /// <summary>Issues the application cookie through Identity (its OnSigningIn hooks run), marked as signed in with two factors.</summary>
    public static async Task SignInWithSecondFactorAsync(this SignInManager<GuichetUser> signIn, GuichetUser user)
    {
        await signIn.Context.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, [new Claim("amr", "mfa")]);
    }
}
