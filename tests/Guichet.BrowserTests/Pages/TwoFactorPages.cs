using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Pages;

/// <summary>« Double authentification »: what a user reads and types to enrol an authenticator app.</summary>
public sealed class TwoFactorPage(IPage page)
{
    public Task Open() => page.GotoAsync("/compte/double-authentification");

    /// <summary>The key as the page shows it, grouped by 4 characters.</summary>
    public async Task<string> Key() => (await page.Locator("#cle").TextContentAsync())!.Trim();

    /// <summary>Types the code of the app and the password, then « Activer »; returns the recovery codes shown once.</summary>
    public async Task<IReadOnlyList<string>> Enable(string code, string password)
    {
        await page.GetByLabel("Code à 6 chiffres").FillAsync(code);
        await page.GetByLabel("Mot de passe").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Activer la double authentification" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Vos codes de récupération" })).ToBeVisibleAsync();
        return await page.Locator("#codes-recuperation li code").AllTextContentsAsync();
    }
}

/// <summary>« Se connecter » in two steps: the password, then a code from the app or a recovery code.</summary>
public sealed class TwoStepLoginPage(IPage page)
{
    public async Task Password(string email, string password)
    {
        await page.GotoAsync("/connexion");
        await page.GetByLabel("Adresse e-mail").FillAsync(email);
        await page.GetByLabel("Mot de passe").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).Last.ClickAsync();
        await Navigation.Reached(page, "**/connexion/code");
    }

    public async Task Code(string code)
    {
        await page.GetByLabel("Code de vérification").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Vérifier" }).ClickAsync();
        await Navigation.Reached(page, "**/demandes");
    }

    public async Task UseRecoveryCode()
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Utiliser un code de récupération" }).ClickAsync();
        await Navigation.Reached(page, "**/connexion/recuperation");
    }

    public async Task RecoveryCode(string code)
    {
        await page.GetByLabel("Code de récupération").FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Vérifier" }).ClickAsync();
        await Navigation.Reached(page, "**/demandes");
    }

    public async Task SignOut()
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Se déconnecter" }).ClickAsync();
        // The sign-out lands on the home page. Waiting for « not /demandes » matched at once when signing out from the
        // enrolment page, before the sign-out's navigation had ended (CI run 36 hung there).
        await Navigation.Reached(page, url => new Uri(url).AbsolutePath == "/");
    }
}
