using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Pages;

/// <summary>Page objects: what a user does on each page, in the words of the page.</summary>
public sealed class LoginPage(IPage page)
{
    public async Task SignIn(string email, string password = "Guichet-Demo-2026!")
    {
        await page.GotoAsync("/connexion");
        await page.GetByLabel("Adresse e-mail").FillAsync(email);
        await page.GetByLabel("Mot de passe").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter" }).Last.ClickAsync();
        try
        {
            await Navigation.Reached(page, "**/demandes");
        }
        catch (TimeoutException e)
        {
            // Where the sign-in stopped (a message on the form, another page), not only that the wait ran out.
            var messages = await page.Locator("[role=alert], [class*=error]").AllInnerTextsAsync();
            throw new TimeoutException($"Connexion de {email} : arrêtée sur {page.Url} ({string.Join(" / ", messages)}).", e);
        }
    }
}

public sealed class TrackingPage(IPage page)
{
    public ILocator Banner => page.GetByRole(AriaRole.Region, new() { Name = "nécessite" });
    public ILocator Rows => page.Locator("table tbody tr");

    public async Task FilterByStatus(string label)
    {
        await page.GetByLabel("Statut", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = label });
        await Navigation.Submitted(page, () => page.GetByRole(AriaRole.Button, new() { Name = "Filtrer" }).ClickAsync());
    }

    public Task<string?> CountOf(string label) =>
        page.Locator(".gx-counts a", new() { HasText = label }).Locator(".gx-count").TextContentAsync();
}

/// <summary>« Journal de sécurité » (administrators).</summary>
public sealed class SecurityJournalPage(IPage page)
{
    public ILocator Rows => page.Locator("table tbody tr");

    public async Task Filter(string eventLabel, string addressOrIp)
    {
        await page.GetByLabel("Événement").SelectOptionAsync(new SelectOptionValue { Label = eventLabel });
        await page.GetByLabel("Adresse e-mail ou adresse IP").FillAsync(addressOrIp);
        await Navigation.Submitted(page, () => page.GetByRole(AriaRole.Button, new() { Name = "Filtrer" }).ClickAsync());
    }
}
