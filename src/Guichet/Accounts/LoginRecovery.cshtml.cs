using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Accounts;

/// <summary>
/// Second step of « Se connecter » without the authenticator app: one of the recovery codes shown at enrolment, each good
/// once. Throttled per user with the code step (RateLimits:TwoFactorPerUser).
/// </summary>
public sealed class LoginRecoveryModel(SignInManager<GuichetUser> signIn, UserManager<GuichetUser> users, SecurityJournal journal) : PageModel
{
    [BindProperty] public string? Code { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    public const string WrongCode = "Code de récupération incorrect ou déjà utilisé. Chaque code ne sert qu'une fois.";

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? LocalRedirect(LoginCodeModel.PathFor(Url, "/connexion", ReturnUrl)) : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is not { IsActive: true }) return Fail(LoginCodeModel.Expired);
        var code = Normalise(Code);
        if (code.Length == 0) return Fail("Saisissez l'un de vos codes de récupération, par exemple ABCDE-12345.");
        // Identity removes the code it accepts, in the same update: a second use is refused.
        if (!(await users.RedeemTwoFactorRecoveryCodeAsync(user, code)).Succeeded)
        {
            await journal.RecordAsync(SecurityEventKind.TwoFactorCodeFailed, JournalAccount.Of(user), "Code de récupération incorrect ou déjà utilisé.");
            return Fail(WrongCode);
        }
        await signIn.SignInWithSecondFactorAsync(user);
        await journal.RecordAsync(SecurityEventKind.RecoveryCodeUsed, JournalAccount.Of(user),
            $"{await users.CountRecoveryCodesAsync(user)} code(s) restant(s).", JournalAccount.Of(user));
        return LocalRedirect(LoginModel.IsSafeReturn(Url, ReturnUrl) ? ReturnUrl! : "/demandes");
    }

    /// <summary>Codes are stored as « XXXXX-XXXXX » in capitals: spaces dropped, case ignored, the dash optional.</summary>
    public static string Normalise(string? code)
    {
        var c = TwoFactorGate.Digits(code).ToUpperInvariant();
        return c.Length == 10 && !c.Contains('-') ? c[..5] + "-" + c[5..] : c;
    }

    private PageResult Fail(string message)
    {
        Error = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
