using System.Net;
using System.Text.RegularExpressions;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Guichet.Tests.Features;

/// <summary>
/// A cookie session is a server-side session: « Se déconnecter » ends this device, « tous les appareils » every one,
/// deactivation, a new password and a role change every session of the user — at the next request.
/// </summary>
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
    private async Task<string> SessionCookieAsync(string email, string password = Password) => (await DeviceAsync(email, password)).Cookie;

    /// <summary>One device: a browser-like client signed in, and a copy of its session cookie.</summary>
    private async Task<(HttpClient Browser, string Cookie)> DeviceAsync(string email, string password = Password, string? userAgent = null)
    {
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (userAgent is not null) browser.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        var response = await browser.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("guichet=", StringComparison.Ordinal));
        return (browser, cookie[..cookie.IndexOf(';')]);
    }

    /// <summary>The tracking page as seen with only <paramref name="cookie"/>: 200 while the session lives, a redirect to sign-in after.</summary>
    private async Task<HttpStatusCode> TrackingWith(string cookie) => (await GetWith(cookie, "/demandes")).StatusCode;

    private async Task<HttpResponseMessage> GetWith(string cookie, string url)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }

    private Task<List<UserSession>> SessionsOf(string email) => app.Db(db => db.UserSessions.AsNoTracking()
        .Where(s => db.Users.Any(u => u.Id == s.UserId && u.Email == email)).OrderBy(s => s.CreatedAt).ThenBy(s => s.LastSeenAt).ToListAsync());

    private Task<string> UserIdOf(string email) => app.Db(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());

    /// <summary>A fresh agency user in <paramref name="role"/>, with a password.</summary>
    private async Task<string> NewAgentAsync(string role)
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
        var email = $"agent-{Guid.NewGuid():N}@asp.test";
        var user = new GuichetUser { UserName = email, Email = email, EmailConfirmed = true, FullName = "Dominique Agent" };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        return email;
    }

    private async Task<HttpResponseMessage> ChangeRole(HttpClient admin, string userId, string role) =>
        await admin.PostForm("/admin/agence?handler=Role", new() { ["userId"] = userId, ["nouveauRole"] = role }, "/admin/agence");

    private Task<List<string>> RolesOf(string email) => app.Db(db => db.UserRoles
        .Where(ur => db.Users.Any(u => u.Id == ur.UserId && u.Email == email))
        .Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name!).ToListAsync());

    private Task<int> JournalCount(string email, SecurityEventKind kind) =>
        app.Db(db => db.SecurityEvents.CountAsync(e => e.SubjectEmail == email && e.Kind == kind));

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
    public async Task A_cookie_copied_before_signing_out_is_refused_after_it_while_another_device_stays_signed_in()
    {
        var (email, _) = await NewVendorAsync();
        var (laptop, laptopCopy) = await DeviceAsync(email);
        var (_, phone) = await DeviceAsync(email);
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(laptopCopy));

        var signedOut = await laptop.PostForm("/deconnexion", [], "/demandes");
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(laptopCopy));
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(phone));
        var sessions = await SessionsOf(email);
        Assert.Equal(2, sessions.Count);
        Assert.NotNull(sessions[0].RevokedAt);
        Assert.Null(sessions[1].RevokedAt);
    }

    [Fact]
    public async Task Signing_out_of_every_device_ends_this_session_and_the_others()
    {
        var (email, _) = await NewVendorAsync();
        var (laptop, laptopCopy) = await DeviceAsync(email);
        var (_, phone) = await DeviceAsync(email);
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(phone));

        var response = await laptop.PostForm("/compte?handler=Tout", [], "/compte");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/connexion", response.Headers.Location?.OriginalString);

        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(laptopCopy));
        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(phone));
        Assert.All(await SessionsOf(email), s => Assert.NotNull(s.RevokedAt));
        Assert.Equal(1, await JournalCount(email, SecurityEventKind.AllSessionsEnded));
        // Signing in again opens a new session, the old ones stay ended.
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(await SessionCookieAsync(email)));
        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(phone));
    }

    [Fact]
    public async Task My_account_lists_my_live_devices_and_not_the_ended_ones()
    {
        var (email, _) = await NewVendorAsync();
        var (laptop, _) = await DeviceAsync(email, userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0");
        var (tablet, _) = await DeviceAsync(email, userAgent: "Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/604.1");
        var (_, _) = await DeviceAsync(email, userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36");
        Assert.Equal(HttpStatusCode.Redirect, (await tablet.PostForm("/deconnexion", [], "/demandes")).StatusCode);
        var sessions = await SessionsOf(email);

        var page = await laptop.GetStringAsync("/compte");

        Assert.Contains("Camille Session", page);
        Assert.Contains(email, page);
        Assert.Contains("AgendaPro", page);
        Assert.Contains("Appareils connectés", page);
        Assert.Contains("Firefox sur Linux", page);
        Assert.Contains("Chrome sur Windows", page);
        Assert.DoesNotContain("Safari sur iOS", page);
        Assert.Single(Regex.Matches(page, "Cet appareil"));
        // A « Déconnecter » button for the other live device only: not for this one, not for the ended one.
        Assert.Single(Regex.Matches(page, "name=\"id\""));
        Assert.Contains($"value=\"{sessions[2].Id}\"", page);
        Assert.DoesNotContain(sessions[1].Id, page);
        Assert.DoesNotContain($"value=\"{sessions[0].Id}\"", page);
        Assert.Contains("href=\"/compte/jetons\"", page);
    }

    [Fact]
    public async Task Ending_one_other_device_from_my_account_signs_that_device_out_only()
    {
        var (email, _) = await NewVendorAsync();
        var (laptop, laptopCopy) = await DeviceAsync(email);
        var (_, phone) = await DeviceAsync(email);
        var phoneSession = (await SessionsOf(email))[1].Id;

        var response = await laptop.PostForm("/compte?handler=Deconnecter", new() { ["id"] = phoneSession }, "/compte");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("appareil a été déconnecté", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(phone));
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(laptopCopy));
    }

    [Fact]
    public async Task Ending_someone_elses_session_answers_as_missing_and_changes_nothing()
    {
        var (mine, _) = await NewVendorAsync();
        var (theirs, _) = await NewVendorAsync();
        var (me, _) = await DeviceAsync(mine);
        var (_, theirCookie) = await DeviceAsync(theirs);
        var theirSession = (await SessionsOf(theirs)).Single().Id;

        var foreign = await me.PostForm("/compte?handler=Deconnecter", new() { ["id"] = theirSession }, "/compte");
        var unknown = await me.PostForm("/compte?handler=Deconnecter", new() { ["id"] = "0123456789abcdef0123456789abcdef" }, "/compte");
        var empty = await me.PostForm("/compte?handler=Deconnecter", [], "/compte");

        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, empty.StatusCode);
        Assert.Null((await SessionsOf(theirs)).Single().RevokedAt);
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(theirCookie));
        Assert.Null((await SessionsOf(mine)).Single().RevokedAt);
    }

    [Fact]
    public async Task Ending_a_device_without_the_antiforgery_token_is_refused()
    {
        var (email, _) = await NewVendorAsync();
        var (laptop, _) = await DeviceAsync(email);
        var (_, _) = await DeviceAsync(email);
        var phoneSession = (await SessionsOf(email))[1].Id;

        var response = await laptop.PostAsync("/compte?handler=Deconnecter", new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = phoneSession }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null((await SessionsOf(email))[1].RevokedAt);
    }

    [Fact]
    public async Task Signing_in_again_on_the_same_browser_replaces_its_session()
    {
        var (email, _) = await NewVendorAsync();
        var (browser, first) = await DeviceAsync(email);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = Password })).StatusCode);

        var sessions = await SessionsOf(email);
        Assert.Equal(2, sessions.Count);
        Assert.NotNull(sessions[0].RevokedAt);
        Assert.Null(sessions[1].RevokedAt);
        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(first));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/demandes")).StatusCode);
    }

    [Fact]
    public async Task A_cookie_without_a_session_id_is_refused()
    {
        var (email, _) = await NewVendorAsync();
        string cookie;
        using (var scope = app.Services.CreateScope())
        {
            // A cookie as the portal issued them before server-side sessions: the user's principal, no session claim.
            var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<GuichetUser>>();
            var principal = await signIn.CreateUserPrincipalAsync((await signIn.UserManager.FindByEmailAsync(email))!);
            Assert.Null(principal.SessionId());
            var options = scope.ServiceProvider.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(IdentityConstants.ApplicationScheme);
            var now = app.Clock.GetUtcNow();
            var ticket = new AuthenticationTicket(principal, new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now.AddHours(1) },
                IdentityConstants.ApplicationScheme);
            cookie = "guichet=" + options.TicketDataFormat.Protect(ticket);
        }

        var response = await GetWith(cookie, "/demandes");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/connexion", response.Headers.Location?.PathAndQuery);
        // The same cookie with a session id passes: what refused it was the missing id.
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(await SessionCookieAsync(email)));
    }

    [Fact]
    public async Task The_last_activity_is_written_every_few_minutes_not_at_every_request()
    {
        var (email, _) = await NewVendorAsync();
        var cookie = await SessionCookieAsync(email);
        var opened = (await SessionsOf(email)).Single().LastSeenAt;

        app.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(cookie));
        Assert.Equal(opened, (await SessionsOf(email)).Single().LastSeenAt);

        app.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(cookie));
        var seen = (await SessionsOf(email)).Single().LastSeenAt;
        Assert.Equal(app.Clock.UtcNow, seen, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task Ended_and_expired_sessions_are_deleted_at_the_users_next_sign_in()
    {
        var (email, _) = await NewVendorAsync();
        var (ended, _) = await DeviceAsync(email);
        Assert.Equal(HttpStatusCode.Redirect, (await ended.PostForm("/deconnexion", [], "/demandes")).StatusCode);
        var (_, idle) = await DeviceAsync(email);
        Assert.Equal(2, (await SessionsOf(email)).Count);

        app.Clock.Advance(TimeSpan.FromHours(9)); // past the 8-hour cookie lifetime
        Assert.Equal(HttpStatusCode.Redirect, await TrackingWith(idle));
        var (_, fresh) = await DeviceAsync(email);

        var left = Assert.Single(await SessionsOf(email));
        Assert.Null(left.RevokedAt);
        Assert.Equal(HttpStatusCode.OK, await TrackingWith(fresh));
    }

    [Fact]
    public async Task A_role_change_ends_the_users_sessions_and_the_new_role_applies_at_the_next_sign_in()
    {
        var email = await NewAgentAsync(Roles.Gestionnaire);
        var before = await SessionCookieAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await GetWith(before, "/instruction")).StatusCode);
        var admin = await app.SignedIn("admin@asp.test");

        var changed = await ChangeRole(admin, await UserIdOf(email), Roles.Assistance);

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("est désormais Assistance utilisateur", await changed.Content.ReadAsStringAsync());
        Assert.Equal([Roles.Assistance], await RolesOf(email));
        var journaled = await app.Db(db => db.SecurityEvents.SingleAsync(e => e.SubjectEmail == email && e.Kind == SecurityEventKind.RoleChanged));
        Assert.Equal("admin@asp.test", journaled.ActorEmail);
        Assert.Equal("Gestionnaire → Assistance utilisateur", journaled.Detail);
        Assert.StartsWith("/connexion", (await GetWith(before, "/instruction")).Headers.Location?.PathAndQuery);
        var after = await SessionCookieAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await GetWith(after, "/assistance")).StatusCode);
        Assert.StartsWith("/acces-refuse", (await GetWith(after, "/instruction")).Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task An_api_token_keeps_working_with_the_new_role_after_a_role_change()
    {
        var email = await NewAgentAsync(Roles.Gestionnaire);
        var token = ApiTokens.Generate();
        var userId = await UserIdOf(email);
        await app.Db(async db =>
        {
            db.ApiTokens.Add(new ApiToken { UserId = userId, Name = "Robot", Hash = ApiTokens.Hash(token), Prefix = token[..8], CreatedAt = app.Clock.UtcNow });
            return await db.SaveChangesAsync();
        });
        var api = app.Bearer(token);
        // « Valider » an unknown request: a manager is let through to « introuvable », support is stopped by its role.
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsync("/api/v1/demandes/INCONNUE/valider", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await ChangeRole(await app.SignedIn("admin@asp.test"), userId, Roles.Assistance)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/demandes")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.PostAsync("/api/v1/demandes/INCONNUE/valider", null)).StatusCode);
    }

    [Fact]
    public async Task The_last_active_administrator_cannot_lose_the_role_and_a_vendors_role_is_not_changed_here()
    {
        var admin = await app.SignedIn("admin@asp.test");
        var adminId = await UserIdOf("admin@asp.test");
        var colleague = await NewAgentAsync(Roles.Gestionnaire);
        var colleagueId = await UserIdOf(colleague);
        // With a second administrator, one of the two may step down.
        Assert.Equal(HttpStatusCode.OK, (await ChangeRole(admin, colleagueId, Roles.Administrateur)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChangeRole(admin, colleagueId, Roles.Gestionnaire)).StatusCode);
        Assert.Equal([Roles.Gestionnaire], await RolesOf(colleague));
        var activeAdmins = await app.Db(db => db.UserRoles.Join(db.Roles.Where(r => r.Name == Roles.Administrateur), ur => ur.RoleId, r => r.Id, (ur, r) => ur.UserId)
            .Join(db.Users.Where(u => u.IsActive), id => id, u => u.Id, (id, u) => id).CountAsync());
        Assert.Equal(1, activeAdmins);
        var stamp = await app.Db(db => db.Users.Where(u => u.Id == adminId).Select(u => u.SecurityStamp).SingleAsync());

        var last = await ChangeRole(admin, adminId, Roles.Gestionnaire);

        Assert.Equal(HttpStatusCode.BadRequest, last.StatusCode);
        Assert.Contains("dernier administrateur actif", await last.Content.ReadAsStringAsync());
        Assert.Equal([Roles.Administrateur], await RolesOf("admin@asp.test"));
        Assert.Equal(stamp, await app.Db(db => db.Users.Where(u => u.Id == adminId).Select(u => u.SecurityStamp).SingleAsync()));

        var (vendor, _) = await NewVendorAsync();
        var asVendor = await ChangeRole(admin, await UserIdOf(vendor), Roles.Gestionnaire);
        Assert.Equal(HttpStatusCode.BadRequest, asVendor.StatusCode);
        Assert.Contains("Fournisseur ne se change pas ici", await asVendor.Content.ReadAsStringAsync());
        Assert.Equal([Roles.Fournisseur], await RolesOf(vendor));

        var toVendor = await ChangeRole(admin, colleagueId, Roles.Fournisseur);
        Assert.Equal(HttpStatusCode.BadRequest, toVendor.StatusCode);
        Assert.Equal([Roles.Gestionnaire], await RolesOf(colleague));
        Assert.Equal(HttpStatusCode.BadRequest, (await ChangeRole(admin, "inconnu", Roles.Gestionnaire)).StatusCode);
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
