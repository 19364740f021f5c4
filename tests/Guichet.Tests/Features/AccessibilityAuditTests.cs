using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Guichet.Tests.Support;

namespace Guichet.Tests.Features;

/// <summary>
/// The RGAA 4.1 audit table of docs/accessibilite.md is complete (106 criteria, each once, each with a status), and the
/// declaration and the footer say exactly the status and the rate it establishes. The table is read here on its own,
/// not through the portal's parser, so that a parser bug cannot agree with itself.
/// </summary>
public sealed partial class AccessibilityAuditTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    // Criteria per theme in RGAA 4.1: images, frames, colours, media, tables, links, scripts, mandatory elements,
    // structure, presentation, forms, navigation, consultation.
    private static readonly int[] CriteriaPerTheme = [9, 2, 3, 13, 8, 2, 5, 10, 4, 14, 13, 11, 12];

    private static List<(string Number, string Status)> AuditRows() =>
        Row().Matches(File.ReadAllText(RepoFiles.Path("docs", "accessibilite.md")))
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();

    [Fact]
    public void The_audit_lists_the_106_criteria_of_the_13_themes_each_once_with_a_status()
    {
        var rows = AuditRows();
        var expected = CriteriaPerTheme.SelectMany((count, theme) => Enumerable.Range(1, count).Select(n => $"{theme + 1}.{n}")).ToList();
        Assert.Equal(106, expected.Count);
        Assert.Equal(expected, rows.Select(r => r.Number).ToList());
        Assert.All(rows, r => Assert.Contains(r.Status, new[] { "C", "NC", "NA" }));
    }

    [Fact]
    public async Task The_declaration_shows_the_status_and_the_rate_the_audit_supports()
    {
        var rows = AuditRows();
        var conform = rows.Count(r => r.Status == "C");
        var notConform = rows.Count(r => r.Status == "NC");
        var rate = Math.Round(100m * conform / (conform + notConform), 1);
        var status = rate >= 100 ? "totalement conforme" : rate >= 50 ? "partiellement conforme" : "non conforme";

        var html = WebUtility.HtmlDecode(await app.Anonymous().GetStringAsync("/accessibilite"));

        Assert.Contains($"<strong id=\"statut-conformite\">{status}</strong>", html);
        Assert.Contains($"<strong id=\"taux-conformite\">{rate.ToString("0.#", CultureInfo.GetCultureInfo("fr-FR"))}\u00a0%</strong>", html);
        foreach (var (number, _) in rows.Where(r => r.Status == "NC"))
            Assert.Contains($"<strong>Critère {number}</strong>", html);
        Assert.Equal(notConform, Regex.Matches(html, "<strong>Critère ").Count);
        Assert.Contains("Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07", html);
    }

    [Fact]
    public async Task The_footer_of_every_page_says_the_status_of_the_audit()
    {
        var rows = AuditRows();
        var rate = 100m * rows.Count(r => r.Status == "C") / rows.Count(r => r.Status != "NA");
        var status = rate >= 100 ? "totalement conforme" : rate >= 50 ? "partiellement conforme" : "non conforme";
        foreach (var page in new[] { "/", "/connexion", "/accessibilite" })
        {
            var html = await app.Anonymous().GetStringAsync(page);
            Assert.Contains($"<a href=\"/accessibilite\">Accessibilité\u202F: {status}</a>", Readable.Of(html));
            Assert.DoesNotContain("audit à réaliser", html);
        }
    }

    [Fact]
    public async Task The_site_map_linked_from_every_footer_lists_the_pages_of_the_visitors_role()
    {
        var anonymous = await app.Anonymous().GetStringAsync("/plan-du-site");
        var manager = await (await app.SignedIn("gestionnaire@asp.test")).GetStringAsync("/plan-du-site");

        Assert.Contains("<a href=\"/plan-du-site\">Plan du site</a>", anonymous);
        Assert.Contains("<a href=\"/connexion\">Se connecter</a>", anonymous);
        Assert.DoesNotContain("href=\"/instruction\"", anonymous);
        Assert.Contains("<a href=\"/instruction\">Instruction des demandes</a>", manager);
        Assert.Contains("<a href=\"/instruction/tableau-de-bord\">Tableau de bord</a>", manager);
        Assert.DoesNotContain("href=\"/depots/nouveau\"", manager);
        Assert.DoesNotContain("href=\"/admin\"", manager);
    }

    [GeneratedRegex(@"^\| (\d{1,2}\.\d{1,2}) \| [^|]+ \| (\w+) \|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
