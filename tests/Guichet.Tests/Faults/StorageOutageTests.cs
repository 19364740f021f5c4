using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Guichet.Domain;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Faults;

/// <summary>
/// The S3 service stopped (its process killed, its port refusing connections) while the portal keeps running: a deposit,
/// a completion, an « Importer » of « Modifier » and a download answer a French 503 with Retry-After, write no row and
/// keep no file; the readiness check names « stockage »; once the service is back the same actions work, without a restart.
/// </summary>
public abstract partial class StorageOutageTests(S3App app) : IAsyncLifetime
{
    private const string StorageMessage = "Le stockage des pièces est momentanément indisponible. Réessayez dans quelques instants.";
    private HttpClient AgendaPro => app.Bearer("demo-agendapro");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    // A failed test must not leave the next one without its server.
    public async ValueTask DisposeAsync()
    {
        await app.S3.StartAgainAsync();
        GC.SuppressFinalize(this);
    }

    private async Task<System.Text.Json.Nodes.JsonObject> Example() => await DepositFiles.Example(app.Anonymous());

    private async Task<MultipartFormDataContent> OneAdvanceAsync(bool withZip = true)
    {
        var example = await Example();
        var file = DepositFiles.With(example, DepositFiles.FreshAdvance(example, DepositFiles.NextSeed()));
        return DepositFiles.Form(file, withZip ? DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf)) : null);
    }

    private Task<int> Jobs() => app.Db(db => db.DepositJobs.CountAsync());
    private Task<int> RequestRows() => app.Db(db => db.Requests.CountAsync());
    private Task<int> DocumentRows() => app.Db(db => db.Documents.CountAsync());

    /// <summary>What is left in the local working folder: uploads being received, deposit folders.</summary>
    private List<string> WorkingFiles() => Directory.Exists(app.StoragePath)
        ? Directory.GetFiles(app.StoragePath, "*", SearchOption.AllDirectories).ToList() : [];

    private static Task AssertStorageUnavailable(HttpResponseMessage response, bool api) =>
        FaultRequests.AssertUnavailable(response, api, StorageMessage, "Amazon", "base de données");

    [Fact]
    public async Task A_deposit_while_the_storage_is_down_is_a_503_in_French_that_writes_nothing_and_goes_through_once_it_is_back()
    {
        var objects = (await app.S3.ObjectsAsync()).Count;
        var (jobs, requests, documents) = (await Jobs(), await RequestRows(), await DocumentRows());
        await app.S3.StopAsync();

        await AssertStorageUnavailable(await AgendaPro.PostAsync("/api/v1/depots", await OneAdvanceAsync()), api: true);

        Assert.Equal((jobs, requests, documents), (await Jobs(), await RequestRows(), await DocumentRows()));
        Assert.Empty(WorkingFiles());
        await app.S3.StartAgainAsync();
        Assert.Equal(objects, (await app.S3.ObjectsAsync()).Count);
        var again = await AgendaPro.PostAsync("/api/v1/depots", await OneAdvanceAsync());
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(requests + 1, await RequestRows());
    }

    [Fact]
    public async Task A_background_deposit_cut_by_the_storage_going_away_ends_in_failure_in_French_with_no_request()
    {
        const int count = 300;
        var example = await Example();
        var prefix = "S3OUT-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var demandes = new System.Text.Json.Nodes.JsonArray();
        var files = new List<(string, byte[])>();
        for (var i = 0; i < count; i++)
        {
            var d = DepositFiles.FreshAdvance(example, DepositFiles.NextSeed());
            d["referenceFournisseur"] = $"{prefix}{i:D4}";
            d["piecesJointes"]![0]!["fichier"] = $"bc/{i:D4}.pdf";
            demandes.Add(d);
            files.Add(($"bc/{i:D4}.pdf", DepositFiles.Pdf));
        }
        example["demandes"] = demandes;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/depots") { Content = DepositFiles.Form(example, DepositFiles.Zip([.. files])) };
        request.Headers.Add("Prefer", "respond-async");
        var accepted = await AgendaPro.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var url = (await Json(accepted)).GetProperty("url").GetString()!;

        // Files are written first, one object each: the service goes away while they are.
        var seen = await PollAsync(url, s => Statut(s) != "EN_TRAITEMENT" || s.GetProperty("traitees").GetInt32() is > 0 and < count, "écriture des pièces");
        Assert.Equal("EN_TRAITEMENT", Statut(seen));
        await app.S3.StopAsync();
        var ended = await PollAsync(url, s => Statut(s) != "EN_TRAITEMENT", "fin du dépôt");

        Assert.Equal("ECHEC", Statut(ended));
        var message = Assert.Single(ended.GetProperty("erreurs").EnumerateArray()).GetProperty("message").GetString();
        Assert.Contains("stockage des pièces est devenu momentanément indisponible", message);
        Assert.Contains("aucune demande n'a été enregistrée", message);
        Assert.Equal(0, await app.Db(db => db.Requests.CountAsync(r => r.VendorReference.StartsWith(prefix))));
        await app.S3.StartAgainAsync();
        Assert.Equal(HttpStatusCode.Created, (await AgendaPro.PostAsync("/api/v1/depots", await OneAdvanceAsync())).StatusCode);
    }

    [Fact]
    public async Task Completing_a_request_while_the_storage_is_down_is_a_503_in_French_and_the_request_stays_incomplete_until_it_is_back()
    {
        // Deposited without its ZIP: « incomplète », its purchase order missing.
        var deposited = await AgendaPro.PostAsync("/api/v1/depots", await OneAdvanceAsync(withZip: false));
        Assert.Equal(HttpStatusCode.Created, deposited.StatusCode);
        var number = (await Json(deposited)).GetProperty("demandes")[0].GetProperty("numero").GetString()!;
        Assert.Equal(RequestStatus.Incomplete, (await app.LoadAsync(number)).Status);
        var browser = await app.SignedIn("editeur@agendapro.test");
        var token = Token().Match(await browser.GetStringAsync($"/demandes/{number}/completer")).Groups[1].Value;
        var documents = await DocumentRows();
        var objects = (await app.S3.ObjectsAsync()).Count;
        await app.S3.StopAsync();

        await AssertStorageUnavailable(await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces",
            DepositFiles.Piece("BON_DE_COMMANDE", DepositFiles.Pdf, "bc.pdf")), api: true);
        await AssertStorageUnavailable(await browser.PostAsync($"/demandes/{number}/completer", PageForm(token, "BON_DE_COMMANDE")), api: false);

        Assert.Equal(RequestStatus.Incomplete, (await app.LoadAsync(number)).Status);
        Assert.Equal(documents, await DocumentRows());
        await app.S3.StartAgainAsync();
        Assert.Equal(objects, (await app.S3.ObjectsAsync()).Count);
        var completed = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces", DepositFiles.Piece("BON_DE_COMMANDE", DepositFiles.Pdf, "bc.pdf"));
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Equal("EN_COURS", (await Json(completed)).GetProperty("statut").GetString());
    }

    [Fact]
    public async Task Importing_a_file_in_Modifier_while_the_storage_is_down_is_a_503_page_in_French_that_adds_no_draft()
    {
        var number = await app.NewAsync(RequestStatus.AModifier);
        var browser = await app.SignedIn("editeur@agendapro.test");
        var token = Token().Match(await browser.GetStringAsync($"/demandes/{number}/modifier")).Groups[1].Value;
        var documents = await DocumentRows();
        await app.S3.StopAsync();

        await AssertStorageUnavailable(await browser.PostAsync($"/demandes/{number}/modifier?handler=Importer", PageForm(token, "AUTRE")), api: false);

        Assert.Equal(documents, await DocumentRows());
        await app.S3.StartAgainAsync();
        var imported = await browser.PostAsync($"/demandes/{number}/modifier?handler=Importer", PageForm(token, "AUTRE"));
        Assert.True((int)imported.StatusCode is 200 or 302, $"{(int)imported.StatusCode}");
        Assert.Equal(documents + 1, await DocumentRows());
    }

    [Fact]
    public async Task A_document_asked_for_while_the_storage_is_down_is_a_503_in_French_readiness_names_stockage_and_both_recover()
    {
        var deposited = await AgendaPro.PostAsync("/api/v1/depots", await OneAdvanceAsync());
        Assert.Equal(HttpStatusCode.Created, deposited.StatusCode);
        var number = (await Json(deposited)).GetProperty("demandes")[0].GetProperty("numero").GetString()!;
        var doc = await app.Db(db => db.Requests.Where(r => r.Number == number).SelectMany(r => r.Documents).SingleAsync());
        var browser = await app.SignedIn("editeur@agendapro.test");
        var url = $"/demandes/{number}/pieces/{doc.Id}";
        await app.S3.StopAsync();

        await AssertStorageUnavailable(await browser.GetAsync(url), api: false);
        var ready = await app.Anonymous().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var checks = (await Json(ready)).GetProperty("verifications").EnumerateArray()
            .ToDictionary(c => c.GetProperty("nom").GetString()!, c => (Statut: c.GetProperty("statut").GetString(), Description: c.GetProperty("description").GetString()));
        Assert.Equal("Unhealthy", checks["stockage"].Statut);
        Assert.StartsWith("Stockage des pièces injoignable", checks["stockage"].Description);
        Assert.Equal("Healthy", checks["base-de-donnees"].Statut); // the storage's outage is not said to be the database's

        await app.S3.StartAgainAsync();
        var served = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(DepositFiles.Pdf, await served.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/health/ready")).StatusCode);
    }

    /// <summary>The page's multipart form: its token, the type and a PDF.</summary>
    private static MultipartFormDataContent PageForm(string token, string type) => new()
    {
        { new StringContent(token), "__RequestVerificationToken" },
        { new StringContent(type), "Type" },
        { new ByteArrayContent(DepositFiles.Pdf), "Fichier", "piece.pdf" },
    };

    private async Task<JsonElement> PollAsync(string url, Func<JsonElement, bool> until, string what)
    {
        var bound = DateTime.UtcNow.AddSeconds(60);
        JsonElement status = default;
        while (DateTime.UtcNow < bound)
        {
            status = await AgendaPro.GetJsonAsync(url);
            if (until(status)) return status;
            await Task.Delay(20);
        }
        Assert.Fail($"{what} : pas observé en 60 s ; dernier état : {status}");
        return status;
    }

    private static string Statut(JsonElement s) => s.GetProperty("statut").GetString()!;

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}

[Trait("Category", "Faults")]
public sealed class StorageOutageTestsOnSqlite(SqliteS3App app) : StorageOutageTests(app), IClassFixture<SqliteS3App>;

[Trait("Category", "Faults")]
public sealed class StorageOutageTestsOnPostgres(PostgresS3App app) : StorageOutageTests(app), IClassFixture<PostgresS3App>;
