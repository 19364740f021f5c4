using Microsoft.Playwright;

namespace Guichet.BrowserTests.Pages;

/// <summary>The assignment block and the « Notes internes » of a manager's request page.</summary>
public sealed class DeskPanel(IPage page)
{
    public ILocator AssignedTo => page.Locator("#attribuee-a");

    public async Task TakeIt() => await page.GetByRole(AriaRole.Button, new() { Name = "M'attribuer" }).ClickAsync();

    public async Task AddNote(string text)
    {
        await page.GetByLabel("Ajouter une note interne").FillAsync(text);
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer la note" }).ClickAsync();
    }
}

/// <summary>« Tableau de bord »: its charts and the tables under them.</summary>
public sealed class DashboardPage(IPage page)
{
    public ILocator Charts => page.Locator("svg.gx-chart");

    public ILocator Figure(string key) => page.Locator($"[data-chiffre=\"{key}\"]");
}
