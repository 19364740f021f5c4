using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

public sealed class DepositJourney(BrowserApp app)
{
    private static readonly byte[] Pdf = Guichet.Demo.DemoPdf.Create("Bon de commande de test");

    private static byte[] Zip(string name, byte[] content)
    {
        using var ms = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(ms, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        using (var s = zip.CreateEntry(name).Open()) s.Write(content);
        return ms.ToArray();
    }

    [Fact]
    public async Task The_demo_vendor_deposits_the_published_example_and_finds_it_on_the_tracking_page()
    {
        var page = await app.NewPage();
        await new Pages.LoginPage(page).SignIn("editeur@agendapro.test");
        await page.GetByRole(AriaRole.Link, new() { Name = "Déposer des demandes" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Déposer des demandes" })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);

        var example = await (await page.APIRequest.GetAsync("/format/exemple.json")).BodyAsync();
        await page.GetByLabel("Fichier JSON des demandes").SetInputFilesAsync(new FilePayload { Name = "exemple.json", MimeType = "application/json", Buffer = example });
        await page.GetByLabel("Archive ZIP des pièces justificatives (facultative)").SetInputFilesAsync(
            new FilePayload { Name = "pieces.zip", MimeType = "application/zip", Buffer = Zip("bc-2026-001.pdf", Pdf) });
        await Accessibility.Capture(page, "depot-formulaire");
        await page.GetByRole(AriaRole.Button, new() { Name = "Déposer", Exact = true }).ClickAsync();

        await Navigation.Reached(page, "**/depots/*");
        await Assertions.Expect(page.GetByText("1 demande enregistrée")).ToBeVisibleAsync();
        var number = await page.Locator("table tbody tr td a").First.TextContentAsync();
        Assert.Matches(@"^SAS-A-\d{4}-\d{6}$", number);
        await Accessibility.Capture(page, "depot-resultat");
        await Accessibility.AssertNoViolations(page);

        await page.GotoAsync("/demandes?q=AGP-2026-0001");
        await Assertions.Expect(page.Locator("table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("table tbody tr")).ToContainTextAsync(number!);
        await Assertions.Expect(page.Locator("table tbody tr .statut")).ToHaveTextAsync("En cours");
    }

    [Fact]
    public async Task The_simulator_shows_every_error_of_a_broken_file()
    {
        var page = await app.NewPage();
        await new Pages.LoginPage(page).SignIn("editeur@agendapro.test");
        await page.GotoAsync("/simulateur");
        await Accessibility.AssertNoViolations(page);
        var broken = """
            { "versionFormat": "1.0", "fournisseur": { "siret": "90000001900019" },
              "demandes": [ { "referenceFournisseur": "CASSE-1", "type": "AVANCE", "dispositif": "SAS_EFFECTEUR",
                "solution": { "numeroReferencement": "SAS-EFF-2025-0001" },
                "client": { "typeIdentifiant": "RPPS", "identifiant": "123", "nom": "Dr Test" },
                "bonDeCommande": { "numero": "BC-1", "date": "2026-10-01" }, "montantDemande": 299.99,
                "informations": { "contactSupport": "appelez-nous" } } ] }
            """;
        await page.GetByLabel("Fichier JSON des demandes").SetInputFilesAsync(new FilePayload { Name = "casse.json", MimeType = "application/json", Buffer = System.Text.Encoding.UTF8.GetBytes(broken) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Simuler le dépôt" }).ClickAsync();
        var errors = page.Locator("#erreurs tbody tr");
        // Shape errors and business-rule errors of the same request are listed together.
        await Assertions.Expect(errors).ToHaveCountAsync(3);
        await Assertions.Expect(errors.Nth(0)).ToContainTextAsync("$.demandes[0].client.identifiant");
        await Assertions.Expect(errors.Nth(0)).ToContainTextAsync("CASSE-1");
        await Assertions.Expect(errors.Nth(1)).ToContainTextAsync("contactSupport");
        await Assertions.Expect(errors.Nth(2)).ToContainTextAsync("300,00");
        await Accessibility.Capture(page, "simulateur-erreurs");
        await Accessibility.AssertNoViolations(page);
    }

    [Fact]
    public async Task An_incomplete_request_is_completed_from_the_incomplete_requests_page()
    {
        var page = await app.NewPage();
        await new Pages.LoginPage(page).SignIn("editeur@regulis.test");
        await page.GotoAsync("/demandes/incompletes");
        await Accessibility.AssertNoViolations(page);
        var row = page.Locator("table tbody tr").First;
        var number = await row.Locator("td").First.TextContentAsync();
        var missing = await row.Locator("td ul li").AllTextContentsAsync();
        Assert.Single(missing);
        await row.GetByRole(AriaRole.Link, new() { Name = "Compléter" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Compléter la demande {number}" })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);
        await page.GetByLabel("Fichier").SetInputFilesAsync(new FilePayload { Name = "piece.pdf", MimeType = "application/pdf", Buffer = Pdf });
        await page.GetByRole(AriaRole.Button, new() { Name = "Importer" }).ClickAsync();
        await Assertions.Expect(page.GetByText("la demande est complète et passe au statut « en cours »")).ToBeVisibleAsync();
        await page.GotoAsync($"/demandes/{number}");
        await Assertions.Expect(page.Locator("h1 .statut")).ToHaveTextAsync("En cours");
        await Assertions.Expect(page.Locator(".gx-timeline li", new() { HasText = "Demande complétée" })).ToHaveCountAsync(1);
    }
}
