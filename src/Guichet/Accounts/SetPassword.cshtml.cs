using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Accounts;

/// <summary>The link of the « compte créé » and « mot de passe oublié » e-mails: choose a password with the one-time token.</summary>
public sealed class SetPasswordModel(UserManager<GuichetUser> users, Data.GuichetDbContext db, SecurityJournal journal) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Email { get; set; }
    [BindProperty(SupportsGet = true)] public string? Jeton { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty] public string? Confirmation { get; set; }
    public List<string> Errors { get; } = [];
    public bool Done { get; private set; }

    public IActionResult OnGet() => string.IsNullOrEmpty(Email) || string.IsNullOrEmpty(Jeton) ? NotFound() : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        if (string.IsNullOrEmpty(Password) || Password != Confirmation)
            Errors.Add("Saisissez deux fois le même mot de passe.");
        var user = string.IsNullOrEmpty(Email) ? null : await users.FindByEmailAsync(Email);
        if (Errors.Count == 0)
        {
            // An unknown account gets the same answer as an expired link. The journal row is saved with the password.
            await using var tx = await db.Database.BeginTransactionAsync();
            var result = user is null || !user.IsActive
                ? IdentityResult.Failed(new IdentityError { Description = "Ce lien n'est plus valable : demandez-en un nouveau depuis « Mot de passe oublié »." })
                : await users.ResetPasswordAsync(user, Jeton ?? "", Password!);
            if (result.Succeeded)
            {
                await users.SetLockoutEndDateAsync(user!, null);
                journal.Add(SecurityEventKind.PasswordSet, JournalAccount.Of(user!), "Mot de passe choisi avec le lien reçu par e-mail.");
                await db.SaveChangesAsync();
                await tx.CommitAsync();
                Done = true;
                return Page();
            }
            Errors.AddRange(result.Errors.Select(e => e.Code == "InvalidToken"
                ? "Ce lien n'est plus valable : demandez-en un nouveau depuis « Mot de passe oublié »." : e.Description));
        }
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
