using System.Net;
using System.Text.RegularExpressions;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>Administration: organisations, users with their account e-mail, solutions and scheme settings, on each provider.</summary>
public abstract partial class AdminTests(GuichetApp app)
{
    private async Task<string> LinkOf(string email, EmailKind kind)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var text = await db.OutboxMessages.Where(m => m.Recipients.Contains(email) && m.Kind == kind).OrderByDescending(m => m.Id).Select(m => m.TextBody).FirstAsync();
        return WebUtility.HtmlDecode(SetPasswordLink().Match(text).Value);
    }

    [Theory]
    [InlineData("editeur@agendapro.test")]
    [InlineData("gestionnaire@asp.test")]
    [InlineData("assistance@asp.test")]
    public async Task Only_administrators_reach_the_administration(string email)
    {
        var client = await app.SignedIn(email);
        foreach (var url in new[] { "/admin", "/admin/agence", "/admin/dispositifs", "/admin/organismes/1" })
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/acces-refuse", response.Headers.Location!.PathAndQuery);
        }
        Assert.Equal(HttpStatusCode.OK, (await (await app.SignedIn("admin@asp.test")).GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task An_organisation_needs_a_valid_unique_SIRET_then_gets_users_who_choose_their_password()
    {
        var admin = await app.SignedIn("admin@asp.test");
        var bad = await admin.PostForm("/admin", new() { ["Name"] = "Éditeur Test", ["Siret"] = "12345678901234" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Luhn", await bad.Content.ReadAsStringAsync());
        var duplicate = await admin.PostForm("/admin", new() { ["Name"] = "Copie", ["Siret"] = "90000001900019" });
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("existe déjà", await duplicate.Content.ReadAsStringAsync());

        var siret = DemoSiret();
        var created = await admin.PostForm("/admin", new() { ["Name"] = "Éditeur Test", ["Siret"] = siret });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        var page = created.Headers.Location!.OriginalString;

        var email = $"nouveau-{Guid.NewGuid():N}@editeur.test";
        var user = await admin.PostForm(page + "?handler=Utilisateur", new() { ["Email"] = email, ["FullName"] = "Nouvel Éditeur" }, page);
        Assert.Equal(HttpStatusCode.OK, user.StatusCode);
        var solution = await admin.PostForm(page + "?handler=Solution", new()
        {
            ["SolutionName"] = "Test Agenda", ["SolutionVersion"] = "1", ["ReferencingNumber"] = $"SAS-EFF-T-{Guid.NewGuid():N}"[..30],
            ["ReferencingDate"] = "2025-10-01", ["SchemeCode"] = "SAS_EFFECTEUR",
        }, page);
        Assert.Contains("Test Agenda", await solution.Content.ReadAsStringAsync());

        // The account e-mail's link lets the user choose a password, then sign in.
        var link = await LinkOf(email, EmailKind.AccountCreated);
        var anonymous = app.Anonymous();
        var weak = await anonymous.PostForm(link, new() { ["Email"] = email, ["Jeton"] = Token(link), ["Password"] = "court", ["Confirmation"] = "court" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        var set = await anonymous.PostForm(link, new() { ["Email"] = email, ["Jeton"] = Token(link), ["Password"] = "Un-Mot-De-Passe-2026", ["Confirmation"] = "Un-Mot-De-Passe-2026" });
        var setHtml = await set.Content.ReadAsStringAsync();
        Assert.True(setHtml.Contains("Votre mot de passe est enregistré"), link + "\n" + Regex.Match(setHtml, "id=\"erreurs\".{0,400}", RegexOptions.Singleline).Value);
        var signedIn = await app.SignedIn(email, "Un-Mot-De-Passe-2026");
        Assert.Contains("Suivi des demandes de financement", await signedIn.GetStringAsync("/demandes"));

        // The link works once.
        var again = await anonymous.PostForm(link, new() { ["Email"] = email, ["Jeton"] = Token(link), ["Password"] = "Autre-Mot-De-Passe-2026", ["Confirmation"] = "Autre-Mot-De-Passe-2026" });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("n'est plus valable", WebUtility.HtmlDecode(await again.Content.ReadAsStringAsync()));

        // Deactivated: no sign-in.
        var orgPage = await admin.GetStringAsync(page);
        var userId = Regex.Match(orgPage, "name=\"userId\" value=\"([^\"]+)\"").Groups[1].Value;
        await admin.PostForm(page + "?handler=Basculer", new() { ["userId"] = userId }, page);
        var refused = await anonymous.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = "Un-Mot-De-Passe-2026" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task Forgot_password_answers_the_same_for_unknown_accounts_and_mails_known_ones()
    {
        var client = app.Anonymous();
        var unknown = await client.PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = "personne@nulle-part.test" });
        var known = await client.PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = "assistance@asp.test" });
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        var text = "Si un compte actif correspond à cette adresse";
        Assert.Contains(text, await unknown.Content.ReadAsStringAsync());
        Assert.Contains(text, await known.Content.ReadAsStringAsync());
        Assert.StartsWith("/compte/definir-mot-de-passe?email=assistance%40asp.test&jeton=", await LinkOf("assistance@asp.test", EmailKind.PasswordReset));
    }

    [Fact]
    public async Task Agency_users_are_created_with_a_role_and_an_account_email()
    {
        var admin = await app.SignedIn("admin@asp.test");
        var email = $"agent-{Guid.NewGuid():N}@asp.test";
        var vendorRole = await admin.PostForm("/admin/agence", new() { ["Email"] = email, ["Role"] = "Fournisseur" });
        Assert.Equal(HttpStatusCode.BadRequest, vendorRole.StatusCode);
        var ok = await admin.PostForm("/admin/agence", new() { ["Email"] = email, ["FullName"] = "Agent Test", ["Role"] = "Gestionnaire" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains(email, await ok.Content.ReadAsStringAsync());
        Assert.StartsWith("/compte/definir-mot-de-passe", await LinkOf(email, EmailKind.AccountCreated));
        var duplicate = await admin.PostForm("/admin/agence", new() { ["Email"] = email, ["Role"] = "Gestionnaire" });
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
    }

    [Fact]
    public async Task Scheme_settings_are_validated_and_saved()
    {
        var admin = await app.SignedIn("admin@asp.test");
        var fields = new Dictionary<string, string>
        {
            ["Label"] = "SAS — solutions des Effecteurs", ["FlatAmount"] = "1200,00", ["AdvanceSharePercent"] = "30",
            ["AdvanceOpensAt"] = "2025-01-01T00:00", ["AdvanceClosesAt"] = "2027-12-31T23:59", ["BalanceOpensAt"] = "2025-01-01T00:00",
            ["BalanceClosesAt"] = "2027-12-31T23:59", ["ClientIdTypes"] = "RPPS", ["ReminderDelayDays"] = "10", ["ClosingDelayDays"] = "10",
            ["ContactEditable"] = "true", ["AttachmentsMayBeAdded"] = "true",
        };
        var refused = await admin.PostForm("/admin/dispositifs/SAS_EFFECTEUR", fields, "/admin/dispositifs");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Le délai de clôture doit dépasser celui de la relance", await refused.Content.ReadAsStringAsync());
        using (var scope = app.Services.CreateScope())
            Assert.Equal(1000m, (await scope.ServiceProvider.GetRequiredService<GuichetDbContext>().Schemes.SingleAsync(s => s.Code == "SAS_EFFECTEUR")).FlatAmount);

        fields["ClosingDelayDays"] = "20";
        var saved = await admin.PostForm("/admin/dispositifs/SAS_EFFECTEUR", fields, "/admin/dispositifs");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        try
        {
            using var scope = app.Services.CreateScope();
            var scheme = await scope.ServiceProvider.GetRequiredService<GuichetDbContext>().Schemes.AsNoTracking().SingleAsync(s => s.Code == "SAS_EFFECTEUR");
            Assert.Equal(1200m, scheme.FlatAmount);
            Assert.Equal("RPPS", scheme.AcceptedClientIdTypes);
            Assert.Equal(ParisCalendar.ParisToUtc(new DateTime(2027, 12, 31, 23, 59, 0)), scheme.AdvanceClosesAt);
        }
        finally
        {
            fields["FlatAmount"] = "1000"; fields["ClientIdTypes"] = "RPPS";
            await admin.PostForm("/admin/dispositifs/SAS_EFFECTEUR", fields, "/admin/dispositifs");
            using var scope = app.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var scheme = await db.Schemes.SingleAsync(s => s.Code == "SAS_EFFECTEUR");
            scheme.AcceptedClientIdTypes = "RPPS,SIRET,FINESS";
            await db.SaveChangesAsync();
        }
    }

    private static string Token(string link) => Uri.UnescapeDataString(Regex.Match(link, "jeton=([^&]+)").Groups[1].Value);

    /// <summary>A Luhn-valid SIRET not used by the demo data.</summary>
    private static string DemoSiret()
    {
        var body = "8" + Random.Shared.NextInt64(100_000_000_000L, 999_999_999_999L).ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var d = 0; d <= 9; d++) if (Identifiers.Luhn(body + d)) return body + d;
        throw new InvalidOperationException();
    }

    [GeneratedRegex(@"/compte/definir-mot-de-passe\?[^\s""<>]+")]
    private static partial Regex SetPasswordLink();
}

public sealed class AdminTestsOnSqlite(SqliteApp app) : AdminTests(app), IClassFixture<SqliteApp>;

public sealed class AdminTestsOnPostgres(PostgresApp app) : AdminTests(app), IClassFixture<PostgresApp>;
