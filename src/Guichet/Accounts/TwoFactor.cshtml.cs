using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using QRCoder;

namespace Guichet.Accounts;

/// <summary>
/// « Double authentification »: enrol an authenticator app (key, otpauth URI, QR code made here), recovery codes shown
/// once, new codes, a new key, disabling (refused to the agency when required). Every change asks for the password: a
/// session alone (a stolen cookie, a desk left open) must not change the second factor, and the password still works
/// for someone who lost the phone and signed in with a recovery code. Enabling, disabling and a new key renew the
/// security stamp (Identity), so the user's other sessions end; this one is issued again through SignInManager.
/// </summary>
[Authorize]
public sealed class TwoFactorModel(
    UserManager<GuichetUser> users, SignInManager<GuichetUser> signIn, IUserStore<GuichetUser> store, IOptions<TwoFactorOptions> options,
    SecurityJournal journal) : PageModel
{
    public const int RecoveryCodeCount = 10;

    [BindProperty] public string? Code { get; set; }
    [BindProperty] public string? Password { get; set; }

    public bool Enabled { get; private set; }
    public bool MayDisable { get; private set; }
    public bool RequiredForMe { get; private set; }
    public int CodesLeft { get; private set; }
    public string Key { get; private set; } = "";
    public string GroupedKey { get; private set; } = "";
    public string Uri { get; private set; } = "";
    public string QrCode { get; private set; } = "";
    public IReadOnlyList<string>? RecoveryCodes { get; private set; }
    public string? Message { get; private set; }
    public string? CodeError { get; private set; }
    public string? PasswordError { get; private set; }
    /// <summary>Which form the errors belong to (the page has several, each with its password field).</summary>
    public string? FailedForm { get; private set; }

    public const string WrongPassword = "Mot de passe incorrect.";
    public const string AgencyCannotDisable = "La double authentification est obligatoire pour les comptes de l'Agence : elle ne peut pas être désactivée. Vous pouvez en revanche réinitialiser l'application d'authentification.";

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await CurrentAsync();
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostEnableAsync()
    {
        var user = await CurrentAsync();
        if (user.TwoFactorEnabled) return await FailAsync(user, "enable", null, "La double authentification est déjà activée.");
        var code = TwoFactorGate.Digits(Code);
        string? codeError = code.Length == 6 && code.All(char.IsAsciiDigit)
            ? await users.VerifyTwoFactorTokenAsync(user, TokenOptions.DefaultAuthenticatorProvider, code) ? null
                : "Code incorrect ou expiré. Vérifiez que l'application affiche bien le compte « Guichet » et saisissez le code actuel."
            : "Saisissez les 6 chiffres du code affiché par votre application d'authentification.";
        var passwordError = await PasswordErrorAsync(user);
        if (codeError is not null || passwordError is not null) return await FailAsync(user, "enable", codeError, passwordError);

        journal.Add(SecurityEventKind.TwoFactorEnabled, JournalAccount.Of(user)); // saved with the change
        await users.SetTwoFactorEnabledAsync(user, true);
        RecoveryCodes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount))!.ToList();
        await signIn.SignInWithSecondFactorAsync(user); // proven by the code just typed
        Message = "La double authentification est activée. À chaque connexion, le Guichet vous demandera un code de votre application.";
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostNewCodesAsync()
    {
        var user = await CurrentAsync();
        if (!user.TwoFactorEnabled) return await FailAsync(user, "codes", null, "Activez d'abord la double authentification.");
        if (await PasswordErrorAsync(user) is { } error) return await FailAsync(user, "codes", null, error);
        journal.Add(SecurityEventKind.RecoveryCodesRegenerated, JournalAccount.Of(user)); // saved with the new codes
        RecoveryCodes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount))!.ToList();
        Message = "Nouveaux codes de récupération générés : les anciens ne fonctionnent plus.";
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostResetAsync()
    {
        var user = await CurrentAsync();
        if (await PasswordErrorAsync(user) is { } error) return await FailAsync(user, "reset", null, error);
        journal.Add(SecurityEventKind.TwoFactorDisabled, JournalAccount.Of(user), "Application d'authentification réinitialisée (à confirmer par un code).");
        // A new key is useless until confirmed by a code from it: two-factor sign-in is off until then.
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user);
        await signIn.SignInAsync(user, isPersistent: false);
        Message = "L'application d'authentification a été réinitialisée : l'ancienne clé ne fonctionne plus et vos autres sessions sont fermées. Enregistrez la nouvelle clé ci-dessous puis saisissez un code pour réactiver la double authentification.";
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync()
    {
        var user = await CurrentAsync();
        if (!user.TwoFactorEnabled) return await FailAsync(user, "disable", null, "La double authentification n'est pas activée.");
        if (await IsRequiredForAsync(user)) return await FailAsync(user, "disable", null, AgencyCannotDisable);
        if (await PasswordErrorAsync(user) is { } error) return await FailAsync(user, "disable", null, error);
        journal.Add(SecurityEventKind.TwoFactorDisabled, JournalAccount.Of(user)); // saved with the change
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user); // the old app's codes must not work again if it is enabled later
        await signIn.SignInAsync(user, isPersistent: false);
        Message = "La double authentification est désactivée : le mot de passe suffit à vous connecter. Vos autres sessions sont fermées.";
        await LoadAsync(user);
        return Page();
    }

    private async Task<GuichetUser> CurrentAsync() =>
        await users.GetUserAsync(User) ?? throw new InvalidOperationException("Utilisateur connecté introuvable.");

    private async Task<bool> IsRequiredForAsync(GuichetUser user) =>
        options.Value.RequiredForAgency && (await users.GetRolesAsync(user)).Any(r => r is Roles.Gestionnaire or Roles.Assistance or Roles.Administrateur);

    private async Task<string?> PasswordErrorAsync(GuichetUser user) =>
        string.IsNullOrEmpty(Password) ? "Saisissez votre mot de passe pour confirmer."
        : await users.CheckPasswordAsync(user, Password) ? null : WrongPassword;

    private async Task<PageResult> FailAsync(GuichetUser user, string form, string? codeError, string? passwordError)
    {
        FailedForm = form;
        CodeError = codeError;
        PasswordError = passwordError;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        await LoadAsync(user);
        return Page();
    }

    private async Task LoadAsync(GuichetUser user)
    {
        Enabled = user.TwoFactorEnabled;
        RequiredForMe = await IsRequiredForAsync(user);
        MayDisable = Enabled && !RequiredForMe;
        CodesLeft = Enabled ? await users.CountRecoveryCodesAsync(user) : 0;
        if (Enabled) return;
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            // First visit: a key of its own, written without renewing the security stamp (nothing depends on it yet).
            await ((IUserAuthenticatorKeyStore<GuichetUser>)store).SetAuthenticatorKeyAsync(user, users.GenerateNewAuthenticatorKey(), HttpContext.RequestAborted);
            await users.UpdateAsync(user);
            key = (await users.GetAuthenticatorKeyAsync(user))!;
        }
        Key = key;
        GroupedKey = Group(key);
        Uri = OtpAuthUri(user.Email ?? user.UserName ?? user.Id, key);
        QrCode = "data:image/png;base64," + Convert.ToBase64String(PngQrCode(Uri));
    }

    /// <summary>« ABCD EFGH … », easier to type into an app than 32 characters in a row.</summary>
    public static string Group(string key) =>
        string.Join(' ', Enumerable.Range(0, (key.Length + 3) / 4).Select(i => key.Substring(i * 4, Math.Min(4, key.Length - i * 4))));

    public static string OtpAuthUri(string email, string key) =>
        $"otpauth://totp/Guichet:{System.Uri.EscapeDataString(email)}?secret={key}&issuer=Guichet&digits=6";

    private static byte[] PngQrCode(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new PngByteQRCode(data).GetGraphic(5);
    }
}
