using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>The portal with a test-only header « X-Test-Source » giving the client's address, so each event has a known source.</summary>
public abstract class JournalApp : GuichetApp
{
    public const string SourceHeader = TestSource.Header;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddTestSource());
    }
}

public sealed class JournalSqliteApp : JournalApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
}

public sealed class JournalPostgresApp(PostgresFixture postgres) : JournalApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
}

/// <summary>« Journal de sécurité »: each security event is written once, with who, whom and from where; only administrators read it.</summary>
public abstract partial class SecurityJournalTests(JournalApp app)
{
    private const string Password = "Mot-de-passe-2026!";
    private static int _source;
    // Each test its own client addresses, so that its events are told apart from the other tests' ones.
    private static string NewSource() => $"198.51.100.{Interlocked.Increment(ref _source)}";

    /// <summary>An anonymous browser seen as coming from <paramref name="source"/>, with its own User-Agent.</summary>
    private HttpClient From(string source, string userAgent = "Navigateur-Test/1.0")
    {
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Add(JournalApp.SourceHeader, source);
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        return client;
    }

    private async Task<HttpClient> SignedInFrom(string source, string email, string password = Guichet.Demo.DemoSeeder.Password)
    {
        var client = From(source);
        var response = await client.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    private Task<List<SecurityEvent>> EventsFrom(string source) =>
        app.Db(db => db.SecurityEvents.AsNoTracking().Where(e => e.Source == source).OrderBy(e => e.Id).ToListAsync());

    private async Task<(string Id, string Email)> NewVendor()
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
        var agendaPro = (await users.FindByEmailAsync("editeur@agendapro.test"))!.OrganisationId;
        var email = $"journal-{Guid.NewGuid():N}@agendapro.test";
        var user = new GuichetUser { UserName = email, Email = email, FullName = "Test", OrganisationId = agendaPro };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        await users.AddToRoleAsync(user, Roles.Fournisseur);
        return (user.Id, email);
    }

    private static SecurityEvent Single(List<SecurityEvent> events, SecurityEventKind kind)
    {
        var found = events.Where(e => e.Kind == kind).ToList();
        Assert.True(found.Count == 1, $"{kind} : {found.Count} ligne(s) au lieu d'une ({string.Join(", ", events.Select(e => e.Kind))})");
        return found[0];
    }

    [Fact]
    public async Task A_failed_then_a_successful_sign_in_are_journaled_once_each_with_the_account_and_the_source()
    {
        var (id, email) = await NewVendor();
        var source = NewSource();
        var wrong = await From(source).PostForm("/connexion", new() { ["Email"] = email, ["Password"] = "mauvais" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        await SignedInFrom(source, email, Password);

        var events = await EventsFrom(source);
        Assert.Equal(2, events.Count);
        var failed = Single(events, SecurityEventKind.SignInFailed);
        Assert.Equal((id, email), (failed.SubjectId, failed.SubjectEmail));
        Assert.Null(failed.ActorEmail); // nobody is signed in yet
        Assert.Equal("Mot de passe erroné.", failed.Detail);
        Assert.Equal("Navigateur-Test/1.0", failed.UserAgent);
        var succeeded = Single(events, SecurityEventKind.SignInSucceeded);
        Assert.Equal((id, email, id, email), (succeeded.ActorId, succeeded.ActorEmail, succeeded.SubjectId, succeeded.SubjectEmail));
        Assert.True(succeeded.At >= failed.At);
    }

    [Fact]
    public async Task A_failed_sign_in_on_an_unknown_address_is_journaled_for_administrators_and_the_page_is_the_one_of_a_wrong_password()
    {
        var (_, known) = await NewVendor();
        var unknown = $"personne-{Guid.NewGuid():N}@nulle-part.test";
        var source = NewSource();
        var wrongPassword = await From(source).PostForm("/connexion", new() { ["Email"] = known, ["Password"] = "mauvais" });
        var unknownAddress = await From(source).PostForm("/connexion", new() { ["Email"] = unknown, ["Password"] = "mauvais" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownAddress.StatusCode);
        // The same page, word for word but the address typed, once the antiforgery token (new at every page) is set aside.
        var page = WithoutToken(await unknownAddress.Content.ReadAsStringAsync());
        Assert.Equal(WithoutToken(await wrongPassword.Content.ReadAsStringAsync()).Replace(known, "ADRESSE"), page.Replace(unknown, "ADRESSE"));
        Assert.DoesNotContain("inconnu", page);

        var failed = (await EventsFrom(source)).Single(e => e.SubjectEmail == unknown);
        Assert.Equal(SecurityEventKind.SignInFailed, failed.Kind);
        Assert.Null(failed.SubjectId);
        Assert.Equal("Adresse inconnue.", failed.Detail);
        // The administrator reads which failure it was.
        var admin = await app.SignedIn("admin@asp.test");
        var journal = await admin.GetStringAsync("/admin/journal?q=" + Uri.EscapeDataString(unknown));
        Assert.Contains("Connexion échouée", journal);
        Assert.Contains("Adresse inconnue.", journal);
        Assert.Contains(source, journal);
    }

    [Fact]
    public async Task Signing_out_is_journaled_with_the_user_as_actor()
    {
        var (id, email) = await NewVendor();
        var source = NewSource();
        var browser = await SignedInFrom(source, email, Password);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostForm("/deconnexion", [], "/demandes")).StatusCode);
        var signedOut = Single(await EventsFrom(source), SecurityEventKind.SignedOut);
        Assert.Equal((id, email, id), (signedOut.ActorId, signedOut.ActorEmail, signedOut.SubjectId));
    }

    [Fact]
    public async Task A_password_reset_request_and_the_new_password_are_journaled_and_an_unknown_address_too()
    {
        var (id, email) = await NewVendor();
        var unknown = $"personne-{Guid.NewGuid():N}@nulle-part.test";
        var source = NewSource();
        Assert.Equal(HttpStatusCode.OK, (await From(source).PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = email })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await From(source).PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = unknown })).StatusCode);
        var link = await app.Db(db => db.OutboxMessages.Where(m => m.Recipients.Contains(email) && m.Kind == EmailKind.PasswordReset)
            .Select(m => m.TextBody).SingleAsync());
        var path = WebUtility.HtmlDecode(SetPasswordLink().Match(link).Value);
        var token = Uri.UnescapeDataString(Regex.Match(path, "jeton=([^&]+)").Groups[1].Value);
        var set = await From(source).PostForm(path, new() { ["Email"] = email, ["Jeton"] = token, ["Password"] = "Un-Autre-Mot-De-Passe-2026", ["Confirmation"] = "Un-Autre-Mot-De-Passe-2026" });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        var events = await EventsFrom(source);
        var requests = events.Where(e => e.Kind == SecurityEventKind.PasswordResetRequested).ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal((id, "E-mail de réinitialisation envoyé."), (requests.Single(e => e.SubjectEmail == email).SubjectId, requests.Single(e => e.SubjectEmail == email).Detail));
        Assert.Equal("Adresse inconnue : aucun e-mail envoyé.", requests.Single(e => e.SubjectEmail == unknown).Detail);
        var passwordSet = Single(events, SecurityEventKind.PasswordSet);
        Assert.Equal((id, email), (passwordSet.SubjectId, passwordSet.SubjectEmail));
    }

    [Fact]
    public async Task A_wrong_reset_link_journals_no_new_password()
    {
        var (_, email) = await NewVendor();
        var source = NewSource();
        var path = AccountAdmin.SetPasswordPath(email, "faux-jeton");
        var refused = await From(source).PostForm(path, new() { ["Email"] = email, ["Jeton"] = "faux-jeton", ["Password"] = "Un-Autre-Mot-De-Passe-2026", ["Confirmation"] = "Un-Autre-Mot-De-Passe-2026" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Empty(await EventsFrom(source));
    }

    [Fact]
    public async Task Creating_and_revoking_an_API_token_are_journaled()
    {
        var (id, email) = await NewVendor();
        var source = NewSource();
        var browser = await SignedInFrom(source, email, Password);
        var created = await browser.PostForm("/compte/jetons?handler=Create", new() { ["Name"] = "Serveur de dépôt" }, "/compte/jetons");
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var list = await browser.GetStringAsync("/compte/jetons");
        var tokenId = Regex.Match(list, "name=\"id\" value=\"(\\d+)\"").Groups[1].Value;
        Assert.Equal(HttpStatusCode.OK, (await browser.PostForm("/compte/jetons?handler=Revoke", new() { ["id"] = tokenId }, "/compte/jetons")).StatusCode);
        // Revoking it again finds nothing, and journals nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await browser.PostForm("/compte/jetons?handler=Revoke", new() { ["id"] = tokenId }, "/compte/jetons")).StatusCode);

        var events = await EventsFrom(source);
        var made = Single(events, SecurityEventKind.ApiTokenCreated);
        var revoked = Single(events, SecurityEventKind.ApiTokenRevoked);
        foreach (var e in new[] { made, revoked })
        {
            Assert.Equal((id, email, id), (e.ActorId, e.ActorEmail, e.SubjectId));
            Assert.Contains("« Serveur de dépôt »", e.Detail);
        }
    }

    [Fact]
    public async Task Creating_deactivating_and_reactivating_an_account_are_journaled_with_the_administrator_as_actor()
    {
        var source = NewSource();
        var admin = await SignedInFrom(source, "admin@asp.test");
        var adminId = await app.Db(db => db.Users.Where(u => u.Email == "admin@asp.test").Select(u => u.Id).SingleAsync());
        var orgId = await app.Db(db => db.Organisations.Where(o => o.Siret == "90000001900019").Select(o => o.Id).SingleAsync());
        var page = $"/admin/organismes/{orgId}";
        var email = $"nouveau-{Guid.NewGuid():N}@agendapro.test";
        Assert.Equal(HttpStatusCode.OK, (await admin.PostForm(page + "?handler=Utilisateur", new() { ["Email"] = email, ["FullName"] = "Nouvel Éditeur" }, page)).StatusCode);
        var userId = await app.Db(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());
        await admin.PostForm(page + "?handler=Basculer", new() { ["userId"] = userId }, page);
        await admin.PostForm(page + "?handler=Basculer", new() { ["userId"] = userId }, page);

        var events = (await EventsFrom(source)).Where(e => e.SubjectId == userId).ToList();
        Assert.Equal([SecurityEventKind.AccountCreated, SecurityEventKind.AccountDeactivated, SecurityEventKind.AccountReactivated], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.Equal((adminId, "admin@asp.test", email), (e.ActorId, e.ActorEmail, e.SubjectEmail)));
        Assert.Contains("Rôle Fournisseur, organisme AgendaPro", events[0].Detail);
    }

    [Fact]
    public async Task An_account_created_by_the_create_user_verb_is_journaled_from_the_command_line()
    {
        var email = $"verbe-{Guid.NewGuid():N}@asp.test";
        var (code, output, error) = await app.RunVerbAsync("create-user", "--email", email, "--role", "Gestionnaire", "--password", "Un-Mot-De-Passe-2026");
        Assert.True(code == 0, output + error);
        var created = await app.Db(db => db.SecurityEvents.AsNoTracking().SingleAsync(e => e.SubjectEmail == email));
        Assert.Equal(SecurityEventKind.AccountCreated, created.Kind);
        Assert.Equal((null, null, "ligne de commande"), (created.ActorId, created.ActorEmail, created.Source));
        Assert.Equal("Rôle Gestionnaire ; mot de passe fourni.", created.Detail);
        // On the page, the actor is the command line.
        var admin = await app.SignedIn("admin@asp.test");
        var row = Regex.Match(await admin.GetStringAsync("/admin/journal?q=" + Uri.EscapeDataString(email)), "<tbody>.*?</tbody>", RegexOptions.Singleline).Value;
        Assert.Contains("<td>ligne de commande</td>", row);
    }

    [Fact]
    public async Task Only_administrators_see_the_journal_and_its_export()
    {
        foreach (var url in new[] { "/admin/journal", "/admin/journal/export.csv" })
        {
            var anonymous = await app.Anonymous().GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.StartsWith("/connexion", anonymous.Headers.Location!.PathAndQuery);
            foreach (var email in new[] { "gestionnaire@asp.test", "editeur@agendapro.test", "assistance@asp.test" })
            {
                var refused = await (await app.SignedIn(email)).GetAsync(url);
                Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
                Assert.StartsWith("/acces-refuse", refused.Headers.Location!.PathAndQuery);
            }
            Assert.Equal(HttpStatusCode.OK, (await (await app.SignedIn("admin@asp.test")).GetAsync(url)).StatusCode);
        }
        // The API tokens do not open it either.
        Assert.NotEqual(HttpStatusCode.OK, (await app.Bearer("demo-gestionnaire").GetAsync("/admin/journal/export.csv")).StatusCode);
    }

    /// <summary>Rows written as the journal would write them, at chosen instants, all carrying <paramref name="marker"/>.</summary>
    private Task Seed(string marker, params (DateTime At, SecurityEventKind Kind, string Subject, string? UserAgent)[] rows) => app.Db(async db =>
    {
        foreach (var r in rows)
            db.SecurityEvents.Add(new SecurityEvent
            {
                At = r.At, Kind = r.Kind, SubjectEmail = r.Subject, Source = "192.0.2.7", UserAgent = r.UserAgent, Detail = marker,
            });
        return await db.SaveChangesAsync();
    });

    [Fact]
    public async Task Filters_and_export_return_the_expected_rows_newest_first_and_neutralise_formulas()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        var at = new DateTime(2031, 5, 14, 8, 0, 0, DateTimeKind.Utc);
        await Seed(marker,
            (at, SecurityEventKind.SignInFailed, $"=cmd|' /C calc'!A0-{marker}@x.test", "Mozilla/5.0"),
            (at.AddMinutes(1), SecurityEventKind.SignInFailed, $"alice-{marker}@x.test", "=HYPERLINK(\"http://evil\")"),
            (at.AddMinutes(2), SecurityEventKind.SignInSucceeded, $"alice-{marker}@x.test", null));
        var admin = await app.SignedIn("admin@asp.test");

        var failedOnly = await admin.GetStringAsync($"/admin/journal?q={marker}&evenement=CONNEXION_ECHOUEE");
        Assert.Contains("2 événements", failedOnly);
        Assert.DoesNotContain("Connexion réussie</td>", failedOnly);
        var alice = await admin.GetStringAsync($"/admin/journal?q=ALICE-{marker}");
        Assert.Contains("2 événements", alice);
        // Newest first, in Paris time (UTC+2 in May).
        Assert.True(alice.IndexOf("14/05/2031 10:02:00", StringComparison.Ordinal) < alice.IndexOf("14/05/2031 10:01:00", StringComparison.Ordinal));
        Assert.Contains("1 événement", await admin.GetStringAsync($"/admin/journal?q={marker}&evenement=CONNEXION_REUSSIE"));

        var export = await admin.GetAsync($"/admin/journal/export.csv?q={marker}&evenement=CONNEXION_ECHOUEE");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", export.Headers.CacheControl?.ToString());
        var bytes = await export.Content.ReadAsByteArrayAsync();
        Assert.Equal(Encoding.UTF8.Preamble.ToArray(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Date (heure de Paris);Événement;Code;Auteur;Compte concerné;Source;Navigateur;Détail", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"14/05/2031 10:01:00;Connexion échouée;CONNEXION_ECHOUEE;anonyme;alice-{marker}@x.test;192.0.2.7;\"'=HYPERLINK(\"\"http://evil\"\")\";{marker}", lines[1]);
        Assert.StartsWith($"14/05/2031 10:00:00;Connexion échouée;CONNEXION_ECHOUEE;anonyme;'=cmd|' /C calc'!A0-{marker}@x.test;192.0.2.7;Mozilla/5.0;{marker}", lines[2]);
    }

    [Fact]
    public async Task A_CSV_export_of_a_period_holds_the_events_of_those_Paris_days_only()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        // 10 March 2032, 23:30 in Paris is 22:30 UTC; 12 March 00:30 in Paris is 11 March 23:30 UTC.
        await Seed(marker,
            (new DateTime(2032, 3, 10, 22, 30, 0, DateTimeKind.Utc), SecurityEventKind.ApiTokenCreated, $"avant-{marker}@x.test", null),
            (new DateTime(2032, 3, 10, 23, 0, 0, DateTimeKind.Utc), SecurityEventKind.ApiTokenCreated, $"debut-{marker}@x.test", null),
            (new DateTime(2032, 3, 11, 22, 59, 59, DateTimeKind.Utc), SecurityEventKind.ApiTokenRevoked, $"fin-{marker}@x.test", null),
            (new DateTime(2032, 3, 11, 23, 30, 0, DateTimeKind.Utc), SecurityEventKind.ApiTokenRevoked, $"apres-{marker}@x.test", null));
        var admin = await app.SignedIn("admin@asp.test");
        var csv = await admin.GetStringAsync($"/admin/journal/export.csv?du=2032-03-11&au=2032-03-11&q={marker}");
        var lines = csv.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"11/03/2032 23:59:59;Jeton d'API révoqué;JETON_REVOQUE;anonyme;fin-{marker}@x.test;", lines[1]);
        Assert.StartsWith($"11/03/2032 00:00:00;Jeton d'API créé;JETON_CREE;anonyme;debut-{marker}@x.test;", lines[2]);
    }

    [Theory]
    [InlineData("du=2031-13-01", "aaaa-mm-jj")]
    [InlineData("au=1999-12-31", "l'an 2000")]
    [InlineData("du=2031-05-02&au=2031-05-01", "La date de fin doit suivre la date de début.")]
    [InlineData("evenement=PIRATAGE", "Événement inconnu « PIRATAGE ».")]
    [InlineData("page=0", "Le numéro de page doit être un entier positif.")]
    public async Task A_bad_filter_is_a_French_400_on_the_page_and_on_the_export(string query, string message)
    {
        var admin = await app.SignedIn("admin@asp.test");
        var page = await admin.GetAsync("/admin/journal?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains(message, WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync()));
        var export = await admin.GetAsync("/admin/journal/export.csv?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, export.StatusCode);
        Assert.Equal("application/problem+json", export.Content.Headers.ContentType?.MediaType);
        Assert.Contains(message, Readable.Of(await export.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_journal_pages_fifty_events_at_a_time()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        var at = new DateTime(2033, 1, 5, 12, 0, 0, DateTimeKind.Utc);
        await Seed(marker, Enumerable.Range(0, 51).Select(i => (at.AddSeconds(i), SecurityEventKind.SignedOut, $"page-{i:00}-{marker}@x.test", (string?)null)).ToArray());
        var admin = await app.SignedIn("admin@asp.test");
        var first = await admin.GetStringAsync($"/admin/journal?q={marker}");
        Assert.Contains("51 événements — page 1 sur 2", first);
        Assert.Contains($"page-50-{marker}", first);
        Assert.DoesNotContain($"page-00-{marker}", first);
        var second = await admin.GetStringAsync($"/admin/journal?q={marker}&page=2");
        Assert.Contains($"page-00-{marker}", second);
        Assert.DoesNotContain($"page-01-{marker}", second);
    }

    [Fact]
    public async Task The_retention_purge_deletes_only_the_events_older_than_the_retention()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        var now = app.Clock.UtcNow;
        await Seed(marker,
            (now.AddDays(-401), SecurityEventKind.SignInFailed, $"ancien-{marker}@x.test", null),
            (now.AddDays(-399), SecurityEventKind.SignInFailed, $"recent-{marker}@x.test", null));
        using (var scope = app.Services.CreateScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<SecurityJournalPurge>().RunAsync() >= 1);
        var left = await app.Db(db => db.SecurityEvents.Where(e => e.Detail == marker).Select(e => e.SubjectEmail).ToListAsync());
        Assert.Equal([$"recent-{marker}@x.test"], left);
    }

    [Fact]
    public async Task The_administration_home_links_to_the_journal()
    {
        var admin = await app.SignedIn("admin@asp.test");
        Assert.Contains("href=\"/admin/journal\"", await admin.GetStringAsync("/admin"));
    }

    private static string WithoutToken(string html) => AntiforgeryValue().Replace(html, "");

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"[^\"]+\"")]
    private static partial Regex AntiforgeryValue();

    [GeneratedRegex(@"/compte/definir-mot-de-passe\?[^\s""<>]+")]
    private static partial Regex SetPasswordLink();
}

public sealed class SecurityJournalTestsOnSqlite(JournalSqliteApp app) : SecurityJournalTests(app), IClassFixture<JournalSqliteApp>;

public sealed class SecurityJournalTestsOnPostgres(JournalPostgresApp app) : SecurityJournalTests(app), IClassFixture<JournalPostgresApp>;

/// <summary>A journal that cannot be written (its table gone) changes no sign-in answer: logged, never a 500.</summary>
public abstract class SecurityJournalOutageTests(JournalApp app)
{
    [Fact]
    public async Task Without_its_table_the_journal_leaves_sign_in_answers_as_they_were()
    {
        await app.Db(db => db.Database.ExecuteSqlRawAsync("ALTER TABLE \"SecurityEvents\" RENAME TO \"SecurityEventsAway\""));
        try
        {
            var client = app.Anonymous();
            var unknown = await client.PostForm("/connexion", new() { ["Email"] = "personne@nulle-part.test", ["Password"] = "mauvais" });
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
            Assert.Contains("Adresse e-mail ou mot de passe incorrect", await unknown.Content.ReadAsStringAsync());
            var wrong = await client.PostForm("/connexion", new() { ["Email"] = "editeur@agendapro.test", ["Password"] = "mauvais" });
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            var right = await client.PostForm("/connexion", new() { ["Email"] = "editeur@agendapro.test", ["Password"] = Guichet.Demo.DemoSeeder.Password });
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/demandes")).StatusCode);
        }
        finally
        {
            await app.Db(db => db.Database.ExecuteSqlRawAsync("ALTER TABLE \"SecurityEventsAway\" RENAME TO \"SecurityEvents\""));
        }
    }
}

public sealed class SecurityJournalOutageTestsOnSqlite(JournalSqliteApp app) : SecurityJournalOutageTests(app), IClassFixture<JournalSqliteApp>;

public sealed class SecurityJournalOutageTestsOnPostgres(JournalPostgresApp app) : SecurityJournalOutageTests(app), IClassFixture<JournalPostgresApp>;

/// <summary>A flood of refused sign-ins or reset requests writes one journal row per limit and window, not one per request.</summary>
public abstract class SecurityJournalThrottleTests(LimitedApp app)
{
    private Task<List<SecurityEvent>> ThrottledFrom(string source) => app.Db(db =>
        db.SecurityEvents.AsNoTracking().Where(e => e.Source == source && e.Kind == SecurityEventKind.SignInThrottled).OrderBy(e => e.Id).ToListAsync());

    [Fact]
    public async Task A_flood_of_throttled_sign_ins_writes_one_row_per_partition_and_window()
    {
        // Limits of LimitedApp: 3 sign-ins per address, 5 per source, per 10 minutes.
        const string source = "203.0.113.201";
        var address = $"cible-{Guid.NewGuid():N}@nulle-part.test";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 25; i++)
            statuses.Add((await app.From(source).PostForm("/connexion", new() { ["Email"] = address, ["Password"] = "mauvais" })).StatusCode);
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.BadRequest));
        Assert.Equal(22, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        // Then the same source tries other addresses until its own limit refuses them too.
        for (var i = 0; i < 25; i++)
            await app.From(source).PostForm("/connexion", new() { ["Email"] = $"autre-{Guid.NewGuid():N}@nulle-part.test", ["Password"] = "mauvais" });

        var rows = await ThrottledFrom(source);
        Assert.Equal(2, rows.Count);
        Assert.Equal(address, rows[0].SubjectEmail);
        Assert.Contains("Se connecter : limite par adresse saisie atteinte (3 essais en 10 minutes)", rows[0].Detail);
        Assert.Contains("Se connecter : limite par adresse IP atteinte (5 essais en 10 minutes)", rows[1].Detail);
        // The failures that reached the page are journaled one by one: 3 on the address, then 2 more until the source's limit.
        Assert.Equal(5, await app.Db(db => db.SecurityEvents.CountAsync(e => e.Source == source && e.Kind == SecurityEventKind.SignInFailed)));
    }

    [Fact]
    public async Task A_flood_of_throttled_reset_requests_writes_one_row()
    {
        const string source = "203.0.113.202";
        var address = $"oubli-{Guid.NewGuid():N}@nulle-part.test";
        for (var i = 0; i < 20; i++)
            await app.From(source).PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = address });
        var row = Assert.Single(await ThrottledFrom(source));
        Assert.Equal(address, row.SubjectEmail);
        Assert.StartsWith("Mot de passe oublié : limite par adresse saisie atteinte", row.Detail);
    }
}

public sealed class SecurityJournalThrottleTestsOnSqlite(LimitedSqliteApp app) : SecurityJournalThrottleTests(app), IClassFixture<LimitedSqliteApp>;

public sealed class SecurityJournalThrottleTestsOnPostgres(LimitedPostgresApp app) : SecurityJournalThrottleTests(app), IClassFixture<LimitedPostgresApp>;
