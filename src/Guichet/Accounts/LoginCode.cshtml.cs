using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Accounts;

/// <summary>
/// Second step of « Se connecter » for a user with two-factor sign-in: the 6-digit code of the authenticator app. Only
/// Identity's two-factor cookie (who, for 5 minutes) is held until then; a valid code issues the session cookie. Guesses are
/// throttled per user (RateLimits:TwoFactorPerUser); there is no lockout, as for the password.
/// </summary>
public sealed class LoginCodeModel(SignInManager<GuichetUser> signIn, UserManager<GuichetUser> users, SecurityJournal journal) : PageModel
{
    public const string CodePath = "/connexion/code";
    public const string RecoveryPath = "/connexion/recuperation";

    [BindProperty] public string? Code { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    public const string WrongCode = "Code de vérification incorrect ou expiré. Saisissez le code affiché en ce moment par votre application d'authentification.";
    public const string Expired = "Votre connexion a expiré. Saisissez à nouveau votre adresse e-mail et votre mot de passe.";

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? LocalRedirect(PathFor(Url, "/connexion", ReturnUrl)) : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is not { IsActive: true }) return Fail(Expired);
        var code = TwoFactorGate.Digits(Code);
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
            return Fail("Saisissez les 6 chiffres du code affiché par votre application d'authentification.");
        if (!await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, code))
        {
            await journal.RecordAsync(SecurityEventKind.TwoFactorCodeFailed, JournalAccount.Of(user), "Code de l'application incorrect.");
            return Fail(WrongCode);
        }
        await signIn.SignInWithSecondFactorAsync(user);
        await journal.RecordAsync(SecurityEventKind.SignInSucceeded, JournalAccount.Of(user), "Avec le code de l'application.", JournalAccount.Of(user));
        return LocalRedirect(LoginModel.IsSafeReturn(Url, ReturnUrl) ? ReturnUrl! : "/demandes");
    }

    /// <summary><paramref name="path"/> carrying the return address on, when it is a safe local one.</summary>
    public static string PathFor(IUrlHelper url, string path, string? returnUrl) =>
        LoginModel.IsSafeReturn(url, returnUrl) ? $"{path}?ReturnUrl={Uri.EscapeDataString(returnUrl!)}" : path;

    private PageResult Fail(string message)
    {
        Error = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
