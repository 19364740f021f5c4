using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Pages;

/// <summary>The « Modifier » page, in the words of the training deck.</summary>
public sealed class ModifyPage(IPage page)
{
    public ILocator Contact => page.GetByLabel("Coordonnées de contact ou lien vers la plateforme de support à destination des Régulateurs ou Effecteurs");
    public ILocator Attachments => page.Locator("#pieces tbody tr");
    public ILocator Bins => page.Locator("#pieces .gx-bin");

    public async Task Import(string typeLabel, string name, byte[] content)
    {
        await page.GetByLabel("Type de pièce jointe").SelectOptionAsync(new SelectOptionValue { Label = typeLabel });
        await page.GetByLabel("Fichier", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = name, MimeType = "application/pdf", Buffer = content });
        await Navigation.Submitted(page, () => page.GetByRole(AriaRole.Button, new() { Name = "Importer" }).ClickAsync());
    }

    public Task Confirm() => page.GetByRole(AriaRole.Button, new() { Name = "Confirmer", Exact = true }).ClickAsync();
}
