using System.Net;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>A request deposited without its documents is « incomplète » until its vendor adds them over the API.</summary>
public abstract class CompletionTests(GuichetApp app) : DepositScenario(app)
{
    /// <summary>A fresh advance deposited without its ZIP: it must be « INCOMPLETE »; returns its number.</summary>
    private async Task<string> IncompleteRequest()
    {
        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(await FreshFile()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await Json(response)).GetProperty("demandes")[0];
        Assert.Equal("INCOMPLETE", created.GetProperty("statut").GetString());
        return created.GetProperty("numero").GetString()!;
    }

    private static MultipartFormDataContent PurchaseOrder(byte[] content) => DepositFiles.Piece("BON_DE_COMMANDE", content, "bc.pdf");

    [Fact]
    public async Task Without_its_zip_a_request_is_incomplete_and_listed_with_the_document_it_lacks()
    {
        var number = await IncompleteRequest();
        var html = await (await App.SignedIn("editeur@agendapro.test")).GetStringAsync("/demandes/incompletes");
        Assert.Contains(number, html);
        Assert.Contains("Bon de commande", html);
    }

    [Fact]
    public async Task Vendor_cannot_complete_a_request_with_a_file_that_is_not_what_its_extension_says()
    {
        var number = await IncompleteRequest();
        var refused = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces", PurchaseOrder("MZ\x90\0 exécutable"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("ne correspond pas à son extension", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Another_vendor_cannot_complete_a_request_it_does_not_own()
    {
        var number = await IncompleteRequest();
        var foreign = await App.Bearer("demo-regulis").PostAsync($"/api/v1/demandes/{number}/pieces", PurchaseOrder(DepositFiles.Pdf));
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task The_missing_document_completes_the_request_which_then_takes_no_more()
    {
        var number = await IncompleteRequest();
        var ok = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces", PurchaseOrder(DepositFiles.Pdf));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("EN_COURS", (await Json(ok)).GetProperty("statut").GetString());

        var again = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces", DepositFiles.Piece("AUTRE", DepositFiles.Pdf, "autre.pdf"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class CompletionTestsOnSqlite(SqliteApp app) : CompletionTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class CompletionTestsOnPostgres(PostgresApp app) : CompletionTests(app);
