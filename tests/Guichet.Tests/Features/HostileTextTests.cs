using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Guichet.Domain;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features;

/// <summary>Hostile text at every door that reads text: a French 400, never a 5xx, and nothing stored.</summary>
public abstract class HostileTextTests(GuichetApp app)
{
    private HttpClient AgendaPro => app.Bearer("demo-agendapro");
    private HttpClient Manager => app.Bearer("demo-gestionnaire");

    private static ByteArrayContent RawJson(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A JSON object whose one string value holds the raw bytes given (not valid UTF-8 where the test wants it).</summary>
    private static ByteArrayContent WithRawValue(string before, byte[] value, string after) =>
        RawJson([.. Encoding.UTF8.GetBytes(before), .. value, .. Encoding.UTF8.GetBytes(after)]);

    private static async Task AssertFrench400(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty((await Json(response)).GetProperty("erreurs").EnumerateArray());
    }

    public static TheoryData<string, byte[]> BadContacts => new()
    {
        { "invalid UTF-8", [0xC3, 0x28] },
        { "Windows-1252 é", [0x65, 0x78, 0xE9] },
        { "unpaired surrogate escape", Encoding.ASCII.GetBytes("a\\ud800b@exemple.fr") },
        { "NUL", Encoding.ASCII.GetBytes("support\\u0000@agendapro.test") },
        { "ESC", Encoding.ASCII.GetBytes("support\\u001b@agendapro.test") },
        { "CR LF", Encoding.ASCII.GetBytes("support@agendapro.test\\r\\nBcc: x@y.fr") },
        { "NUL in a URL", Encoding.ASCII.GetBytes("https://support.agendapro.test/sas\\u0000") },
        { "tab in a URL", Encoding.ASCII.GetBytes("https://support.agendapro.test/\\tsas") },
    };

    [Theory]
    [MemberData(nameof(BadContacts))]
    public async Task A_hostile_contact_in_the_modification_patch_is_a_French_400_and_the_draft_stays_empty(string kind, byte[] value)
    {
        var number = await app.NewAsync(RequestStatus.AModifier);
        var response = await AgendaPro.PatchAsync($"/api/v1/demandes/{number}/modification",
            WithRawValue("{\"informations\":{\"contactSupport\":\"", value, "\"}}"));
        await AssertFrench400(response);
        var request = await app.LoadAsync(number);
        Assert.True(request.OpenRound!.Draft.Count == 0, kind);
        Assert.Equal(RequestStatus.AModifier, request.Status);
    }

    /// <summary>The published example with its first client's name replaced by <paramref name="name"/>, as raw bytes.</summary>
    private async Task<byte[]> ExampleWithClientName(byte[] name)
    {
        var example = await DepositFiles.Example(app.Anonymous());
        var d = DepositFiles.FreshAdvance(example, DepositFiles.NextSeed());
        d["client"]!["nom"] = "@@NOM@@";
        var parts = DepositFiles.With(example, d).ToJsonString().Split("@@NOM@@");
        return [.. Encoding.UTF8.GetBytes(parts[0]), .. name, .. Encoding.UTF8.GetBytes(parts[1])];
    }

    public static TheoryData<string, byte[]> BadNames => new()
    {
        { "invalid UTF-8", [0x44, 0x72, 0xC3, 0x28] },
        { "Windows-1252 é", [0x52, 0xE9, 0x6D, 0x79] },
        { "unpaired surrogate escape", Encoding.ASCII.GetBytes("Dr \\udc00 Martin") },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task A_badly_encoded_file_is_a_French_400_in_the_simulator_and_the_deposit_and_nothing_is_stored(string kind, byte[] name)
    {
        var json = await ExampleWithClientName(name);
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        var simulated = await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(json, zip));
        Assert.True(simulated.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{kind}: {(int)simulated.StatusCode}");
        var verdict = await Json(simulated);
        if (simulated.StatusCode == HttpStatusCode.OK) Assert.False(verdict.GetProperty("valide").GetBoolean(), kind);
        Assert.Contains(verdict.GetProperty("erreurs").EnumerateArray(), e => e.GetProperty("message").GetString()!.Contains("UTF-8")
            || e.GetProperty("message").GetString()!.Contains("échappé"));

        var before = await app.Db(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Requests));
        var deposited = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(json, zip));
        Assert.Equal(HttpStatusCode.BadRequest, deposited.StatusCode);
        Assert.Equal(before, await app.Db(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Requests)));
    }

    [Fact]
    public async Task A_file_written_with_a_byte_order_mark_is_read_as_UTF_8()
    {
        var json = await ExampleWithClientName(Encoding.UTF8.GetBytes("Dr Élise Martin"));
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        var simulated = await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form([0xEF, 0xBB, 0xBF, .. json], zip));
        Assert.Equal(HttpStatusCode.OK, simulated.StatusCode);
        Assert.True((await Json(simulated)).GetProperty("valide").GetBoolean());
    }

    [Fact]
    public async Task An_empty_item_when_opening_a_round_is_a_French_400_and_nothing_changes()
    {
        var number = await app.NewAsync();
        foreach (var body in new[] { "{\"commentaire\":\"Corrigez.\",\"elements\":[null]}", "{\"commentaire\":\"Corrigez.\",\"elements\":[\"\"]}",
                     "{\"commentaire\":\"Corrigez.\",\"elements\":[null,\"informations.contactSupport\"]}" })
            await AssertFrench400(await Manager.PostAsync($"/api/v1/demandes/{number}/demande-de-modification", Body(body)));
        Assert.Equal(RequestStatus.EnCours, (await app.LoadAsync(number)).Status);
        Assert.Empty(await app.MailsAsync(number));
    }

    [Fact]
    public async Task A_control_character_in_a_comment_or_a_reason_is_a_French_400_and_nothing_is_stored()
    {
        var number = await app.NewAsync();
        await AssertFrench400(await Manager.PostAsync($"/api/v1/demandes/{number}/demande-de-modification",
            Body("{\"commentaire\":\"Corrigez\\u0000 le contact.\",\"elements\":[\"informations.contactSupport\"]}")));
        await AssertFrench400(await Manager.PostAsync($"/api/v1/demandes/{number}/rejeter", Body("{\"motif\":\"Hors d\\u001bélais.\"}")));
        await AssertFrench400(await Manager.PostAsync($"/api/v1/demandes/{number}/rejeter",
            WithRawValue("{\"motif\":\"", [0xFF, 0xFE], "\"}")));
        var request = await app.LoadAsync(number);
        Assert.Equal(RequestStatus.EnCours, request.Status);
        Assert.Empty(request.Rounds);
        Assert.Empty(await app.MailsAsync(number));

        // Line breaks stay welcome in a reason.
        var rejected = await Manager.PostAsync($"/api/v1/demandes/{number}/rejeter", Body("{\"motif\":\"Pièces non conformes.\\r\\nVoir la facture.\"}"));
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
    }

    [Fact]
    public async Task A_far_date_in_the_queue_filters_is_a_French_400_on_the_page_and_the_export()
    {
        var manager = await app.SignedIn("gestionnaire@asp.test");
        foreach (var query in new[] { "deposeAu=9999-12-31", "deposeDu=0001-01-01" })
        {
            var page = await manager.GetAsync("/instruction?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
            Assert.Contains("comprise entre l'an 2000 et l'an 2100", WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync()));
            var export = await manager.GetAsync("/instruction/export.csv?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, export.StatusCode);
        }
    }

    [Theory]
    [InlineData("/depots/nouveau")]
    [InlineData("/simulateur")]
    public async Task A_malformed_multipart_form_on_the_deposit_pages_is_a_French_400(string page)
    {
        var vendor = await app.SignedIn("editeur@agendapro.test");
        var body = new ByteArrayContent(Encoding.ASCII.GetBytes("--xyz\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{\"a\":1}\r\n--x"));
        body.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=xyz");
        var response = await vendor.PostAsync(page, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("Page introuvable", html);
        Assert.Contains("lang=\"fr\"", html);
    }

    [Fact]
    public async Task Signing_in_with_a_non_ASCII_return_address_lands_on_the_tracking_page()
    {
        var client = app.Anonymous();
        var response = await client.PostForm("/connexion?ReturnUrl=%2Fdemandes%2F%C3%A9t%C3%A9",
            new() { ["Email"] = "editeur@regulis.test", ["Password"] = "Guichet-Demo-2026!" }, "/connexion");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/demandes", response.Headers.Location?.OriginalString);
    }
}

public sealed class HostileTextTestsOnSqlite(SqliteApp app) : HostileTextTests(app), IClassFixture<SqliteApp>;

public sealed class HostileTextTestsOnPostgres(PostgresApp app) : HostileTextTests(app), IClassFixture<PostgresApp>;
