using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

/// <summary>The accessibility declaration, and what a screen-reader user meets after a refused form.</summary>
public sealed class AccessibilityJourney(BrowserApp app)
{
    [Fact]
    public async Task A_visitor_follows_the_footer_to_the_declaration_and_reads_the_status_the_audit_supports()
    {
        var audit = Guichet.Pages.AccessibilityAudit.Current;
        var page = await app.NewPage();
        await page.GotoAsync("/");

        await page.GetByRole(AriaRole.Contentinfo).GetByRole(AriaRole.Link, new() { Name = "Accessibilité : " + audit.Status }).ClickAsync();

        await Assertions.Expect(page).ToHaveTitleAsync("Déclaration d'accessibilité — Guichet Ségur numérique");
        await Assertions.Expect(page.Locator("#statut-conformite")).ToHaveTextAsync(audit.Status);
        await Assertions.Expect(page.Locator("#taux-conformite")).ToHaveTextAsync(audit.RateText);
        await Assertions.Expect(page.Locator("#non-conformites > li")).ToHaveCountAsync(audit.NotConform);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Voies de recours" })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);
        await Accessibility.Capture(page, "declaration-accessibilite");

        await page.GetByRole(AriaRole.Contentinfo).GetByRole(AriaRole.Link, new() { Name = "Plan du site" }).ClickAsync();
        await Assertions.Expect(page).ToHaveTitleAsync("Plan du site — Guichet Ségur numérique");
        await Assertions.Expect(page.Locator("#plan-du-site").GetByRole(AriaRole.Link, new() { Name = "Déclaration d'accessibilité" })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);
    }

    [Fact]
    public async Task After_a_refused_sign_in_the_focus_is_on_the_error_summary_whose_link_leads_to_the_field()
    {
        var page = await app.NewPage();
        await page.GotoAsync("/connexion");
        await page.GetByLabel("Adresse e-mail").FillAsync("editeur@agendapro.test");
        await page.GetByLabel("Mot de passe").FillAsync("pas-le-bon-mot-de-passe");
        await page.GetByLabel("Mot de passe").PressAsync("Enter");

        var summary = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Le formulaire contient 1 erreur" });
        await Assertions.Expect(summary).ToBeFocusedAsync();
        await Assertions.Expect(page).ToHaveTitleAsync("Erreur – Se connecter — Guichet Ségur numérique");
        await Assertions.Expect(page.GetByLabel("Adresse e-mail")).ToHaveAttributeAsync("aria-invalid", "true");
        await Accessibility.AssertNoViolations(page);

        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(summary.GetByRole(AriaRole.Link)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByLabel("Adresse e-mail")).ToBeFocusedAsync();
    }
}
