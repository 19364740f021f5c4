using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Accounts;

/// <summary>« Mot de passe oublié »: the same answer whether or not the account exists.</summary>
public sealed class ForgotPasswordModel(AccountAdmin accounts) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    public bool Sent { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await accounts.RequestPasswordResetAsync(Email, ct);
        Sent = true;
        return Page();
    }
}
