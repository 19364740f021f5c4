using System.Text.RegularExpressions;
using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Guichet.Domain;
using Guichet.Email;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

public sealed class InstructionJourney(BrowserApp app)
{
    private const string Comment = "Le lien vers votre plateforme de support ne répond pas ; merci de joindre la facture signée.";
    private static readonly string ContactItem = EditableField.ItemLabel(EditableField.ContactSupport);
    private static readonly string InvoiceItem = EditableField.ItemLabel(EditableField.DocumentItem(DocumentType.Facture));

    [Fact]
    public async Task A_manager_asks_for_a_modification_and_the_vendor_sees_the_banner_and_gets_the_email()
    {
        // The manager picks an « En cours » Regulis request from the queue.
        var manager = await app.NewPage();
        await new LoginPage(manager).SignIn("gestionnaire@asp.test");
        await manager.GetByRole(AriaRole.Link, new() { Name = "Instruction", Exact = true }).ClickAsync();
        var queue = new QueuePage(manager);
        await Assertions.Expect(manager.GetByRole(AriaRole.Heading, new() { Name = "Instruction des demandes" })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(manager);
        await queue.Filter("Regulis", "En cours");
        await Assertions.Expect(queue.Rows.First).ToBeVisibleAsync();
        var number = await queue.OpenFirst();
        await Accessibility.AssertNoViolations(manager);

        // « Demander une modification » with a comment and two items, behind the confirmation.
        await new InstructionRequestPage(manager).AskForModification(Comment, ContactItem, InvoiceItem);
        await Assertions.Expect(manager.GetByRole(AriaRole.Status).Filter(new() { HasText = "La demande de modification est ouverte" })).ToBeVisibleAsync();
        await Assertions.Expect(manager.Locator("h1 .statut")).ToHaveTextAsync("A modifier");
        await Assertions.Expect(manager.GetByRole(AriaRole.Button, new() { Name = "Annuler la demande de modification" })).ToBeVisibleAsync();
        await Accessibility.Capture(manager, "instruction-modification-demandee");
        await Accessibility.AssertNoViolations(manager);

        // The vendor sees the banner on the tracking page and the round on the request page.
        var vendor = await app.NewPage();
        await new LoginPage(vendor).SignIn("editeur@regulis.test");
        await Assertions.Expect(vendor.GetByText("nécessite").First).ToBeVisibleAsync();
        await vendor.GotoAsync("/demandes/" + number);
        await Assertions.Expect(vendor.GetByRole(AriaRole.Heading, new() { Name = "Votre demande nécessite des modifications" })).ToBeVisibleAsync();
        await Assertions.Expect(vendor.Locator("#modification blockquote")).ToHaveTextAsync(Comment);
        await Assertions.Expect(vendor.Locator("#modification li", new() { HasText = InvoiceItem })).ToBeVisibleAsync();
        var deadline = Regex.Match(await vendor.Locator("#modification").InnerTextAsync(), @"Date limite\s:\s(\d{2}/\d{2}/\d{4})").Groups[1].Value;
        Assert.NotEmpty(deadline);
        await Accessibility.AssertNoViolations(vendor);

        // The e-mail goes out to the pickup directory with the comment, the items and the deadline.
        using (var scope = app.Services.CreateScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<EmailDispatcher>().DispatchDueAsync() >= 1);
        var folder = app.Services.GetRequiredService<EmailSender>().PickupDirectory;
        var emails = await Task.WhenAll(Directory.GetFiles(folder, "*.eml").Select(f => MimeKit.MimeMessage.LoadAsync(f)));
        var email = Assert.Single(emails, m => (m.Subject ?? "").Contains(number));
        Assert.Equal("editeur@regulis.test", email.To.Mailboxes.Single().Address);
        Assert.Contains(deadline, email.Subject);
        foreach (var body in new[] { email.TextBody ?? "", System.Net.WebUtility.HtmlDecode(email.HtmlBody ?? "") })
        {
            Assert.Contains(Comment, body.Replace("&#x27;", "'"));
            Assert.Contains(ContactItem, body.Replace("&#x27;", "'"));
            Assert.Contains(InvoiceItem, body.Replace("&#x27;", "'"));
            Assert.Contains(deadline, body);
        }

        // Support finds it and sees the e-mail as sent.
        var support = await app.NewPage();
        await new LoginPage(support).SignIn("assistance@asp.test");
        await support.GotoAsync("/assistance");
        await support.GetByRole(AriaRole.Textbox, new() { Name = "Rechercher une demande" }).FillAsync(number);
        await support.GetByRole(AriaRole.Button, new() { Name = "Rechercher" }).ClickAsync();
        await Accessibility.AssertNoViolations(support);
        await support.GetByRole(AriaRole.Link, new() { Name = number }).ClickAsync();
        await Assertions.Expect(support.Locator("table", new() { HasText = "Objet" }).GetByText("Envoyé", new() { Exact = true })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(support);
    }
}
