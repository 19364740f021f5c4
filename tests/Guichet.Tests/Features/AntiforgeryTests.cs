using System.Net;
using System.Text.RegularExpressions;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tests.Features;

/// <summary>
/// The request token of « Se déconnecter » is issued once per browser, person and session and served again to the next
/// pages (Hosting/ReusedAntiforgeryTokens.cs); it must never serve one person's token to another, and every POST is
/// still checked.
/// </summary>
public sealed partial class AntiforgeryTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private HttpClient Browser() => app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    private static async Task<HttpResponseMessage> SignIn(HttpClient browser, string email) =>
        await browser.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = DemoSeeder.Password });

    private static async Task<string> TokenOn(HttpClient browser, string url)
    {
        var response = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
        return Token().Match(await response.Content.ReadAsStringAsync()).Groups[1].Value;
    }

    private static Task<HttpResponseMessage> SignOutWith(HttpClient browser, string token) =>
        browser.PostAsync("/deconnexion", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

    [Fact]
    public async Task A_browser_gets_the_same_token_on_its_next_pages_and_signs_out_with_it()
    {
        var browser = Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "editeur@agendapro.test")).StatusCode);
        var first = await TokenOn(browser, "/demandes");
        Assert.NotEmpty(first);
        Assert.Equal(first, await TokenOn(browser, "/demandes"));
        Assert.Equal(first, await TokenOn(browser, "/format"));

        Assert.Equal(HttpStatusCode.Redirect, (await SignOutWith(browser, first)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/demandes")).StatusCode);
    }

    [Fact]
    public async Task The_next_person_on_the_same_browser_gets_a_token_of_their_own_and_the_previous_one_is_refused()
    {
        var browser = Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "editeur@agendapro.test")).StatusCode);
        var camille = await TokenOn(browser, "/demandes");
        Assert.Equal(HttpStatusCode.Redirect, (await SignOutWith(browser, camille)).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "editeur@regulis.test")).StatusCode);
        var louis = await TokenOn(browser, "/demandes");
        Assert.NotEqual(camille, louis);

        Assert.Equal(HttpStatusCode.BadRequest, (await SignOutWith(browser, camille)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/demandes")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignOutWith(browser, louis)).StatusCode);
    }

    [Fact]
    public async Task A_token_of_another_browser_is_refused()
    {
        var mine = Browser();
        var theirs = Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(mine, "editeur@agendapro.test")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(theirs, "editeur@agendapro.test")).StatusCode);
        var theirToken = await TokenOn(theirs, "/demandes");
        Assert.NotEqual(theirToken, await TokenOn(mine, "/demandes"));

        Assert.Equal(HttpStatusCode.BadRequest, (await SignOutWith(mine, theirToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await mine.GetAsync("/demandes")).StatusCode);
    }

    [Fact]
    public async Task Two_visitors_not_signed_in_each_keep_a_token_of_their_own_and_both_sign_in()
    {
        var first = Browser();
        var second = Browser();
        // A first visit receives the antiforgery cookie with its token; reuse starts once the browser sends it back.
        await TokenOn(first, "/connexion");
        await TokenOn(second, "/connexion");
        var firstToken = await TokenOn(first, "/connexion");
        var secondToken = await TokenOn(second, "/connexion");
        Assert.NotEqual(firstToken, secondToken);
        Assert.Equal(firstToken, await TokenOn(first, "/connexion"));
        Assert.Equal(secondToken, await TokenOn(second, "/connexion"));

        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(first, "editeur@agendapro.test")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(second, "editeur@regulis.test")).StatusCode);
    }

    [Fact]
    public async Task The_antiforgery_cookie_is_never_sent_on_a_request_started_by_another_site()
    {
        // A request started elsewhere then carries no antiforgery cookie and never receives a reused token.
        var response = await Browser().GetAsync("/connexion");
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("guichet-af=", StringComparison.Ordinal));
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task New_data_protection_keys_use_aes_256_gcm()
    {
        // Signing in protects a cookie, which needs a key: the ring then holds at least one, made with the configured algorithm.
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(Browser(), "editeur@agendapro.test")).StatusCode);
        var keys = (await app.Db(db => db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync()))
            .Where(xml => xml.StartsWith("<key", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, xml => Assert.Contains("AES_256_GCM", xml));
    }

    [Fact]
    public async Task A_refused_post_drops_the_reused_token_and_the_next_page_gets_a_fresh_one()
    {
        // As after a revocation of the key ring: a token the framework refuses must not be served again for 20 minutes.
        var browser = Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await SignIn(browser, "editeur@agendapro.test")).StatusCode);
        var before = await TokenOn(browser, "/demandes");
        Assert.Equal(before, await TokenOn(browser, "/demandes"));

        Assert.Equal(HttpStatusCode.BadRequest, (await SignOutWith(browser, "jeton-falsifie")).StatusCode);
        var after = await TokenOn(browser, "/demandes");
        Assert.NotEqual(before, after);
        Assert.Equal(after, await TokenOn(browser, "/demandes"));
        Assert.Equal(HttpStatusCode.Redirect, (await SignOutWith(browser, after)).StatusCode);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
