using System.Text.RegularExpressions;
using Guichet.BrowserTests.Support;
using Guichet.Domain;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

/// <summary>
/// The deck's journeys with the keyboard alone (Tab, Shift+Tab, Enter, Space, typing; never a click): the vendor's
/// « Modifier » → « Confirmer » and « Ne pas modifier », the manager's validation. The skip link is the first stop and focus is always visible.
/// </summary>
public sealed class KeyboardJourney(BrowserApp app)
{
    private static readonly byte[] Pdf = Guichet.Demo.DemoPdf.Create("Attestation clavier");

    /// <summary>Signs in from the sign-in page, starting with the skip link, then lands on the tracking page.</summary>
    internal static async Task SignInWithTheKeyboard(IPage page, string email)
    {
        await page.GotoAsync("/connexion");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("a « Aller au contenu »", await Keyboard.Focused(page));
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Aller au contenu" })).ToBeVisibleAsync();
        await Keyboard.AssertFocusVisible(page);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("main#contenu")).ToBeFocusedAsync();
        await Keyboard.TabTo(page, "« Adresse e-mail »");
        await page.Keyboard.TypeAsync(email);
        await Keyboard.TabTo(page, "« Mot de passe »");
        await page.Keyboard.TypeAsync("Guichet-Demo-2026!");
        await Keyboard.EnterTo(page, new Regex("/demandes(#contenu)?$")); // the skip link's fragment follows the redirect
    }

    [Fact]
    public async Task The_vendor_modifies_a_request_and_confirms_with_the_keyboard_alone()
    {
        var number = await DemoRequests.FirstNumber(app, RequestStatus.AModifier, RequestType.Avance);
        var page = await app.NewPage();
        await SignInWithTheKeyboard(page, "editeur@agendapro.test");

        // The banner's link to the requests « A modifier », then the request, then « Modifier ».
        await Keyboard.TabTo(page, "Afficher les demandes « A modifier »");
        await Keyboard.EnterTo(page, "**/demandes?*statut=A_MODIFIER*");
        // Other journeys may have sent many of this vendor's requests back « A modifier »: search for this one.
        await Keyboard.TabTo(page, "input#q");
        await page.Keyboard.TypeAsync(number);
        await Keyboard.EnterTo(page, $"**/demandes?*q={number}*");
        await Keyboard.TabTo(page, $"a « {number} »");
        await Keyboard.EnterTo(page, "**/demandes/" + number);
        await Keyboard.TabTo(page, "a « Modifier »");
        await Keyboard.EnterTo(page, $"**/demandes/{number}/modifier");

        // A document: its type typed into the list, the file chooser opened with Enter, « Importer » with Enter.
        await Keyboard.TabTo(page, "« Type de pièce jointe »");
        await page.Keyboard.TypeAsync("Autre");
        await Assertions.Expect(page.GetByLabel("Type de pièce jointe")).ToHaveValueAsync(DocumentType.Autre.Code());
        await Keyboard.TabTo(page, "« Fichier »");
        await (await Keyboard.OpenFileChooser(page)).SetFilesAsync(new FilePayload { Name = "attestation-clavier.pdf", MimeType = "application/pdf", Buffer = Pdf });
        await Keyboard.TabTo(page, "« Importer »");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#pieces tbody tr", new() { HasText = "attestation-clavier.pdf" })).ToHaveCountAsync(1);

        // The contact field, then « Confirmer ».
        await Keyboard.TabTo(page, "« Coordonnées de contact");
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.TypeAsync("support-clavier@agendapro.test");
        await Assertions.Expect(page.Locator("#contact-support")).ToHaveClassAsync(new Regex("gx-changed"));
        await Keyboard.TabTo(page, "button#confirmer « Confirmer »");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByText("La demande repasse au statut « en cours »")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("h1 .statut")).ToHaveTextAsync("En cours");
        var confirmed = page.Locator(".gx-timeline li", new() { HasText = "Modification confirmée" });
        await Assertions.Expect(confirmed).ToContainTextAsync("support-clavier@agendapro.test");
        await Assertions.Expect(confirmed).ToContainTextAsync("attestation-clavier.pdf");
    }

    [Fact]
    public async Task The_manager_validates_a_request_with_the_keyboard_alone()
    {
        var number = await DemoRequests.FirstNumber(app, RequestStatus.EnCours, RequestType.Avance);
        var page = await app.NewPage();
        await SignInWithTheKeyboard(page, "gestionnaire@asp.test");

        // The menu's « Instruction », the queue's search, the request.
        await Keyboard.TabTo(page, "a « Instruction »");
        await Keyboard.EnterTo(page, "**/instruction");
        await Keyboard.TabTo(page, "input#q");
        await page.Keyboard.TypeAsync(number);
        await Keyboard.EnterTo(page, "**/instruction?*q=*");
        await Keyboard.TabTo(page, $"a « {number} »");
        await Keyboard.EnterTo(page, "**/instruction/" + number);

        // « Valider »: the confirmation box with Space, then the button; a confirmation on the page, no modal to trap.
        await Keyboard.TabTo(page, "« Je confirme la validation");
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.GetByLabel($"Je confirme la validation de la demande {number}.")).ToBeCheckedAsync();
        await Keyboard.TabTo(page, "button « Valider »");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("h1 .statut")).ToHaveTextAsync("Validée");
    }

    [Fact]
    public async Task The_vendor_chooses_Ne_pas_modifier_and_its_question_takes_the_focus()
    {
        var number = await DemoRequests.FirstNumber(app, RequestStatus.AModifier, RequestType.Avance, "Regulis");
        var page = await app.NewPage();
        await SignInWithTheKeyboard(page, "editeur@regulis.test");
        await page.GotoAsync($"/demandes/{number}/modifier");

        // The question is part of the page, not a modal: focus goes to its first button, nothing to trap.
        await Keyboard.TabTo(page, "a « Ne pas modifier »");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Alertdialog, new() { Name = "Ne pas modifier votre demande ?" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Oui, ne pas modifier" })).ToBeFocusedAsync();
        await Keyboard.AssertFocusVisible(page);
        await Keyboard.TabTo(page, "a « Non, revenir à la modification »");
        await Keyboard.TabTo(page, "button « Oui, ne pas modifier »", backwards: true);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByText("Vous avez choisi de ne pas modifier votre demande")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("h1 .statut")).ToHaveTextAsync("En cours");
    }
}
