using Guichet.Accounts;
using Guichet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Admin;

/// <summary>The agency's own users: managers, support and administrators.</summary>
[Authorize(Roles = Roles.Administrateur)]
public sealed class AgencyModel(GuichetDbContext db, AccountAdmin accounts) : PageModel
{
    public List<(GuichetUser User, string Role)> Users { get; private set; } = [];
    public List<string> Errors { get; } = [];
    public string? Message { get; private set; }
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? FullName { get; set; }
    [BindProperty] public string? Role { get; set; }

    public async Task OnGetAsync() => await Load();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (Role == Roles.Fournisseur)
            Errors.Add("Les utilisateurs Fournisseur se créent depuis la page de leur organisme.");
        else
        {
            var outcome = await accounts.CreateAsync(Email, FullName, Role, null, null, ct);
            if (outcome.User is null) Errors.AddRange(outcome.Errors);
            else Message = $"Utilisateur {outcome.User.Email} créé ({Roles.Label(Role!)}) : un e-mail l'invite à choisir son mot de passe.";
        }
        if (Errors.Count > 0) Response.StatusCode = StatusCodes.Status400BadRequest;
        await Load();
        return Page();
    }

    /// <summary>Changes an agency user's role; their sessions end at their next request (AccountAdmin.ChangeRoleAsync).</summary>
    public async Task<IActionResult> OnPostRoleAsync(string? userId, string? nouveauRole, CancellationToken ct)
    {
        var outcome = await accounts.ChangeRoleAsync(userId, nouveauRole, ct);
        if (outcome.User is null)
        {
            Errors.AddRange(outcome.Errors);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else Message = $"{outcome.User.Email} est désormais {Roles.Label(nouveauRole!)} : ses sessions ouvertes sont fermées, le nouveau rôle s'applique à sa prochaine connexion.";
        await Load();
        return Page();
    }

    /// <summary>« Réinitialiser la double authentification » of an agency user who lost the phone and the recovery codes.</summary>
    public async Task<IActionResult> OnPostDoubleFacteurAsync(string? userId, CancellationToken ct)
    {
        var outcome = await accounts.ResetTwoFactorAsync(userId, null, ct);
        if (outcome.User is null)
        {
            Errors.AddRange(outcome.Errors);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else Message = $"{outcome.User.Email} : double authentification réinitialisée. Ses sessions sont fermées ; il devra l'activer de nouveau à sa prochaine connexion.";
        await Load();
        return Page();
    }

    private async Task Load()
    {
        var rows = await db.Users.Where(u => u.OrganisationId == null)
            .Join(db.UserRoles, u => u.Id, ur => ur.UserId, (u, ur) => new { u, ur.RoleId })
            .Join(db.Roles, x => x.RoleId, r => r.Id, (x, r) => new { x.u, Role = r.Name! })
            .OrderBy(x => x.u.Email).ToListAsync();
        Users = rows.Select(x => (x.u, x.Role)).ToList();
    }
}
