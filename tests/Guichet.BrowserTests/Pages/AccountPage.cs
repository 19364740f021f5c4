using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Pages;

/// <summary>« Mon compte » : identity, « Appareils connectés », sign-out of every device.</summary>
public sealed class AccountPage(IPage page)
{
    public ILocator Devices => page.GetByRole(AriaRole.Table, new() { Name = "Appareils connectés à votre compte" }).Locator("tbody tr");
    public ILocator ThisDevice => Devices.Filter(new() { HasText = "Cet appareil" });

    /// <summary>Through the « Mon compte » link of the header, as a user would find it.</summary>
    public async Task Open()
    {
        await page.GetByRole(AriaRole.Link, new() { Name = "Mon compte" }).ClickAsync();
        await Navigation.Reached(page, "**/compte");
    }

    public async Task SignOutEverywhere()
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Se déconnecter de tous les appareils" }).ClickAsync();
        await Navigation.Reached(page, "**/connexion");
    }
}
