using System.Net;
using Guichet.Tests.Support;

namespace Guichet.Tests.Features;

/// <summary>Health, security headers, French error pages that reveal nothing, Problem Details on the API.</summary>
public sealed class FrameTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Health_answers_when_the_database_does()
    {
        var response = await app.Anonymous().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_page_carries_the_security_headers()
    {
        var response = await app.Anonymous().GetAsync("/connexion");
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public void Attachments_run_no_script_and_images_are_sandboxed()
    {
        var pdf = Guichet.Tracking.DocumentEndpoints.Policy("application/pdf");
        var png = Guichet.Tracking.DocumentEndpoints.Policy("image/png");
        foreach (var policy in new[] { pdf, png })
        {
            Assert.Contains("default-src 'none'", policy);
            Assert.DoesNotContain("script-src", policy);
            Assert.Contains("frame-ancestors 'none'", policy);
        }
        Assert.StartsWith("sandbox;", png);
        Assert.DoesNotContain("sandbox", pdf); // Safari shows nothing for a sandboxed PDF
    }

    [Theory]
    [InlineData("/instruction", "Instruction")]
    [InlineData("/instruction/tableau-de-bord", "Tableau de bord")]
    [InlineData("/instruction/operations-groupees", "Instruction")]
    [InlineData("/format", "Format")]
    [InlineData("/compte", null)]
    public async Task The_menu_marks_the_entry_of_the_current_page_and_only_it(string path, string? current)
    {
        var client = await app.SignedIn("gestionnaire@asp.test");
        var html = await client.GetStringAsync(path);
        var marked = System.Text.RegularExpressions.Regex.Matches(html, "<a class=\"nav-link\" href=\"[^\"]+\" aria-current=\"page\">([^<]+)</a>")
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(current is null ? [] : [current], marked);
        Assert.DoesNotContain(" style=\"", html); // the CSP blocks inline styles: they would silently do nothing
    }

    [Fact]
    public async Task An_unknown_page_gets_a_French_404_page()
    {
        var response = await app.Anonymous().GetAsync("/nulle-part");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Page introuvable", html);
        Assert.Contains("lang=\"fr\"", html);
    }

    [Fact]
    public async Task An_unknown_API_route_gets_French_problem_details()
    {
        var response = await app.Bearer("demo-agendapro").GetAsync("/api/v1/inconnu");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Ressource introuvable", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_API_only_and_has_a_reference_page()
    {
        var json = await app.Anonymous().GetStringAsync("/api/openapi/v1.json");
        Assert.Contains("/api/v1/demandes/{numero}", json);
        Assert.Contains("/api/v1/depots", json);
        Assert.Contains("/api/v1/demandes/{numero}/modification/confirmer", json);
        Assert.Contains("Guichet Ségur numérique — API v1", json);
        // The format files are referenced by the deposit's description, never listed as operations.
        var paths = System.Text.Json.Nodes.JsonNode.Parse(json)!["paths"]!.AsObject().Select(p => p.Key);
        Assert.All(paths, p => Assert.StartsWith("/api/v1/", p + "/"));

        var page = await app.Anonymous().GetAsync("/api/documentation/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("scalar.js", await page.Content.ReadAsStringAsync());
        // The relaxed policy is for that page only.
        Assert.Contains("'unsafe-inline'", page.Headers.GetValues("Content-Security-Policy").Single());
        var other = await app.Anonymous().GetAsync("/connexion");
        Assert.DoesNotContain("unsafe-inline", other.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Static_theme_and_Bootstrap_are_shipped()
    {
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/lib/bootstrap/css/bootstrap.min.css")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/css/theme.css")).StatusCode);
    }
}
