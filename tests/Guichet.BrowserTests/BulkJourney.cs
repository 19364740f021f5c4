using System.Text.Json;
using Guichet.Accounts;
using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Email;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

/// <summary>
/// Opérations groupées in the browser (issue 16): 300 requests of two vendors of its own (the demo vendors' lists stay as
/// the other journeys expect them), one queue filter, « Demander une
/// modification » on all of them with the progress bar driven by its script, then « Valider » on the same filter, every
/// request skipped with the status refusal in the summary and the CSV « bilan ».
/// </summary>
public sealed class BulkJourney(BrowserApp app)
{
    private const int PerVendor = 150;
    private const int Total = 2 * PerVendor;
    // A client name no demo request carries: the queue's search (q=) finds exactly the seeded requests.
    private const string Client = "Centre Vasarely";
    private const string Comment = "Merci de mettre à jour le lien vers votre support : l'adresse actuelle ne répond plus.";
    private const string ContactItem = "Coordonnées de contact ou lien vers la plateforme de support à destination des Régulateurs ou Effecteurs";

    [Fact]
    public async Task A_manager_asks_300_requests_for_a_modification_then_fails_to_validate_them_and_reads_why()
    {
        var numbers = await SeedAsync();
        var page = await app.NewPage();
        await new LoginPage(page).SignIn("gestionnaire@asp.test");
        var form = new BulkActionsForm(page);
        var operation = new BulkOperationPage(page);

        // The filter finds the 300 requests, and only them.
        await form.Search(Client);
        await Assertions.Expect(page.Locator("#resultats")).ToContainTextAsync($"{Total} demandes");
        await Assertions.Expect(form.AllResults).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);
        await Accessibility.Capture(page, "groupee-1-file");

        // « Demander une modification »: the exact count to confirm.
        await form.ContinueOnAllResults("Demander une modification", Comment, ContactItem);
        await Assertions.Expect(operation.Sentence).ToHaveTextAsync("Vous allez demander une modification sur 300 demandes.");
        await Assertions.Expect(page.GetByText("Commentaire : " + Comment)).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);
        await AssertReflowsAt320(page);
        await Accessibility.Capture(page, "groupee-2-confirmation");

        // The operation page: the script's polls are held while axe looks at the running page, then let through.
        var polls = new List<JsonElement>();
        var held = new TaskCompletionSource();
        await page.RouteAsync("**/instruction/operations-groupees/*/etat", async route =>
        {
            await held.Task;
            var response = await route.FetchAsync();
            var state = JsonDocument.Parse(await response.TextAsync()).RootElement.Clone();
            lock (polls) polls.Add(state);
            await route.FulfillAsync(new() { Response = response });
        });
        var loads = 0;
        page.Load += (_, _) => Interlocked.Increment(ref loads);
        await operation.Confirm();
        await Assertions.Expect(operation.Operation).ToHaveAttributeAsync("data-termine", "0");
        var first = int.Parse((await operation.Progress.GetAttributeAsync("value"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(first, 0, Total - 1);
        await Assertions.Expect(operation.Progress).ToHaveTextAsync($"{first} sur 300 traitée{(first > 1 ? "s" : "")}");
        await Accessibility.AssertNoViolations(page);
        await Accessibility.Capture(page, "groupee-3-en-cours");
        var loadsBefore = Volatile.Read(ref loads);
        held.SetResult();

        // The script moves the bar to 300, then reloads the page for its summary: the test never reloads it.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Bilan", Exact = true })).ToBeVisibleAsync(new() { Timeout = 120_000 });
        // The heading shows before the reloaded page's load event (its scripts and styles still arriving): wait for the event.
        for (var waited = 0; Volatile.Read(ref loads) <= loadsBefore && waited < 300; waited++) await Task.Delay(100);
        Assert.True(Volatile.Read(ref loads) > loadsBefore, "La page ne s'est pas rechargée d'elle-même à la fin de l'opération.");
        List<JsonElement> seen;
        lock (polls) seen = [.. polls];
        Assert.NotEmpty(seen);
        var processed = seen.Select(p => p.GetProperty("traitees").GetInt32()).ToList();
        Assert.Equal(processed.Order(), processed); // the bar only moves forward
        Assert.True(processed[^1] == Total && seen[^1].GetProperty("terminee").GetBoolean(), "Le dernier état lu par le script : " + seen[^1]);
        Assert.Equal("300 sur 300 traitées", seen[^1].GetProperty("texte").GetString());
        await Assertions.Expect(operation.Progress).ToHaveAttributeAsync("value", "300");
        await Assertions.Expect(operation.Progress).ToHaveTextAsync("300 sur 300 traitées");
        await Assertions.Expect(operation.Status).ToHaveTextAsync("300 sur 300 traitées — opération terminée.");
        await Assertions.Expect(operation.Summary).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"300\s+faites\s+0\s+ignorée"));
        await page.UnrouteAsync("**/instruction/operations-groupees/*/etat");
        await Accessibility.AssertNoViolations(page);
        await AssertReflowsAt320(page);
        await Accessibility.Capture(page, "groupee-4-terminee");

        // One e-mail per request, to its vendor; the vendor sees « A modifier » and the manager's comment.
        var mails = await Db(db => db.OutboxMessages.Where(m => m.Kind == EmailKind.RoundOpened && m.Request!.ClientName.StartsWith(Client))
            .Select(m => new { m.FundingRequestId, m.Recipients, Vendor = m.Request!.Organisation!.Name }).ToListAsync());
        Assert.Equal(Total, mails.Count);
        Assert.Equal(Total, mails.Select(m => m.FundingRequestId).Distinct().Count());
        foreach (var (name, _, _, email) in Vendors)
        {
            Assert.Equal(PerVendor, mails.Count(m => m.Vendor == name));
            Assert.All(mails.Where(m => m.Vendor == name), m => Assert.Contains(email, m.Recipients));
        }
        var vendor = await app.NewPage();
        await new LoginPage(vendor).SignIn(Vendors[1].Email);
        await vendor.GotoAsync("/demandes/" + numbers[Vendors[1].Name][0]);
        await Assertions.Expect(vendor.Locator("h1 .statut")).ToHaveTextAsync("A modifier");
        await Assertions.Expect(vendor.Locator("#modification")).ToContainTextAsync("Votre demande nécessite des modifications");
        await Assertions.Expect(vendor.Locator("#modification blockquote")).ToHaveTextAsync(Comment);
        await Accessibility.Capture(vendor, "groupee-5-fournisseur");

        // « Valider » on the same filter: 300 listed, all skipped with the status refusal.
        await form.Search(Client);
        await form.ContinueOnAllResults("Valider");
        await Assertions.Expect(operation.Sentence).ToHaveTextAsync("Vous allez valider 300 demandes.");
        await operation.Confirm();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Bilan", Exact = true })).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Assertions.Expect(operation.Summary).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"0\s+faite\s+300\s+ignorées"));
        const string Refused = "Action « Valider » impossible : la demande est au statut « A modifier » ; cette action exige le statut « En cours ».";
        Assert.True(await operation.SkippedRows.CountAsync() > 0);
        foreach (var reason in await operation.SkippedRows.Locator("td:nth-child(2)").AllTextContentsAsync()) Assert.Equal(Refused, reason.Trim());
        await Accessibility.AssertNoViolations(page);
        await AssertReflowsAt320(page);
        await Accessibility.Capture(page, "groupee-6-ignorees");

        var lines = await operation.DownloadSummary();
        Assert.Equal("numero;resultat;motif", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(';')).ToList();
        Assert.Equal(Total, rows.Count);
        Assert.Equal(numbers.Values.SelectMany(n => n).Order(), rows.Select(r => r[0].Trim('"')).Order());
        Assert.All(rows, r => Assert.Equal(("ignorée", Refused), (r[1].Trim('"'), string.Join(';', r[2..]).Trim('"'))));

        // Nothing was validated; the list shows both operations.
        Assert.Equal(Total, await Db(db => db.Requests.CountAsync(r => r.ClientName.StartsWith(Client) && r.Status == RequestStatus.AModifier)));
        await page.GotoAsync("/instruction/operations-groupees");
        await Assertions.Expect(page.Locator("table tbody tr", new() { HasText = "Demander une modification" }).First).ToContainTextAsync("Terminée");
        await Assertions.Expect(page.Locator("table tbody tr", new() { HasText = "Valider" }).First).ToContainTextAsync("Terminée");
        await Accessibility.AssertNoViolations(page);
        await AssertReflowsAt320(page);
        await Accessibility.Capture(page, "groupee-7-liste");
    }

    private async Task<T> Db<T>(Func<GuichetDbContext, Task<T>> read)
    {
        using var scope = app.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<GuichetDbContext>());
    }

    private static async Task AssertReflowsAt320(IPage page)
    {
        await page.SetViewportSizeAsync(320, 640);
        await Reflow.AssertNoHorizontalScroll(page);
        await Accessibility.AssertNoViolations(page);
        await page.SetViewportSizeAsync(1280, 900);
    }

    /// <summary>Two vendors of this journey only, one per scheme, each with a sign-in account.</summary>
    private static readonly (string Name, string Siret, string Scheme, string Email)[] Vendors =
    [
        ("Vasarely Agenda", "90000010000016", FundingScheme.SasEffecteur, "editeur@vasarely-agenda.test"),
        ("Vasarely Régulation", "90000011000016", FundingScheme.SasRegulateur, "editeur@vasarely-regulation.test"),
    ];

    /// <summary>150 advances « en cours » for each of the journey's vendors, deposited through the domain as the HTTP tests do.</summary>
    private async Task<Dictionary<string, List<string>>> SeedAsync()
    {
        var seeded = new Dictionary<string, List<string>>();
        foreach (var (name, siret, scheme, email) in Vendors)
            seeded[name] = await JourneyVendors.SeedAsync(app, name, siret, scheme, email, Client, PerVendor, depositedDaysAgo: 20);
        return seeded;
    }
}
