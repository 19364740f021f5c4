using System.Text.RegularExpressions;
using Guichet.Accounts;
using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Domain;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

/// <summary>
/// Opérations groupées with the keyboard alone (issue 16): Tab, Shift+Tab, Enter, Space, arrows and typing, never a
/// click. The manager ticks two rows of the queue with Space and rejects them, then validates every result of the
/// filter; the finished summary takes the focus when the page's script reloads it, and the « bilan » and the list of
/// operations are reached by keyboard. The requests belong to a vendor of this journey only.
/// </summary>
public sealed class BulkKeyboardJourney(BrowserApp app)
{
    private const int Total = 200;
    // A client name no other request carries: the queue's search (q=) finds exactly the seeded requests.
    private const string Client = "Cabinet Delaunay";
    private const string Motif = "Le bon de commande ne correspond pas à la solution référencée.";

    [Fact]
    public async Task A_manager_rejects_two_ticked_requests_then_validates_the_whole_filter_with_the_keyboard_alone()
    {
        await SeedAsync();
        var page = await app.NewPage();
        var operation = new BulkOperationPage(page);
        await KeyboardJourney.SignInWithTheKeyboard(page, "gestionnaire@asp.test");

        // « Instruction », the search for the journey's client.
        await Keyboard.TabTo(page, "a « Instruction »");
        await Keyboard.EnterTo(page, "**/instruction");
        await SearchTheClient(page);

        // Two rows ticked with Space (the first two of the list, read from the page).
        var boxes = page.Locator("input[id^='choix-']");
        var first = (await boxes.Nth(0).GetAttributeAsync("value"))!;
        var second = (await boxes.Nth(1).GetAttributeAsync("value"))!;
        foreach (var number in new[] { first, second })
        {
            await Keyboard.TabTo(page, $"« Sélectionner la demande {number} »");
            await page.Keyboard.PressAsync("Space");
            await Assertions.Expect(page.GetByLabel($"Sélectionner la demande {number}", new() { Exact = true })).ToBeCheckedAsync();
        }

        // « Rejeter » typed into the list of actions, the reason typed, « Continuer ».
        await Keyboard.TabTo(page, "select#action-groupee « Action »");
        await page.Keyboard.TypeAsync("Rej");
        await Assertions.Expect(page.Locator("#action-groupee")).ToHaveValueAsync("rejeter");
        await Keyboard.TabTo(page, "« Motif du rejet");
        await page.Keyboard.TypeAsync(Motif);
        await Keyboard.TabTo(page, "input#portee-cochees « Les demandes cochées »");
        await Assertions.Expect(page.Locator("#portee-cochees")).ToBeCheckedAsync();
        await Keyboard.TabTo(page, "button « Continuer »");
        await Keyboard.EnterTo(page, "**/instruction/operations-groupees/nouvelle");

        // The exact count, then « Confirmer ».
        await Assertions.Expect(operation.Sentence).ToHaveTextAsync("Vous allez rejeter 2 demandes.");
        await Assertions.Expect(page.GetByText("Motif du rejet : " + Motif)).ToBeVisibleAsync();
        await Keyboard.TabTo(page, "button « Confirmer »");
        await Keyboard.EnterTo(page, new Regex("/instruction/operations-groupees/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Bilan", Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(operation.Summary).ToHaveTextAsync(new Regex(@"2\s+faites\s+0\s+ignorée"));
        await Keyboard.TabTo(page, "a « Télécharger le bilan (CSV) »");
        Assert.Equal(2, await Db(db => db.Requests.CountAsync(r => r.ClientName.StartsWith(Client) && r.Status == RequestStatus.Rejetee)));

        // Back to the queue by the breadcrumb, the same search, « tous les résultats du filtre » (arrow in the radio group).
        await Keyboard.TabTo(page, "a « Instruction des demandes »", backwards: true);
        await Keyboard.EnterTo(page, "**/instruction");
        await SearchTheClient(page);
        await Keyboard.TabTo(page, "select#action-groupee « Action »");
        await page.Keyboard.TypeAsync("Val");
        await Assertions.Expect(page.Locator("#action-groupee")).ToHaveValueAsync("valider");
        await Keyboard.TabTo(page, "input#portee-cochees");
        await page.Keyboard.PressAsync("ArrowDown");
        // A radio group is one Tab stop: the arrow moves to « Tous les résultats du filtre » and checks it.
        await Assertions.Expect(page.Locator("#portee-filtre")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator("#portee-filtre")).ToBeCheckedAsync();
        await Keyboard.AssertFocusVisible(page);
        await Keyboard.TabTo(page, "button « Continuer »");
        await Keyboard.EnterTo(page, "**/instruction/operations-groupees/nouvelle");
        await Assertions.Expect(operation.Sentence).ToHaveTextAsync($"Vous allez valider {Total} demandes.");

        // The running page: its script's polls are held until the test has seen it running, then let through.
        var held = new TaskCompletionSource();
        await page.RouteAsync("**/instruction/operations-groupees/*/etat", async route =>
        {
            await held.Task;
            await route.ContinueAsync();
        });
        await Keyboard.TabTo(page, "button « Confirmer »");
        await Keyboard.EnterTo(page, new Regex("/instruction/operations-groupees/[0-9a-f-]{36}$"));
        await Assertions.Expect(operation.Operation).ToHaveAttributeAsync("data-termine", "0");
        await Keyboard.TabTo(page, "a « Actualiser »"); // the way without script, in the tab order
        // « Suspendre l'actualisation automatique » (RGAA 13.1): a toggle button, pressed then released from the keyboard.
        await Keyboard.TabTo(page, "button#suspendre-actualisation « Suspendre l'actualisation automatique »");
        var pause = page.Locator("#suspendre-actualisation");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(pause).ToHaveAttributeAsync("aria-pressed", "true");
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(pause).ToHaveAttributeAsync("aria-pressed", "false");
        held.SetResult();

        // The script reloads the finished page: focus lands on its summary, not at the top of the page.
        var summary = page.GetByRole(AriaRole.Heading, new() { Name = "Bilan", Exact = true });
        await Assertions.Expect(summary).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Assertions.Expect(summary).ToBeFocusedAsync();
        await Keyboard.AssertFocusVisible(page);
        await page.UnrouteAsync("**/instruction/operations-groupees/*/etat");
        await Assertions.Expect(operation.Summary).ToHaveTextAsync(new Regex($@"{Total - 2}\s+faites\s+2\s+ignorées"));
        await Accessibility.AssertNoViolations(page);

        // From the summary: the « bilan », then the two skipped requests, each a link, in reading order.
        await Keyboard.TabTo(page, "a « Télécharger le bilan (CSV) »");
        var skipped = await operation.SkippedRows.Locator("td:first-child a").AllTextContentsAsync();
        Assert.Equal(new[] { first, second }.Order(), skipped.Select(s => s.Trim()).Order());
        await Keyboard.TabTo(page, $"a « {skipped[0].Trim()} »");
        await Keyboard.TabTo(page, $"a « {skipped[1].Trim()} »");

        // The list of operations by the breadcrumb; the latest one opened again with Enter.
        await Keyboard.TabTo(page, "a « Opérations groupées »", backwards: true);
        await Keyboard.EnterTo(page, "**/instruction/operations-groupees");
        var latest = page.Locator("table tbody tr").First;
        await Assertions.Expect(latest).ToContainTextAsync("Valider");
        await Assertions.Expect(latest).ToContainTextAsync("Terminée");
        await Accessibility.AssertNoViolations(page);
        var launched = Regex.Replace((await latest.Locator("a").TextContentAsync())!, @"\s+", " ").Trim();
        await Keyboard.TabTo(page, $"a « {launched} »");
        await Keyboard.EnterTo(page, new Regex("/instruction/operations-groupees/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Opération groupée : Valider" })).ToBeVisibleAsync();
        // Opened from the list, the page starts at its top as any other: the skip link is the first stop.
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("a « Aller au contenu »", await Keyboard.Focused(page));

        Assert.Equal(Total - 2, await Db(db => db.Requests.CountAsync(r => r.ClientName.StartsWith(Client) && r.Status == RequestStatus.Validee)));
        Assert.Equal(2, await Db(db => db.Requests.CountAsync(r => r.ClientName.StartsWith(Client) && r.Status == RequestStatus.Rejetee)));
    }

    /// <summary>The queue's search field, the client's name typed, Enter: the seeded requests and only them.</summary>
    private static async Task SearchTheClient(IPage page)
    {
        await Keyboard.TabTo(page, "input#q");
        await page.Keyboard.TypeAsync(Client);
        await Keyboard.EnterTo(page, "**/instruction?*q=*");
        await Assertions.Expect(page.Locator("#resultats")).ToContainTextAsync($"{Total} demandes");
    }

    private async Task<T> Db<T>(Func<GuichetDbContext, Task<T>> read)
    {
        using var scope = app.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<GuichetDbContext>());
    }

    /// <summary>200 advances « en cours » of a vendor of this journey only (with a sign-in account for its e-mails).</summary>
    private Task SeedAsync() => JourneyVendors.SeedAsync(app, "Delaunay Santé", "90000020000007", FundingScheme.SasEffecteur,
        "editeur@delaunay-sante.test", Client, Total, depositedDaysAgo: 15);
}
