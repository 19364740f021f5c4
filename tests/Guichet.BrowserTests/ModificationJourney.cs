using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

/// <summary>The training deck, step by step, with a screenshot of each step (TestResults/captures).</summary>
public sealed class ModificationJourney(BrowserApp app)
{
    private static readonly byte[] Pdf = Guichet.Demo.DemoPdf.Create("Verification d'aptitude signee");

    private static async Task<IPage> OpenFirstRequestToModify(BrowserApp app, string email, string prefix)
    {
        var page = await app.NewPage();
        await new LoginPage(page).SignIn(email);
        // Etape 2 : la page de suivi ; étape 3 : le bandeau et « Modifier ».
        await Assertions.Expect(page.GetByText("nécessitent des modifications de votre part")).ToBeVisibleAsync();
        await Accessibility.Capture(page, prefix + "-1-bandeau");
        await page.GotoAsync("/demandes?statut=A_MODIFIER&type=SOLDE&tri=numero");
        await page.Locator("table tbody tr").First.GetByRole(AriaRole.Link, new() { Name = "Modifier" }).ClickAsync();
        await Navigation.Reached(page, "**/modifier");
        return page;
    }

    [Fact]
    public async Task The_vendor_walks_the_training_deck_and_confirms()
    {
        var page = await OpenFirstRequestToModify(app, "editeur@agendapro.test", "deck");
        var modify = new ModifyPage(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Récapitulatif et commentaire du gestionnaire" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#commentaire")).ToContainTextAsync("Merci de corriger les coordonnées de contact");
        await Accessibility.Capture(page, "deck-2-modifier");
        await Accessibility.AssertNoViolations(page);

        // Informations de la demande: prefilled from the JSON import; a changed value turns green as one types.
        var original = await modify.Contact.InputValueAsync();
        Assert.StartsWith("https://", original);
        await Assertions.Expect(modify.Contact).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("gx-changed"));
        await modify.Contact.FillAsync("support-sas@agendapro.test");
        await Assertions.Expect(modify.Contact).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("gx-changed"));
        await Assertions.Expect(page.Locator("#contact-support-origine")).ToBeVisibleAsync();
        await Accessibility.Capture(page, "deck-3-contact-vert");
        await modify.Contact.FillAsync(original);
        await Assertions.Expect(modify.Contact).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("gx-changed"));

        // An invalid value: its error beside the field, « Confirmer » refused.
        await modify.Contact.FillAsync("appelez le standard");
        await modify.Confirm();
        await Assertions.Expect(page.Locator("#contact-support-error")).ToContainTextAsync("https://");
        await Assertions.Expect(page.GetByText("« Confirmer » est refusé")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".statut").First).ToHaveTextAsync("A modifier");
        await Accessibility.Capture(page, "deck-4-contact-invalide");
        await Accessibility.AssertNoViolations(page);

        // Pièces justificatives: no bin on the attachments present before; import, delete, import again.
        var before = await modify.Attachments.CountAsync();
        await Assertions.Expect(modify.Bins).ToHaveCountAsync(0);
        await modify.Import("Autre pièce", "mauvaise-piece.pdf", Pdf);
        await Assertions.Expect(modify.Attachments).ToHaveCountAsync(before + 1);
        await Assertions.Expect(modify.Bins).ToHaveCountAsync(1);
        await Accessibility.Capture(page, "deck-5-piece-importee");
        await Accessibility.AssertNoViolations(page);
        await modify.Bins.First.ClickAsync();
        await Assertions.Expect(modify.Attachments).ToHaveCountAsync(before);
        await modify.Import("Vérification d'aptitude (VA) ou mise en ordre de marche (MOM)", "va-signee.pdf", Pdf);
        await Assertions.Expect(modify.Attachments).ToHaveCountAsync(before + 1);
        await Assertions.Expect(page.Locator("#pieces tbody tr", new() { HasText = "va-signee.pdf" }).Locator(".gx-bin")).ToHaveCountAsync(1);
        await Assertions.Expect(modify.Bins).ToHaveCountAsync(1);
        await Accessibility.Capture(page, "deck-6-piece-ajoutee");

        // The draft survives leaving and coming back; then « Confirmer ».
        await modify.Contact.FillAsync("support-sas@agendapro.test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Enregistrer le brouillon" }).ClickAsync();
        var url = page.Url;
        await page.GotoAsync("/demandes");
        await page.GotoAsync(url);
        await Assertions.Expect(modify.Contact).ToHaveValueAsync("support-sas@agendapro.test");
        await Assertions.Expect(modify.Contact).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("gx-changed"));
        await modify.Confirm();
        await Assertions.Expect(page.GetByText("La demande repasse au statut « en cours »")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("h1 .statut")).ToHaveTextAsync("En cours");
        await Assertions.Expect(page.Locator(".gx-timeline li", new() { HasText = "Modification confirmée" })).ToContainTextAsync("support-sas@agendapro.test");
        await Accessibility.Capture(page, "deck-7-confirme-en-cours");
        await Accessibility.AssertNoViolations(page);
        var number = page.Url.Split('/').Last().Split('?')[0];

        // The manager sees the changed value in green beside the previous one, and the added attachment « Nouveau ».
        var manager = await app.NewPage();
        await new LoginPage(manager).SignIn("gestionnaire@asp.test");
        await manager.GotoAsync($"/instruction/{number}");
        await Assertions.Expect(manager.Locator("dd .gx-changed").First).ToHaveTextAsync("support-sas@agendapro.test");
        await Assertions.Expect(manager.GetByText($"valeur précédente : « {original} »")).ToBeVisibleAsync();
        await Assertions.Expect(manager.Locator("tr", new() { HasText = "va-signee.pdf" }).Locator(".gx-new")).ToHaveTextAsync("Nouveau");
        await Accessibility.Capture(manager, "deck-8-gestionnaire-en-vert");
        await Accessibility.AssertNoViolations(manager);
    }

    [Fact]
    public async Task The_vendor_chooses_Ne_pas_modifier_after_a_confirmation()
    {
        var page = await OpenFirstRequestToModify(app, "editeur@regulis.test", "renoncer");
        var modify = new ModifyPage(page);
        await modify.Import("Autre pièce", "brouillon.pdf", Pdf);
        await Assertions.Expect(modify.Bins).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Link, new() { Name = "Ne pas modifier" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Alertdialog, new() { Name = "Ne pas modifier votre demande ?" });
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Accessibility.Capture(page, "renoncer-2-confirmation");
        await Accessibility.AssertNoViolations(page);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Oui, ne pas modifier" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Vous avez choisi de ne pas modifier votre demande")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("h1 .statut")).ToHaveTextAsync("En cours");
        await Assertions.Expect(page.GetByText("brouillon.pdf")).ToHaveCountAsync(0);
        await Accessibility.Capture(page, "renoncer-3-en-cours");
    }
}
