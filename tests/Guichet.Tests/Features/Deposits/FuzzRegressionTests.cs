using System.Net;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>Cases the fuzzer (FuzzingTests) found answered 500, kept by name: each is now a French 4xx and leaves no file.</summary>
public abstract class FuzzRegressionTests(GuichetApp app) : DepositScenario(app)
{
    public static TheoryData<string> BrokenFileNames() => new()
    {
        "filename=demandes.json; filename*",
        "filename*",
    };

    // Found by the fuzzer as a multipart body cut in the middle of a part's headers: the RFC 5987 file name was left
    // without a value, and reading the part threw ArgumentNullException (500).
    [Theory]
    [MemberData(nameof(BrokenFileNames))]
    public async Task A_part_whose_encoded_file_name_is_cut_is_a_malformed_form_not_a_500(string fileName)
    {
        foreach (var url in new[] { "/api/v1/simulations", "/api/v1/depots" })
        {
            var response = await AgendaPro.PostAsync(url, RawForm($"""
                --XyZ
                Content-Disposition: form-data; name="json"; {fileName}
                Content-Type: application/json

                {"{}"}
                --XyZ--

                """));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("mal formé", (await Json(response)).GetProperty("detail").GetString());
        }
        Assert.Empty(UploadLeftovers());
    }

    // The same header on the forms of a single attachment (complete a request, import into a draft), read by ASP.NET Core's form reader.
    [Fact]
    public async Task A_single_attachment_whose_encoded_file_name_is_cut_is_a_400_not_a_500()
    {
        var number = await App.NewAsync(Guichet.Domain.RequestStatus.AModifier);
        foreach (var url in new[] { $"/api/v1/demandes/{number}/pieces", $"/api/v1/demandes/{number}/modification/pieces" })
        {
            var response = await AgendaPro.PostAsync(url, RawForm("""
                --XyZ
                Content-Disposition: form-data; name="type"

                FACTURE
                --XyZ
                Content-Disposition: form-data; name="fichier"; filename*
                Content-Type: application/pdf

                %PDF-1.4
                --XyZ--

                """));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("mal formé", (await Json(response)).GetProperty("detail").GetString());
        }
    }

    // The same header on the pages « Compléter » and « Modifier » (« Importer »), whose forms MVC reads: a French 400 page.
    [Fact]
    public async Task A_page_form_whose_encoded_file_name_is_cut_is_a_400_page_not_a_500()
    {
        var incomplete = await App.NewAsync(Guichet.Domain.RequestStatus.Incomplete);
        var toModify = await App.NewAsync(Guichet.Domain.RequestStatus.AModifier);
        var browser = await App.SignedIn("editeur@agendapro.test");
        foreach (var (page, action) in new[] { ($"/demandes/{incomplete}/completer", $"/demandes/{incomplete}/completer"),
                     ($"/demandes/{toModify}/modifier", $"/demandes/{toModify}/modifier?handler=Importer") })
        {
            var token = AntiforgeryToken(await browser.GetStringAsync(page));
            var response = await browser.PostAsync(action, RawForm($$"""
                --XyZ
                Content-Disposition: form-data; name="__RequestVerificationToken"

                {{token}}
                --XyZ
                Content-Disposition: form-data; name="Type"

                FACTURE
                --XyZ
                Content-Disposition: form-data; name="Fichier"; filename*
                Content-Type: application/pdf

                %PDF-1.4
                --XyZ--

                """));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("mal formé", await response.Content.ReadAsStringAsync());
        }
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class FuzzRegressionTestsOnSqlite(SqliteApp app) : FuzzRegressionTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class FuzzRegressionTestsOnPostgres(PostgresApp app) : FuzzRegressionTests(app);
