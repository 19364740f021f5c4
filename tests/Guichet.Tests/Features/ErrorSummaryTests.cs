using System.Net;
using System.Text.RegularExpressions;
using Guichet.Tests.Support;

namespace Guichet.Tests.Features;

/// <summary>
/// A refused form opens with one error summary (« Le formulaire contient N erreur(s) », links to the fields), its fields
/// in error marked <c>aria-invalid</c> and tied to their message, and a title that starts with « Erreur – » (RGAA 11.10, 8.6).
/// </summary>
public sealed class ErrorSummaryTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private static string Summary(string html) =>
        Regex.Match(html, "<div class=\"gx-alert gx-alert-error gx-error-summary\" role=\"alert\" id=\"resume-erreurs\" tabindex=\"-1\".*?</div>", RegexOptions.Singleline).Value;

    [Fact]
    public async Task A_wrong_password_opens_the_sign_in_page_with_a_summary_linked_to_the_email_field()
    {
        var response = await app.Anonymous().PostForm("/connexion",
            new() { ["Email"] = "editeur@agendapro.test", ["Password"] = "pas-le-bon-mot-de-passe" }, "/connexion");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var summary = Summary(html);
        Assert.Contains("Le formulaire contient 1 erreur</h2>", summary);
        Assert.Matches("<li id=\"erreur-email\"><a href=\"#email\">[^<]+</a></li>", summary);
        Assert.Matches("id=\"email\"[^>]*aria-describedby=\"email-hint erreur-email\" aria-invalid=\"true\"", html);
        Assert.Contains("<title>Erreur – Se connecter", html);
        Assert.Contains("js/error-summary.js", html);
    }

    [Fact]
    public async Task The_sign_in_page_before_any_submit_has_no_summary_and_no_field_in_error()
    {
        var html = await app.Anonymous().GetStringAsync("/connexion");

        Assert.Empty(Summary(html));
        Assert.DoesNotContain("aria-invalid", html);
        Assert.Contains("<title>Se connecter", html);
    }

    [Fact]
    public async Task An_unknown_page_is_titled_as_an_error()
    {
        var response = await app.Anonymous().GetAsync("/cette-page-n-existe-pas");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("<title>Erreur – Page introuvable — Guichet Ségur numérique</title>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Invalid_filters_of_the_queue_are_summarised_with_links_to_their_fields()
    {
        var client = await app.SignedIn("gestionnaire@asp.test");
        var response = await client.GetAsync("/instruction?deposeDu=hier&tri=nimporte");
        var html = await response.Content.ReadAsStringAsync();

        var summary = Summary(html);
        Assert.Contains("Le formulaire contient 2 erreurs</h2>", summary);
        Assert.Contains("<a href=\"#deposeDu\">La date doit être au format aaaa-mm-jj.</a>", summary);
        Assert.Contains("<a href=\"#tri\">", summary);
        Assert.Matches("id=\"deposeDu\"[^>]*aria-describedby=\"erreur-deposeDu\" aria-invalid=\"true\"", html);
        Assert.DoesNotMatch("id=\"statut\"[^>]*aria-invalid", html);
        Assert.Contains("<title>Erreur – Instruction des demandes", html);
    }

    [Fact]
    public async Task A_token_without_a_name_marks_the_name_field_and_creates_nothing()
    {
        var client = await app.SignedIn("editeur@regulis.test");
        var before = await client.GetStringAsync("/compte/jetons");
        var response = await client.PostForm("/compte/jetons?handler=Create", new() { ["Name"] = "" }, "/compte/jetons");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Contains("<a href=\"#name\">", Summary(html));
        Assert.Matches("id=\"name\"[^>]*aria-invalid=\"true\"", html);
        Assert.Equal(Regex.Matches(before, "Révoquer<span").Count, Regex.Matches(html, "Révoquer<span").Count);
    }
}
