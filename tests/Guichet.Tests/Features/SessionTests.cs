using System.Net;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>A cookie session ends when its reason ends: deactivation, « Se déconnecter », a new password — at the next request.</summary>
public abstract class SessionTests(GuichetApp app)
{
    private const string Password = "Session-Test-2026!";

    /// <summary>A fresh vendor of AgendaPro (not a demo account, which other tests use), returned with its organisation id.</summary>
    private async Task<(string Email, int OrganisationId)> NewVendorAsync()
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
        var org = await db.Organisations.SingleAsync(o => o.Siret == DemoSeeder.AgendaProSiret);
        var email = $"session-{Guid.NewGuid():N}@agendapro.test";
        var user = new GuichetUser { UserName = email, Email = email, EmailConfirmed = true, FullName = "Camille Session", OrganisationId = org.Id };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, Roles.Fournisseur)).Succeeded);
        return (email, org.Id);
    }

    /// <summary>Signs in and returns the session cookie alone, as someone copying it would hold it.</summary>
    private async Task<string> SessionCookieAsync(string email)
    {
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await browser.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("guichet=", StringComparison.Ordinal));
        return cookie[..cookie.IndexOf(';')];
    }

    /// <summary>The tracking page as seen with only <paramref name="cookie"/>: 200 while the session lives, a redirect to sign-in after.</summary>
    private async Task<HttpStatusCode> TrackingWith(string cookie)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/demandes");
        request.Headers.Add("Cookie", cookie);
        return (await client.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task A_live_session_is_checked_without_its_cookie_being_issued_again()
    {
        var (email, _) = await NewVendorAsync();
        var cookie = await SessionCookieAsync(email);
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/demandes");
        request.Headers.Add("Cookie", cookie);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("guichet=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deactivated_users_open_session_is_refused_at_its_next_request()
    {
        var (email, organisationId) = await NewVendorAsync();
        var cookie = await SessionCookieAsync(email);
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(cookie));

        var admin = await app.SignedIn("admin@asp.test");
        var userId = await app.Db(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());
        var deactivated = await admin.PostForm($"/admin/organismes/{organisationId}?handler=Basculer", new() { ["userId"] = userId },
            $"/admin/organismes/{organisationId}");
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(cookie));
    }

    [Fact]
    public async Task A_cookie_copied_before_signing_out_is_refused_after_it()
    {
        var (email, _) = await NewVendorAsync();
        var copy = await SessionCookieAsync(email);
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = Password })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(copy));

        var signedOut = await browser.PostForm("/deconnexion", [], "/demandes");
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(copy));
    }

    [Fact]
    public async Task A_new_password_ends_the_sessions_opened_with_the_old_one()
    {
        var (email, _) = await NewVendorAsync();
        var cookie = await SessionCookieAsync(email);
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(cookie));
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
            var user = (await users.FindByEmailAsync(email))!;
            var token = await users.GeneratePasswordResetTokenAsync(user);
            Assert.True((await users.ResetPasswordAsync(user, token, "Nouveau-Secret-2026!")).Succeeded);
        }
        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(cookie));
    }
}

public sealed class SessionTestsOnSqlite(SqliteApp app) : SessionTests(app), IClassFixture<SqliteApp>;

public sealed class SessionTestsOnPostgres(PostgresApp app) : SessionTests(app), IClassFixture<PostgresApp>;
