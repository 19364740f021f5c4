using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Pages;

/// <summary>The manager's queue: filter by vendor and status, open a request.</summary>
public sealed class QueuePage(IPage page)
{
    public ILocator Rows => page.Locator("table tbody tr");

    public async Task Open() => await page.GotoAsync("/instruction");

    public async Task Filter(string vendor, string status)
    {
        await page.GetByLabel("Fournisseur", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = vendor });
        await page.GetByLabel("Statut", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = status });
        await Navigation.Submitted(page, () => page.GetByRole(AriaRole.Button, new() { Name = "Filtrer" }).ClickAsync());
    }

    /// <summary>Opens the first request of the list and returns its number.</summary>
    public async Task<string> OpenFirst()
    {
        // The first cell holds the bulk-action checkbox: the request's link is the first link of the row.
        var link = Rows.First.GetByRole(AriaRole.Link).First;
        var number = (await link.TextContentAsync())!.Trim();
        await link.ClickAsync();
        await Navigation.Reached(page, "**/instruction/" + number);
        return number;
    }
}

/// <summary>The manager's request page: « Demander une modification » with a comment, items and the confirmation.</summary>
public sealed class InstructionRequestPage(IPage page)
{
    public async Task AskForModification(string comment, params string[] items)
    {
        await page.GetByLabel("Commentaire destiné au fournisseur").FillAsync(comment);
        foreach (var item in items) await page.GetByLabel(item, new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Je confirme : la demande passera au statut « A modifier »").CheckAsync();
        await Navigation.Submitted(page, () => page.GetByRole(AriaRole.Button, new() { Name = "Demander une modification" }).ClickAsync());
    }
}
