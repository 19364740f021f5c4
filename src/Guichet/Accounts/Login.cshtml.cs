using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Accounts;

public sealed class LoginModel(SignInManager<GuichetUser> signIn, UserManager<GuichetUser> users) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    // The same words whether or not the account exists.
    private const string BadCredentials = "Adresse e-mail ou mot de passe incorrect. Après 5 échecs consécutifs, le compte est verrouillé pendant 15 minutes.";

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        if (string.IsNullOrWhiteSpace(Email) || string.IsNullOrEmpty(Password))
            return Fail("Saisissez votre adresse e-mail et votre mot de passe.");
        var user = await users.FindByEmailAsync(Email.Trim());
        if (user is null || !user.IsActive)
            return Fail(BadCredentials);
        var result = await signIn.PasswordSignInAsync(user, Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
            return LocalRedirect(IsSafeReturn(ReturnUrl) ? ReturnUrl! : "/demandes");
        if (result.IsLockedOut)
            return Fail("Votre compte est temporairement verrouillé après 5 tentatives infructueuses. Réessayez dans 15 minutes ou contactez l'assistance.");
        return Fail(BadCredentials);
    }

    // A local address that can be written in a Location header as it is (no control or non-ASCII character).
    private bool IsSafeReturn(string? url) => Url.IsLocalUrl(url) && url!.All(c => c is > ' ' and < '\u007f');

    private PageResult Fail(string message)
    {
        Error = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
