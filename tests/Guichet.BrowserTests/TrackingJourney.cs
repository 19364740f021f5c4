using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

public sealed class TrackingJourney(BrowserApp app)
{
    [Fact]
    public async Task The_demo_vendor_sees_the_banner_filters_to_A_modifier_and_opens_a_request_with_its_history()
    {
        var page = await app.NewPage();
        await page.GotoAsync("/");
        await Accessibility.AssertNoViolations(page);
        await page.GotoAsync("/connexion");
        await Accessibility.AssertNoViolations(page);

        await new LoginPage(page).SignIn("editeur@agendapro.test");
        var tracking = new TrackingPage(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Suivi des demandes de financement" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("nécessitent des modifications de votre part")).ToBeVisibleAsync();
        var toModify = int.Parse((await tracking.CountOf("A modifier"))!);
        // The demo gives AgendaPro four requests « A modifier »; other journeys of this run may have confirmed some of them.
        Assert.True(toModify >= 1, $"Le bandeau compte {toModify} demande(s) « A modifier ».");
        await Accessibility.Capture(page, "suivi-bandeau");
        await Accessibility.AssertNoViolations(page);

        await tracking.FilterByStatus("A modifier");
        Assert.Contains("statut=A_MODIFIER", page.Url);
        await Assertions.Expect(tracking.Rows).ToHaveCountAsync(toModify);
        await Assertions.Expect(tracking.Rows.Locator(".statut", new() { HasText = "A modifier" })).ToHaveCountAsync(toModify);
        await Assertions.Expect(tracking.Rows.GetByRole(AriaRole.Link, new() { Name = "Modifier" })).ToHaveCountAsync(toModify);
        await Accessibility.Capture(page, "suivi-a-modifier");

        await tracking.Rows.First.Locator("td").First.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Votre demande nécessite des modifications" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Date limite")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Historique" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".gx-timeline li", new() { HasText = "Demande de modification" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Consulter" }).First).ToBeVisibleAsync();
        await Accessibility.Capture(page, "demande-historique");
        await Accessibility.AssertNoViolations(page);
    }

    [Fact]
    public async Task Pages_are_accessible_and_usable_with_the_keyboard()
    {
        var page = await app.NewPage();
        await new LoginPage(page).SignIn("gestionnaire@asp.test");
        await page.GotoAsync("/compte/jetons");
        await Accessibility.AssertNoViolations(page);

        // The skip link is the first stop of the keyboard and leads to the content.
        await page.Keyboard.PressAsync("Tab");
        var focused = await page.EvaluateAsync<string>("document.activeElement.textContent");
        Assert.Equal("Aller au contenu", focused.Trim());

        // Create a token with the keyboard only.
        await page.GetByLabel("Nom du jeton").FocusAsync();
        await page.Keyboard.TypeAsync("Clé de test");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#nouveau-jeton")).ToContainTextAsync("gui_");
        await Accessibility.AssertNoViolations(page);

        await page.GotoAsync("/demandes?taille=100");
        await Accessibility.AssertNoViolations(page);
        await page.GotoAsync("/page-inexistante");
        await Accessibility.AssertNoViolations(page);
    }
}
