using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Guichet.Domain;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features;

/// <summary>« Suivi des demandes de financement » and GET /api/v1/demandes, as each role, on each provider.</summary>
public abstract class TrackingTests(GuichetApp app)
{
    private async Task<List<string>> Numbers(string token, string query = "")
    {
        var list = await Json(await app.Bearer(token).GetAsync("/api/v1/demandes?taille=100" + query));
        return list.GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("numero").GetString()!).ToList();
    }

    [Fact]
    public async Task Vendor_lists_only_its_own_organisations_requests()
    {
        var agendaPro = await Numbers("demo-agendapro");
        var regulis = await Numbers("demo-regulis");
        Assert.NotEmpty(agendaPro);
        Assert.NotEmpty(regulis);
        Assert.Empty(agendaPro.Intersect(regulis));
        var all = await Numbers("demo-gestionnaire");
        Assert.Equal(agendaPro.Count + regulis.Count, (await Json(await app.Bearer("demo-gestionnaire").GetAsync("/api/v1/demandes"))).GetProperty("total").GetInt32());
        Assert.Subset(all.ToHashSet(), (await Numbers("demo-assistance")).ToHashSet());
    }

    [Fact]
    public async Task Demo_data_holds_every_status_for_both_vendors()
    {
        foreach (var token in new[] { "demo-agendapro", "demo-regulis" })
        {
            var list = await Json(await app.Bearer(token).GetAsync("/api/v1/demandes?taille=100"));
            var statuses = list.GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("statut").GetString()).ToHashSet();
            Assert.Equal(["A_MODIFIER", "DECIDEE_ET_PAYEE", "EN_COURS", "INCOMPLETE", "REJETEE", "VALIDEE"], statuses.Order().ToArray());
        }
    }

    [Fact]
    public async Task List_filters_by_status_type_and_text_and_pages()
    {
        var client = app.Bearer("demo-agendapro");
        var toModify = await Json(await client.GetAsync("/api/v1/demandes?statut=A_MODIFIER"));
        Assert.True(toModify.GetProperty("total").GetInt32() >= 3);
        Assert.All(toModify.GetProperty("demandes").EnumerateArray(), d => Assert.Equal("A_MODIFIER", d.GetProperty("statut").GetString()));

        var balances = await Json(await client.GetAsync("/api/v1/demandes?type=SOLDE&taille=100"));
        Assert.All(balances.GetProperty("demandes").EnumerateArray(), d => Assert.Equal("SOLDE", d.GetProperty("type").GetString()));

        var byClient = await Json(await client.GetAsync("/api/v1/demandes?q=" + Uri.EscapeDataString("Karim Haddad")));
        Assert.All(byClient.GetProperty("demandes").EnumerateArray(), d => Assert.Equal("Dr Karim Haddad", d.GetProperty("client").GetProperty("nom").GetString()));
        Assert.True(byClient.GetProperty("total").GetInt32() >= 1);

        // A part of a number or of a reference, in any case (the search compares lower case: docs/architecture.md « Performances »).
        var some = toModify.GetProperty("demandes")[0];
        var (number, reference) = (some.GetProperty("numero").GetString()!, some.GetProperty("referenceFournisseur").GetString()!);
        foreach (var part in new[] { number[4..].ToLowerInvariant(), reference[2..].ToLowerInvariant(), number })
        {
            var found = await Json(await client.GetAsync("/api/v1/demandes?taille=100&q=" + Uri.EscapeDataString(part)));
            Assert.Contains(found.GetProperty("demandes").EnumerateArray(), d => d.GetProperty("numero").GetString() == number);
        }

        var page1 = await Json(await client.GetAsync("/api/v1/demandes?taille=5&page=1&tri=numero"));
        var page2 = await Json(await client.GetAsync("/api/v1/demandes?taille=5&page=2&tri=numero"));
        Assert.Equal(5, page1.GetProperty("demandes").GetArrayLength());
        Assert.Equal(2, page2.GetProperty("page").GetInt32());
        var first = page1.GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("numero").GetString()).ToList();
        var second = page2.GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("numero").GetString()).ToList();
        Assert.Empty(first.Intersect(second));
        Assert.True(string.CompareOrdinal(first[^1], second[0]) < 0);
    }

    [Theory]
    [InlineData("statut=PAYEE", "$.statut")]
    [InlineData("type=avance", "$.type")]
    [InlineData("dispositif=SAS", "$.dispositif")]
    [InlineData("page=0", "$.page")]
    [InlineData("page=abc", "$.page")]
    [InlineData("taille=1000", "$.taille")]
    [InlineData("tri=prix", "$.tri")]
    public async Task Malformed_filters_get_a_400_with_a_French_message(string query, string path)
    {
        var response = await app.Bearer("demo-agendapro").GetAsync("/api/v1/demandes?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var error = (await Json(response)).GetProperty("erreurs")[0];
        Assert.Equal(path, error.GetProperty("chemin").GetString());
        Assert.Matches("(inconnu|entier)", error.GetProperty("message").GetString());

        var page = await (await app.SignedIn("editeur@agendapro.test")).GetAsync("/demandes?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains("Filtres invalides", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Detail_has_the_contract_fields_and_the_open_round()
    {
        var client = app.Bearer("demo-agendapro");
        var number = (await Numbers("demo-agendapro", "&statut=A_MODIFIER&type=SOLDE"))[0];
        var d = await Json(await client.GetAsync($"/api/v1/demandes/{number}"));
        Assert.Equal(number, d.GetProperty("numero").GetString());
        Assert.Equal("A modifier", d.GetProperty("statutLibelle").GetString());
        Assert.StartsWith("https://", d.GetProperty("informations").GetProperty("contactSupport").GetString());
        Assert.StartsWith("SAS-A-", d.GetProperty("numeroDemandeAvance").GetString());
        Assert.NotEqual(JsonValueKind.Null, d.GetProperty("dateMiseEnService").ValueKind);
        var pieces = d.GetProperty("piecesJointes");
        Assert.Equal(2, pieces.GetArrayLength());
        Assert.Equal(64, pieces[0].GetProperty("sha256").GetString()!.Length);
        Assert.Contains(d.GetProperty("historique").EnumerateArray(), h => h.GetProperty("vers").GetString() == "A_MODIFIER");
        var round = d.GetProperty("modificationEnCours");
        Assert.Contains("informations.contactSupport", round.GetProperty("elements").EnumerateArray().Select(e => e.GetString()));
        Assert.True(round.GetProperty("clotureLe").GetDateTime() > round.GetProperty("relanceLe").GetDateTime());
        Assert.NotEqual(JsonValueKind.Null, round.GetProperty("brouillon").ValueKind); // the vendor sees its draft

        var asManager = await Json(await app.Bearer("demo-gestionnaire").GetAsync($"/api/v1/demandes/{number}"));
        Assert.Equal(JsonValueKind.Null, asManager.GetProperty("modificationEnCours").GetProperty("brouillon").ValueKind);
    }

    [Fact]
    public async Task Another_organisations_request_answers_exactly_like_a_missing_one()
    {
        var foreign = (await Numbers("demo-regulis"))[0];
        var asAgendaPro = await app.Bearer("demo-agendapro").GetAsync($"/api/v1/demandes/{foreign}");
        var missing = await app.Bearer("demo-agendapro").GetAsync("/api/v1/demandes/SAS-S-2026-999999");
        Assert.Equal(HttpStatusCode.NotFound, asAgendaPro.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal((await Json(asAgendaPro)).GetProperty("title").GetString(), (await Json(missing)).GetProperty("title").GetString());

        var browser = await app.SignedIn("editeur@agendapro.test");
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/demandes/{foreign}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/demandes/SAS-S-2026-999999")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await (await app.SignedIn("editeur@regulis.test")).GetAsync($"/demandes/{foreign}")).StatusCode);
    }

    [Fact]
    public async Task Attachments_are_served_only_to_those_who_may_see_the_request()
    {
        var number = (await Numbers("demo-regulis", "&statut=EN_COURS"))[0];
        var detail = await Json(await app.Bearer("demo-regulis").GetAsync($"/api/v1/demandes/{number}"));
        var piece = detail.GetProperty("piecesJointes")[0];
        var url = $"/demandes/{number}/pieces/{piece.GetProperty("id").GetString()}";

        var owner = await (await app.SignedIn("editeur@regulis.test")).GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        Assert.Equal("application/pdf", owner.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", owner.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("inline", owner.Content.Headers.ContentDisposition?.DispositionType);
        Assert.True(owner.Headers.CacheControl?.NoStore);
        // Its own policy, not the pages' one: nothing loads, no script runs.
        var csp = owner.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("default-src 'none'", csp);
        Assert.DoesNotContain("script-src", csp);
        var bytes = await owner.Content.ReadAsByteArrayAsync();
        Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(bytes, 0, 5));
        Assert.Equal(piece.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));

        Assert.Equal(HttpStatusCode.OK, (await (await app.SignedIn("gestionnaire@asp.test")).GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await (await app.SignedIn("editeur@agendapro.test")).GetAsync(url)).StatusCode);
        var anonymous = await app.Anonymous().GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/connexion", anonymous.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task Tracking_page_shows_the_banner_counts_and_Modifier_buttons_to_the_vendor()
    {
        var html = await (await app.SignedIn("editeur@agendapro.test")).GetStringAsync("/demandes?statut=A_MODIFIER");
        Assert.Contains("nécessitent des modifications de votre part", html);
        Assert.Contains("Suivi demandes incomplètes", html);
        Assert.Contains(">Modifier<span class=\"visually-hidden\"> la demande SAS-", html);
        Assert.DoesNotContain("Regulis", html);
        var modifier = await Numbers("demo-agendapro", "&statut=A_MODIFIER");
        Assert.Contains($"A modifier <span class=\"gx-count\">{modifier.Count}</span>", html);
    }

    [Fact]
    public async Task Request_page_shows_the_data_the_attachments_the_round_and_the_history()
    {
        var number = (await Numbers("demo-agendapro", "&statut=A_MODIFIER&type=SOLDE"))[0];
        var html = await (await app.SignedIn("editeur@agendapro.test")).GetStringAsync($"/demandes/{number}");
        Assert.Contains("Commentaire du gestionnaire", html);
        Assert.Contains("Date limite", html);
        Assert.Contains("Consulter", html);
        Assert.Contains("Historique", html);
        Assert.Contains("Demande de modification", html);
        Assert.Contains("700,00", html);
    }

    [Fact]
    public async Task A_vendors_first_view_shows_the_requests_and_counts_a_direct_query_finds()
    {
        // The first view (no filter, most recent first) runs as compiled queries (Requests/RequestQuery.cs): page 2 of the
        // API, the total and the tracking page's count per status against the database read directly.
        List<string> recent;
        Dictionary<RequestStatus, int> perStatus;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Guichet.Data.GuichetDbContext>();
            var organisation = (await db.Users.SingleAsync(u => u.Email == "editeur@agendapro.test")).OrganisationId;
            var mine = db.Requests.Where(r => r.OrganisationId == organisation);
            recent = await mine.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id).Select(r => r.Number).ToListAsync();
            perStatus = (await mine.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync())
                .ToDictionary(g => g.Key, g => g.Count);
        }
        Assert.True(recent.Count > 10, "the demo vendor has more than two pages of five");

        var page2 = await Json(await app.Bearer("demo-agendapro").GetAsync("/api/v1/demandes?taille=5&page=2"));
        Assert.Equal(recent.Count, page2.GetProperty("total").GetInt32());
        Assert.Equal(recent.Skip(5).Take(5), page2.GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("numero").GetString()));

        var html = await (await app.SignedIn("editeur@agendapro.test")).GetStringAsync("/demandes");
        Assert.Contains($"Toutes <span class=\"gx-count\">{recent.Count}</span>", html);
        foreach (var status in Codes.AllStatuses)
            Assert.Contains($"{status.Label()} <span class=\"gx-count\">{perStatus.GetValueOrDefault(status)}</span>", html);
        Assert.Equal(recent.Take(Guichet.Requests.RequestFilter.DefaultSize),
            System.Text.RegularExpressions.Regex.Matches(html, "<a href=\"/demandes/(SAS-[^\"/]+)\">").Select(m => m.Groups[1].Value).Distinct());
    }

    [Fact]
    public async Task Managers_see_every_vendor_on_the_list_page()
    {
        var html = await (await app.SignedIn("gestionnaire@asp.test")).GetStringAsync("/demandes?taille=100");
        Assert.Contains("AgendaPro", html);
        Assert.Contains("Regulis", html);
        Assert.DoesNotContain("nécessitent des modifications de votre part", html);
    }
}

public sealed class TrackingTestsOnSqlite(SqliteApp app) : TrackingTests(app), IClassFixture<SqliteApp>;

public sealed class TrackingTestsOnPostgres(PostgresApp app) : TrackingTests(app), IClassFixture<PostgresApp>;
