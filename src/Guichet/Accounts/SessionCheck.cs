using System.Security.Claims;
using Guichet.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Accounts;

/// <summary>
/// Every cookie session is checked at every request against the user's current security stamp and « actif » flag, so
/// that deactivation, a new password and « Se déconnecter » (which renews the stamp) end every open session of the user
/// at once. One indexed read by id; unlike Identity's validator run at every request, the cookie is not re-issued.
/// </summary>
public static class SessionCheck
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var stampClaim = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        var userId = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = context.Principal?.FindFirstValue(stampClaim);
        var db = services.GetRequiredService<GuichetDbContext>();
        var current = userId is null ? null : await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.SecurityStamp, u.IsActive }).FirstOrDefaultAsync(context.HttpContext.RequestAborted);
        if (current is { IsActive: true } && stamp is not null && current.SecurityStamp == stamp) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
    }
}
