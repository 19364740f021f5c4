using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Guichet.Tests.Support;

namespace Guichet.Tests.Features.Deposits;

/// <summary>
/// How a deposit arrives: the multipart form of the API (who may send it, its fields, its limits, its bad shapes) and the
/// « Déposer » page of the portal, with its antiforgery token.
/// </summary>
public abstract class DepositFormTests(GuichetApp app) : DepositScenario(app)
{
    [Fact]
    public async Task Manager_cannot_deposit()
    {
        var asManager = await App.Bearer("demo-gestionnaire").PostAsync("/api/v1/depots", DepositFiles.Form(await Example()));
        Assert.Equal(HttpStatusCode.Forbidden, asManager.StatusCode);
    }

    [Fact]
    public async Task A_form_without_its_json_field_is_a_400_and_a_body_that_is_not_multipart_a_415()
    {
        var empty = await AgendaPro.PostAsync("/api/v1/depots", new MultipartFormDataContent { { new StringContent("x"), "autre" } });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("champ « json »", Readable.Of(await empty.Content.ReadAsStringAsync()));
        var notMultipart = await AgendaPro.PostAsync("/api/v1/depots", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notMultipart.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_configured_limit_gets_413()
    {
        var huge = "{\"versionFormat\":\"1.0\",\"x\":\"" + new string('a', 9 * 1024 * 1024) + "\"}";
        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("taille maximale", await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, int, string> BadForms() => new()
    {
        { "noJson", 400, "champ « json »" },
        { "emptyJson", 400, "champ « json »" },
        { "jsonTooLarge", 413, "taille maximale" },
        { "notJsonName", 400, "fichier .json" },
        { "notZipName", 400, "archive .zip" },
        { "cutOff", 400, "mal formé" },
        { "noBoundary", 400, "mal formé" },
    };

    [Theory]
    [MemberData(nameof(BadForms))]
    public async Task A_bad_form_gets_its_French_4xx_and_leaves_no_file_behind(string kind, int status, string words)
    {
        var json = Encoding.UTF8.GetBytes((await FreshFile()).ToJsonString());
        var zip = ExampleZip();
        HttpContent form = kind switch
        {
            "noJson" => new MultipartFormDataContent { { Part(zip, "application/zip"), "zip", "pieces.zip" } },
            "emptyJson" => new MultipartFormDataContent { { Part([]), "json", "demandes.json" }, { Part(zip, "application/zip"), "zip", "pieces.zip" } },
            "jsonTooLarge" => new MultipartFormDataContent { { Part(zip, "application/zip"), "zip", "pieces.zip" }, { Part(new byte[9 * 1024 * 1024]), "json", "demandes.json" } },
            "notJsonName" => new MultipartFormDataContent { { Part(json), "json", "demandes.txt" } },
            "notZipName" => new MultipartFormDataContent { { Part(json), "json", "demandes.json" }, { Part(zip), "zip", "pieces.rar" } },
            "cutOff" => RawForm($"--XyZ\nContent-Disposition: form-data; name=\"zip\"; filename=\"pieces.zip\"\n\nPK0123456789\n--XyZ\nContent-Disposition: form-data; name=\"json\"; filename=\"demandes.json\"\n\n{{\"versionFormat\":"),
            _ => new ByteArrayContent(json) { Headers = { ContentType = MediaTypeHeaderValue.Parse("multipart/form-data") } },
        };
        var before = await TotalRequests();
        var response = await AgendaPro.PostAsync("/api/v1/depots", form);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(words, Readable.Of(await response.Content.ReadAsStringAsync()));
        Assert.Equal(before, await TotalRequests());
        Assert.Empty(UploadLeftovers());
    }

    [Fact]
    public async Task The_deposit_page_shows_the_created_requests_and_refuses_a_post_without_its_token()
    {
        var browser = await App.SignedIn("editeur@agendapro.test");
        var token = AntiforgeryToken(await browser.GetStringAsync("/depots/nouveau"));
        var form = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" }, { JsonPart(await FreshFile()), "Json", "demandes.json" } };
        var response = await browser.PostAsync("/depots/nouveau", form);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var result = await browser.GetStringAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("1 demande enregistrée", result);
        Assert.Contains("Incomplète", result);

        var noToken = await browser.PostAsync("/depots/nouveau", new MultipartFormDataContent { { JsonPart(await FreshFile()), "Json", "demandes.json" } });
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
    }

    [Fact]
    public async Task The_deposit_page_takes_a_zip_before_its_token_and_refuses_a_wrong_token_without_a_trace()
    {
        var browser = await App.SignedIn("editeur@agendapro.test");
        var token = AntiforgeryToken(await browser.GetStringAsync("/depots/nouveau"));
        async Task<MultipartFormDataContent> Form(string t) => new()
        {
            // A browser sends the fields in the order of the form: the token, at its end, comes after the files.
            { JsonPart(await FreshFile()), "Json", "demandes.json" },
            { Part(ExampleZip(), "application/zip"), "Zip", "pieces.zip" },
            { new StringContent(t), "__RequestVerificationToken" },
        };
        var files = await StoredFiles();
        var refused = await browser.PostAsync("/depots/nouveau", await Form("faux" + token));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(files, await StoredFiles());

        var response = await browser.PostAsync("/depots/nouveau", await Form(token));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var result = await browser.GetStringAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("1 demande enregistrée", result);
        Assert.Contains("archive pieces.zip", result);
        Assert.Equal(files + 1, await StoredFiles());
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class DepositFormTestsOnSqlite(SqliteApp app) : DepositFormTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class DepositFormTestsOnPostgres(PostgresApp app) : DepositFormTests(app);
