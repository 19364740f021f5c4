using System.Security.Claims;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Accounts;

/// <summary>« Mon compte » : who I am, my signed-in devices (each can be ended, or all at once), links to my tokens and 2FA.</summary>
[Authorize]
public sealed class AccountModel(GuichetDbContext db, SignInManager<GuichetUser> signIn, TimeProvider clock, SecurityJournal journal) : PageModel
{
    public string FullName { get; private set; } = "";
    public string Email { get; private set; } = "";
    public string RoleLabel { get; private set; } = "";
    public string? OrganisationName { get; private set; }
    public List<UserSession> Devices { get; private set; } = [];
    public string? CurrentSessionId { get; private set; }
    public string? Message { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await Load(ct) ? Page() : NotFound();

    /// <summary>« Déconnecter » one device; a session that is not the user's, or already ended, answers as missing.</summary>
    public async Task<IActionResult> OnPostDeconnecterAsync(string? id, CancellationToken ct)
    {
        if (await Sessions.RevokeAsync(db, User.Id(), id, clock.UtcNow(), ct) == 0) return NotFound();
        await journal.RecordAsync(SecurityEventKind.SignedOut, new JournalAccount(User.Id(), User.Identity?.Name),
            id == User.SessionId() ? null : "Un autre appareil, depuis « Mon compte ».", ct: ct);
        if (id == User.SessionId())
        {
            await signIn.SignOutAsync();
            return LocalRedirect("/");
        }
        Message = "L'appareil a été déconnecté : sa session est fermée.";
        return await Load(ct) ? Page() : NotFound();
    }

    /// <summary>« Se déconnecter de tous les appareils », this one included.</summary>
    public async Task<IActionResult> OnPostToutAsync(CancellationToken ct)
    {
        var ended = await Sessions.RevokeAllAsync(db, User.Id(), clock.UtcNow(), ct);
        await journal.RecordAsync(SecurityEventKind.AllSessionsEnded, new JournalAccount(User.Id(), User.Identity?.Name),
            $"{ended} session(s) fermée(s).", ct: ct);
        await signIn.SignOutAsync();
        return LocalRedirect("/connexion");
    }

    private async Task<bool> Load(CancellationToken ct)
    {
        var userId = User.Id();
        var me = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.FullName, u.Email, Organisation = db.Organisations.Where(o => o.Id == u.OrganisationId).Select(o => o.Name).FirstOrDefault() })
            .FirstOrDefaultAsync(ct);
        if (me is null) return false;
        FullName = me.FullName;
        Email = me.Email ?? "";
        OrganisationName = me.Organisation;
        RoleLabel = string.Join(", ", User.FindAll(ClaimTypes.Role).Select(r => Roles.Label(r.Value)));
        CurrentSessionId = User.SessionId();
        Devices = await Sessions.LiveAsync(db, userId, clock.UtcNow(), Sessions.CookieLifetime(HttpContext.RequestServices), ct);
        return true;
    }
}
