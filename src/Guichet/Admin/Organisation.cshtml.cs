using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Admin;

/// <summary>One vendor organisation: its users (created with an account e-mail, deactivated) and its enrolled solutions.</summary>
[Authorize(Roles = Roles.Administrateur)]
public sealed class OrganisationModel(GuichetDbContext db, AccountAdmin accounts, UserManager<GuichetUser> users, SecurityJournal journal) : PageModel
{
    public Organisation Organisation { get; private set; } = null!;
    public List<GuichetUser> Users { get; private set; } = [];
    public List<string> Errors { get; } = [];
    public string? Message { get; private set; }

    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? FullName { get; set; }
    [BindProperty] public string? SolutionName { get; set; }
    [BindProperty] public string? SolutionVersion { get; set; }
    [BindProperty] public string? ReferencingNumber { get; set; }
    [BindProperty] public DateOnly? ReferencingDate { get; set; }
    [BindProperty] public string? SchemeCode { get; set; }

    public async Task<IActionResult> OnGetAsync(int id) => await Load(id) ? Page() : NotFound();

    public async Task<IActionResult> OnPostUtilisateurAsync(int id, CancellationToken ct)
    {
        if (!await Load(id)) return NotFound();
        var outcome = await accounts.CreateAsync(Email, FullName, Roles.Fournisseur, id, null, ct);
        if (outcome.User is null) return Fail(outcome.Errors);
        Message = $"Utilisateur {outcome.User.Email} créé : un e-mail l'invite à choisir son mot de passe.";
        await Load(id);
        return Page();
    }

    public async Task<IActionResult> OnPostBasculerAsync(int id, string userId)
    {
        if (!await Load(id)) return NotFound();
        var user = Users.FirstOrDefault(u => u.Id == userId);
        if (user is null) return NotFound();
        user.IsActive = !user.IsActive;
        journal.Add(user.IsActive ? SecurityEventKind.AccountReactivated : SecurityEventKind.AccountDeactivated, JournalAccount.Of(user),
            $"Organisme {Organisation.Name}."); // saved by the update below
        await users.UpdateAsync(user);
        await users.UpdateSecurityStampAsync(user); // ends its open sessions at their next check
        Message = user.IsActive ? $"{user.Email} est réactivé." : $"{user.Email} est désactivé : il ne peut plus se connecter ni utiliser ses jetons d'API.";
        return Page();
    }

    /// <summary>« Réinitialiser la double authentification » of a user of this organisation (phone and recovery codes lost).</summary>
    public async Task<IActionResult> OnPostDoubleFacteurAsync(int id, string? userId, CancellationToken ct)
    {
        if (!await Load(id)) return NotFound();
        var outcome = await accounts.ResetTwoFactorAsync(userId, id, ct);
        if (outcome.User is null) return Fail(outcome.Errors);
        Message = $"{outcome.User.Email} : double authentification réinitialisée. Ses sessions sont fermées ; il pourra l'activer de nouveau depuis « Mon compte ».";
        await Load(id);
        return Page();
    }

    public async Task<IActionResult> OnPostSolutionAsync(int id)
    {
        if (!await Load(id)) return NotFound();
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(SolutionName) || SolutionName.Length > 200) errors.Add("Indiquez le nom de la solution.");
        if (string.IsNullOrWhiteSpace(SolutionVersion) || SolutionVersion.Length > 50) errors.Add("Indiquez la version.");
        if (string.IsNullOrWhiteSpace(ReferencingNumber) || ReferencingNumber.Length > 50) errors.Add("Indiquez le numéro de référencement.");
        else if (await db.Solutions.AnyAsync(s => s.ReferencingNumber == ReferencingNumber.Trim())) errors.Add($"Le numéro de référencement {ReferencingNumber} existe déjà.");
        if (ReferencingDate is null) errors.Add("Indiquez la date de référencement.");
        if (!FundingScheme.IsKnown(SchemeCode)) errors.Add("Choisissez le dispositif.");
        if (errors.Count > 0) return Fail(errors);
        Organisation.Solutions.Add(new Solution
        {
            OrganisationId = id, Name = SolutionName!.Trim(), Version = SolutionVersion!.Trim(),
            ReferencingNumber = ReferencingNumber!.Trim(), ReferencingDate = ReferencingDate!.Value, SchemeCode = SchemeCode!,
        });
        await db.SaveChangesAsync();
        Message = $"Solution {SolutionName} ajoutée.";
        return Page();
    }

    private PageResult Fail(IEnumerable<string> errors)
    {
        Errors.AddRange(errors);
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private async Task<bool> Load(int id)
    {
        var organisation = await db.Organisations.Include(o => o.Solutions).FirstOrDefaultAsync(o => o.Id == id);
        if (organisation is null) return false;
        Organisation = organisation;
        Users = await db.Users.Where(u => u.OrganisationId == id).OrderBy(u => u.Email).ToListAsync();
        return true;
    }
}
