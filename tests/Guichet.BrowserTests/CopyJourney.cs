using System.Text.Json;
using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

/// <summary>
/// On a phone-wide screen (360 px), no line of the « Modifier » page, the tracking page or an e-mail starts with « : », « ; »,
/// « ! », « ? » or « » »: each shares its line with the word before it (issue 19). Screenshots in TestResults/captures.
/// </summary>
public sealed class CopyJourney(BrowserApp app)
{
    /// <summary>
    /// For each « : ; ! ? » » of the visible text, whether its line box is the one of the last non-space character before it
    /// in the same block. Returns how many were checked and the ones that start a line.
    /// </summary>
    private const string LineStarts = """
        () => {
          const skip = el => el.closest('script, style, [hidden], .visually-hidden, .visually-hidden-focusable, [aria-hidden="true"]');
          const block = el => { while (el && getComputedStyle(el).display.startsWith('inline')) el = el.parentElement; return el; };
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const chars = [];
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            if (!n.parentElement || skip(n.parentElement)) continue;
            for (let i = 0; i < n.data.length; i++) chars.push({ node: n, i, c: n.data[i] });
          }
          const rect = ({ node, i }) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1); return r.getClientRects()[0]; };
          let checked = 0; const starts = [];
          for (let k = 0; k < chars.length; k++) {
            if (!':;!?»'.includes(chars[k].c)) continue;
            let j = k - 1;
            while (j >= 0 && /\s/.test(chars[j].c)) j--;
            if (j < 0 || block(chars[j].node.parentElement) !== block(chars[k].node.parentElement)) continue;
            const a = rect(chars[j]), b = rect(chars[k]);
            if (!a || !b || b.width === 0) continue;
            checked++;
            const same = Math.abs((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2) < Math.min(a.height, b.height) / 2;
            if (!same) starts.push(chars[k].node.data.slice(Math.max(0, chars[k].i - 30), chars[k].i + 10));
          }
          return JSON.stringify({ checked, starts });
        }
        """;

    private static async Task AssertNoLineStartsWithPunctuation(IPage page, string what, int atLeast)
    {
        var result = JsonDocument.Parse(await page.EvaluateAsync<string>(LineStarts)).RootElement;
        var starts = result.GetProperty("starts").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.True(starts.Count == 0, $"{what} : lignes qui commencent par la ponctuation :\n" + string.Join("\n", starts));
        Assert.True(result.GetProperty("checked").GetInt32() >= atLeast, $"{what} : {result.GetProperty("checked").GetInt32()} signes vérifiés seulement");
    }

    private const string Vendor = "editeur@guillemet-sante.test";

    /// <summary>
    /// An advance « A modifier » of this journey's own vendor: another journey confirms the demo vendor's, and the journeys
    /// run side by side (seen in CI: no « A modifier » advance left to open).
    /// </summary>
    private async Task SeedAnAdvanceToModifyAsync()
    {
        var number = (await JourneyVendors.SeedAsync(app, "Guillemet Santé", "90000030000005", FundingScheme.SasEffecteur, Vendor,
            "Cabinet Guillemet", count: 1, depositedDaysAgo: 5)).Single();
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var request = await db.Requests.Include(r => r.Scheme).Include(r => r.Rounds).Include(r => r.Documents).Include(r => r.History)
            .SingleAsync(r => r.Number == number);
        request.OpenModificationRound(new Actor("Camille Martin", "Gestionnaire", null),
            // The manager's own words are shown as typed: the demo's comment, with no « : ; ! ? » to set.
            "Le lien vers votre plateforme de support ne répond pas. Merci de corriger les coordonnées de contact.",
            [EditableField.ContactSupport], request.Scheme!, now);
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task On_a_narrow_screen_no_line_of_the_modify_page_the_tracking_page_or_an_email_starts_with_a_colon_or_a_guillemet()
    {
        var page = await app.NewPage();
        await page.SetViewportSizeAsync(360, 800);

        // The check sees a line that does start with a colon (ordinary space, narrow column): it can fail.
        await page.SetContentAsync("<p style=\"width:0\">Date :</p>");
        var bad = JsonDocument.Parse(await page.EvaluateAsync<string>(LineStarts)).RootElement;
        Assert.Equal(1, bad.GetProperty("starts").GetArrayLength());

        await SeedAnAdvanceToModifyAsync();
        await new LoginPage(page).SignIn(Vendor);
        await page.GotoAsync("/demandes");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Suivi des demandes de financement" })).ToBeVisibleAsync();
        await AssertNoLineStartsWithPunctuation(page, "suivi des demandes", atLeast: 4);
        await Accessibility.Capture(page, "typographie-suivi-360");

        await page.GotoAsync("/demandes?statut=A_MODIFIER&type=AVANCE");
        await page.Locator("table tbody tr").First.GetByRole(AriaRole.Link, new() { Name = "Modifier" }).ClickAsync();
        await Navigation.Reached(page, "**/modifier");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Récapitulatif et commentaire du gestionnaire" })).ToBeVisibleAsync();
        await AssertNoLineStartsWithPunctuation(page, "« Modifier »", atLeast: 8);
        await Accessibility.Capture(page, "typographie-modifier-360");

        // The e-mail « modification demandée » of an advance, as a mail client shows its HTML.
        var number = page.Url.Split('/')[^2];
        RenderedEmail mail;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var request = await db.Requests.Include(r => r.Rounds).Include(r => r.Documents).SingleAsync(r => r.Number == Uri.UnescapeDataString(number));
            mail = EmailTemplates.ForRequest(EmailKind.RoundOpened, request, request.OpenRound);
        }
        Assert.Contains("votre demande d'avance", mail.Text);
        await page.SetContentAsync(mail.Html);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Votre demande nécessite des modifications" })).ToBeVisibleAsync();
        await AssertNoLineStartsWithPunctuation(page, "e-mail « modification demandée »", atLeast: 8);
        await Accessibility.Capture(page, "typographie-email-360");
    }
}
