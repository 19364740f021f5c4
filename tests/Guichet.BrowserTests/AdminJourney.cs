using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

public sealed class AdminJourney(BrowserApp app)
{
    [Fact]
    public async Task The_administration_pages_are_accessible()
    {
        var page = await app.NewPage();
        await page.GotoAsync("/compte/mot-de-passe-oublie");
        await Accessibility.AssertNoViolations(page);
        await new LoginPage(page).SignIn("admin@asp.test");
        await page.GetByRole(AriaRole.Link, new() { Name = "Administration" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Organismes fournisseurs" })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "AgendaPro" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "editeur@agendapro.test", Exact = true })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);
        foreach (var url in new[] { "/admin/agence", "/admin/dispositifs" })
        {
            await page.GotoAsync(url);
            await Accessibility.AssertNoViolations(page);
        }
        await Accessibility.Capture(page, "admin-dispositifs");
    }

    [Fact]
    public async Task An_administrator_finds_their_own_sign_in_in_the_security_journal()
    {
        var page = await app.NewPage();
        await new LoginPage(page).SignIn("admin@asp.test");
        await page.GetByRole(AriaRole.Link, new() { Name = "Administration" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Journal de sécurité" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Journal de sécurité", Level = 1 })).ToBeVisibleAsync();
        var journal = new SecurityJournalPage(page);
        await journal.Filter("Connexion réussie", "admin@asp.test");
        await Assertions.Expect(journal.Rows.First).ToContainTextAsync("Connexion réussie");
        await Assertions.Expect(journal.Rows.First).ToContainTextAsync("admin@asp.test");
        await Accessibility.AssertNoViolations(page);
    }
}
