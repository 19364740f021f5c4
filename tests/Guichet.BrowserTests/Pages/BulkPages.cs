using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Pages;

/// <summary>The queue's « Actions groupées » form: an action, its comment and items, « tous les résultats du filtre ».</summary>
public sealed class BulkActionsForm(IPage page)
{
    public ILocator Form => page.Locator("#actions-groupees");
    public ILocator AllResults => page.GetByLabel("Tous les résultats du filtre");

    public async Task Search(string text)
    {
        await page.GotoAsync("/instruction");
        await page.GetByLabel("Rechercher").FillAsync(text);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filtrer" }).ClickAsync();
        // A readiness wait, not a timing: in CI the filtered queue once took more than Playwright's 30 s to load.
        await Navigation.Reached(page, "**/instruction?*q=*", 120_000);
    }

    /// <summary>Chooses the action, writes the comment, ticks the items, takes every result of the filter, « Continuer ».</summary>
    public async Task ContinueOnAllResults(string action, string? comment = null, params string[] items)
    {
        await Form.GetByLabel("Action", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = action });
        if (comment is not null) await Form.GetByLabel("Commentaire destiné au fournisseur").FillAsync(comment);
        foreach (var item in items) await Form.GetByLabel(item, new() { Exact = true }).CheckAsync();
        await AllResults.CheckAsync();
        await Form.GetByRole(AriaRole.Button, new() { Name = "Continuer" }).ClickAsync();
        await Navigation.Reached(page, "**/instruction/operations-groupees/nouvelle");
    }
}

/// <summary>The confirmation page (the exact count) and the operation page (progress bar, summary, CSV « bilan »).</summary>
public sealed class BulkOperationPage(IPage page)
{
    public ILocator Sentence => page.Locator("#phrase");
    public ILocator Progress => page.Locator("#progression");
    public ILocator Status => page.Locator("#statut-operation");
    public ILocator Operation => page.Locator("#operation");
    public ILocator Summary => page.Locator("h2:has-text('Bilan') + ul");
    public ILocator SkippedRows => page.Locator("table tbody tr");

    public async Task Confirm()
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirmer" }).ClickAsync();
        await Navigation.Reached(page, new System.Text.RegularExpressions.Regex("/instruction/operations-groupees/[0-9a-f-]{36}$"));
    }

    /// <summary>Downloads « Télécharger le bilan (CSV) » and returns its lines (without the byte-order mark).</summary>
    public async Task<string[]> DownloadSummary()
    {
        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Télécharger le bilan (CSV)" }).ClickAsync());
        using var reader = new StreamReader(await download.CreateReadStreamAsync(), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return (await reader.ReadToEndAsync()).Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
    }
}
