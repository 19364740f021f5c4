using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Accounts;

/// <summary>
/// « Se connecter »: the same words in the same time whether or not the account exists. There is no lockout (anyone could
/// lock a known account, and the message would reveal it): repeated attempts are throttled per address and per source
/// by the rate limiter (Hosting/RateLimits.cs), for known and unknown addresses alike.
/// </summary>
public sealed class LoginModel(SignInManager<GuichetUser> signIn, UserManager<GuichetUser> users, PasswordTiming timing,
    SecurityJournal journal) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    // The same words whether or not the account exists.
    public const string BadCredentials = "Adresse e-mail ou mot de passe incorrect. Après plusieurs échecs, les tentatives sont ralenties pendant quelques minutes.";

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        if (string.IsNullOrWhiteSpace(Email) || string.IsNullOrEmpty(Password))
            return Fail("Saisissez votre adresse e-mail et votre mot de passe.");
        var user = await users.FindByEmailAsync(Email.Trim());
        if (user is not { IsActive: true, PasswordHash: not null })
        {
            // Unknown, inactive or without a password yet: the same hash verification cost as a real wrong password.
            timing.VerifyDummy(Password);
            await journal.RecordAsync(SecurityEventKind.SignInFailed, user is null ? JournalAccount.Typed(Email) : JournalAccount.Of(user), Failure(user));
            return Fail(BadCredentials);
        }
        // Lockout off (throttled instead); with two-factor sign-in on, only Identity's two-factor cookie is issued here.
        var result = await signIn.PasswordSignInAsync(user, Password, isPersistent: false, lockoutOnFailure: false);
        if (result.RequiresTwoFactor)
            return LocalRedirect(LoginCodeModel.PathFor(Url, LoginCodeModel.CodePath, ReturnUrl));
        if (!result.Succeeded)
        {
            await journal.RecordAsync(SecurityEventKind.SignInFailed, JournalAccount.Of(user), "Mot de passe erroné.");
            return Fail(BadCredentials);
        }
        await journal.RecordAsync(SecurityEventKind.SignInSucceeded, JournalAccount.Of(user), actor: JournalAccount.Of(user));
        return LocalRedirect(IsSafeReturn(Url, ReturnUrl) ? ReturnUrl! : "/demandes");
    }

    // For the administrators' journal only: the user sees the same words in every case.
    private static string Failure(GuichetUser? user) =>
        user is null ? "Adresse inconnue." : !user.IsActive ? "Compte désactivé." : "Compte sans mot de passe (lien de création non utilisé).";

    // A local address that can be written in a Location header as it is (no control or non-ASCII character).
    public static bool IsSafeReturn(IUrlHelper url, string? returnUrl) => url.IsLocalUrl(returnUrl) && returnUrl!.All(c => c is > ' ' and < '\u007f');

    private PageResult Fail(string message)
    {
        Error = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}

/// <summary>
/// A fixed hash made once by the application's own <see cref="IPasswordHasher{TUser}"/>, verified when there is no real
/// hash to verify, so that an unknown address costs what a wrong password costs.
/// </summary>
public sealed class PasswordTiming(IPasswordHasher<GuichetUser> hasher)
{
    private static readonly GuichetUser Nobody = new() { Id = "nobody", UserName = "nobody" };
    private static string? _hash; // made once per process (the hasher is scoped, its settings are not)

    public void VerifyDummy(string password) =>
        hasher.VerifyHashedPassword(Nobody, _hash ??= hasher.HashPassword(Nobody, Guid.NewGuid().ToString("N")), password);
}
