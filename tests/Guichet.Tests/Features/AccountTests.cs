using System.Net;
using System.Text.RegularExpressions;
using Guichet.Accounts;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>Sign-in (no lockout), API tokens and antiforgery, on each provider.</summary>
public abstract partial class AccountTests(GuichetApp app)
{
    private async Task<string> NewVendor()
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
        var agendaPro = (await users.FindByEmailAsync("editeur@agendapro.test"))!.OrganisationId;
        var email = $"test-{Guid.NewGuid():N}@agendapro.test";
        var user = new GuichetUser { UserName = email, Email = email, FullName = "Test", OrganisationId = agendaPro };
        Assert.True((await users.CreateAsync(user, "Mot-de-passe-2026!")).Succeeded);
        await users.AddToRoleAsync(user, Roles.Fournisseur);
        return email;
    }

    [Fact]
    public async Task Signing_in_leads_to_the_tracking_page()
    {
        var client = app.Anonymous();
        var response = await client.PostForm("/connexion", new() { ["Email"] = "editeur@agendapro.test", ["Password"] = "Guichet-Demo-2026!" });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/demandes", response.Headers.Location!.OriginalString);
        var page = await client.GetStringAsync("/demandes");
        Assert.Contains("Se déconnecter", page);
    }

    [Fact]
    public async Task A_wrong_password_gets_a_French_message_and_failures_never_lock_the_account()
    {
        // No hard lockout any more (anyone could lock a known account, and « verrouillé » told that it exists):
        // brute force is throttled per address and per source instead, for known and unknown addresses alike (RateLimitTests).
        var email = await NewVendor();
        var client = app.Anonymous();
        for (var i = 0; i < 6; i++)
        {
            var wrong = await client.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = "mauvais" });
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            var html = await wrong.Content.ReadAsStringAsync();
            Assert.Contains("Adresse e-mail ou mot de passe incorrect", html);
            Assert.DoesNotContain("verrouillé", html);
        }
        // The right password still signs in: six failures locked nothing.
        var right = await client.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = "Mot-de-passe-2026!" });
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        using var scope = app.Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>().FindByEmailAsync(email);
        Assert.Null(user!.LockoutEnd);
    }

    [Fact]
    public async Task An_unknown_email_gets_the_same_message_as_a_wrong_password()
    {
        var response = await app.Anonymous().PostForm("/connexion", new() { ["Email"] = "personne@nulle-part.test", ["Password"] = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Adresse e-mail ou mot de passe incorrect", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_form_post_without_its_antiforgery_token_is_refused_with_400()
    {
        var response = await app.Anonymous().PostAsync("/connexion", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = "editeur@agendapro.test", ["Password"] = "Guichet-Demo-2026!",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("Requête invalide", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_token_is_shown_once_works_as_Bearer_and_stops_working_once_revoked()
    {
        var email = await NewVendor();
        var browser = await app.SignedIn(email, "Mot-de-passe-2026!");
        var created = await browser.PostForm("/compte/jetons?handler=Create", new() { ["Name"] = "Serveur de dépôt" }, "/compte/jetons");
        var html = await created.Content.ReadAsStringAsync();
        var token = NewToken().Match(html).Groups[1].Value;
        Assert.StartsWith("gui_", token);

        Assert.Equal(HttpStatusCode.OK, (await app.Bearer(token).GetAsync("/api/v1/demandes")).StatusCode);
        var list = await browser.GetStringAsync("/compte/jetons");
        Assert.DoesNotContain(token, list); // shown once only
        Assert.Contains(token[..8], list);

        var id = Regex.Match(list, "name=\"id\" value=\"(\\d+)\"").Groups[1].Value;
        var revoked = await browser.PostForm("/compte/jetons?handler=Revoke", new() { ["id"] = id }, "/compte/jetons");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var refused = await app.Bearer(token).GetAsync("/api/v1/demandes");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_user_cannot_revoke_someone_elses_token()
    {
        var browser = await app.SignedIn(await NewVendor(), "Mot-de-passe-2026!");
        // Token ids of the demo users are small integers: none of them belongs to this new user.
        var response = await browser.PostForm("/compte/jetons?handler=Revoke", new() { ["id"] = "1" }, "/compte/jetons");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Bearer("demo-agendapro").GetAsync("/api/v1/demandes")).StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer inconnu")]
    [InlineData("Basic ZGVtbzpkZW1v")]
    public async Task The_API_answers_401_without_a_valid_token(string? header)
    {
        var client = app.Anonymous();
        if (header is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        var response = await client.GetAsync("/api/v1/demandes");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("jeton", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_signed_in_cookie_does_not_authenticate_the_API()
    {
        var browser = await app.SignedIn("editeur@agendapro.test");
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/demandes")).StatusCode);
    }

    [Fact]
    public async Task Pages_need_a_signed_in_user()
    {
        foreach (var url in new[] { "/demandes", "/compte/jetons", "/demandes/SAS-A-2026-000001" })
        {
            var response = await app.Anonymous().GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/connexion", response.Headers.Location!.PathAndQuery);
        }
    }

    [GeneratedRegex("id=\"nouveau-jeton\">([^<]+)<")]
    private static partial Regex NewToken();
}

public sealed class AccountTestsOnSqlite(SqliteApp app) : AccountTests(app), IClassFixture<SqliteApp>;

public sealed class AccountTestsOnPostgres(PostgresApp app) : AccountTests(app), IClassFixture<PostgresApp>;
