using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Guichet.Testing;
using Guichet.Tests.Features.Deposits;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features;

[CollectionDefinition(nameof(AntivirusCollection))]
public sealed class AntivirusCollection : ICollectionFixture<ClamdFixture>;

/// <summary>The portal with its scanner at <c>127.0.0.1:port</c> (the run's clamd, or a port where nothing listens).</summary>
public static class ScannerSettings
{
    public static void Apply(IWebHostBuilder builder, int port)
    {
        builder.UseSetting("Antivirus:Host", "127.0.0.1");
        builder.UseSetting("Antivirus:Port", port.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Antivirus:TimeoutSeconds", "20");
    }

    /// <summary>The same scanner for the app's verbs (« rescan »), which run in their own process.</summary>
    public static IEnumerable<(string Key, string Value)> ForVerbs(int port) =>
        [("Antivirus:Host", "127.0.0.1"), ("Antivirus:Port", port.ToString(CultureInfo.InvariantCulture)), ("Antivirus:TimeoutSeconds", "20")];
}

public sealed class ScannedSqliteApp(ClamdFixture clamd) : GuichetApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
    protected override void ConfigureWebHost(IWebHostBuilder builder) { base.ConfigureWebHost(builder); ScannerSettings.Apply(builder, clamd.Server.Port); }
    protected override IEnumerable<(string Key, string Value)> VerbSettings() => ScannerSettings.ForVerbs(clamd.Server.Port);
}

public sealed class ScannedPostgresApp(PostgresFixture postgres, ClamdFixture clamd) : GuichetApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
    protected override void ConfigureWebHost(IWebHostBuilder builder) { base.ConfigureWebHost(builder); ScannerSettings.Apply(builder, clamd.Server.Port); }
    protected override IEnumerable<(string Key, string Value)> VerbSettings() => ScannerSettings.ForVerbs(clamd.Server.Port);
}

public sealed class ScannerDownSqliteApp : GuichetApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
    protected override void ConfigureWebHost(IWebHostBuilder builder) { base.ConfigureWebHost(builder); ScannerSettings.Apply(builder, ClamdServer.ClosedPort()); }
}

public sealed class ScannerDownPostgresApp(PostgresFixture postgres) : GuichetApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
    protected override void ConfigureWebHost(IWebHostBuilder builder) { base.ConfigureWebHost(builder); ScannerSettings.Apply(builder, ClamdServer.ClosedPort()); }
}

/// <summary>What the antivirus tests send: PDFs that pass the content check, clean or carrying a test signature.</summary>
public static class Infected
{
    /// <summary>A PDF (its signature bytes first) that holds <paramref name="payload"/>: the scanner finds it anywhere in the file.</summary>
    public static byte[] Pdf(byte[] payload) => [.. DepositFiles.Pdf, .. "\n"u8, .. payload, .. "\n"u8];

    public static byte[] Eicar => Pdf(ClamdServer.Eicar);
    public static byte[] Marked => Pdf(Encoding.ASCII.GetBytes(ClamdServer.Marker));

    /// <summary>Deposits <paramref name="file"/> without its ZIP: a request « INCOMPLETE »; returns its number.</summary>
    public static async Task<string> IncompleteRequestAsync(HttpClient vendor, JsonObject file)
    {
        var response = await vendor.PostAsync("/api/v1/depots", DepositFiles.Form(file));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await Json(response)).GetProperty("demandes")[0];
        Assert.Equal("INCOMPLETE", created.GetProperty("statut").GetString());
        return created.GetProperty("numero").GetString()!;
    }
}

/// <summary>
/// With clamd configured, every file that enters is scanned before it is stored: a deposit's ZIP entries, a completion, an
/// « Importer » during a modification. An infected file refuses the whole deposit or the import, naming the file and the
/// signature; nothing infected, and nothing of a refused deposit, is kept.
/// </summary>
public abstract class AntivirusTests(GuichetApp app) : DepositScenario(app)
{
    [Fact]
    public async Task A_deposit_whose_zip_holds_an_infected_file_is_refused_whole_naming_the_file_and_the_signature_and_stores_nothing()
    {
        var example = await Example();
        var clean = DepositFiles.FreshAdvance(example, Seed());
        clean["piecesJointes"]![0]!["fichier"] = "sain.pdf";
        var infected = DepositFiles.FreshAdvance(example, Seed());
        infected["piecesJointes"]![0]!["fichier"] = "pieces/infecte.pdf";
        var zip = DepositFiles.Zip(("sain.pdf", DepositFiles.Pdf), ("pieces/infecte.pdf", Infected.Eicar));

        var body = await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, clean, infected), zip),
            "$.demandes[1].piecesJointes[0].fichier", $"« pieces/infecte.pdf » est infecté ({ClamdServer.EicarSignature})");

        Assert.Single(body.GetProperty("erreurs").EnumerateArray());
        Assert.Empty(UploadLeftovers());
    }

    [Fact]
    public async Task A_clean_deposit_is_scanned_and_accepted_with_its_files()
    {
        var files = await StoredFiles();
        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(await FreshFile(), ExampleZip()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(files + 1, await StoredFiles());
    }

    [Fact]
    public async Task A_completion_with_a_file_matching_a_signature_is_refused_and_the_request_stays_incomplete()
    {
        var number = await Infected.IncompleteRequestAsync(AgendaPro, await FreshFile());
        var files = await StoredFiles();

        var refused = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces", DepositFiles.Piece("BON_DE_COMMANDE", Infected.Marked, "bc.pdf"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"« bc.pdf » est infecté ({ClamdServer.MarkerSignature})", Readable.Of(await refused.Content.ReadAsStringAsync()));
        Assert.Equal(files, await StoredFiles());
        Assert.Equal("INCOMPLETE", (await AgendaPro.GetJsonAsync($"/api/v1/demandes/{number}")).GetProperty("statut").GetString());

        var clean = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces", DepositFiles.Piece("BON_DE_COMMANDE", DepositFiles.Pdf, "bc.pdf"));
        Assert.Equal(HttpStatusCode.OK, clean.StatusCode);
        Assert.Equal(files + 1, await StoredFiles());
    }

    [Fact]
    public async Task An_infected_import_during_a_modification_is_refused_and_the_draft_keeps_no_document()
    {
        var number = await App.NewAsync();
        await App.OpenRoundAsManagerAsync(number, "Joignez la facture.", "piece:FACTURE");
        var files = await StoredFiles();

        var refused = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/pieces", DepositFiles.Piece("FACTURE", Infected.Eicar, "facture.pdf"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"« facture.pdf » est infecté ({ClamdServer.EicarSignature})", Readable.Of(await refused.Content.ReadAsStringAsync()));
        Assert.Equal(files, await StoredFiles());
        var draft = await AgendaPro.GetJsonAsync($"/api/v1/demandes/{number}/modification");
        Assert.Equal(0, draft.GetProperty("brouillon").GetProperty("piecesJointes").GetArrayLength());
    }

    [Fact]
    public async Task The_administration_home_says_that_files_are_scanned()
    {
        var html = await (await App.SignedIn("admin@asp.test")).GetStringAsync("/admin");
        Assert.Contains("chaque fichier reçu est analysé par ClamAV", html);
        Assert.DoesNotContain("Antivirus non configuré", html);
    }
}

[Collection(nameof(AntivirusCollection))]
public sealed class AntivirusTestsOnSqlite(ScannedSqliteApp app) : AntivirusTests(app), IClassFixture<ScannedSqliteApp>;

[Collection(nameof(AntivirusCollection))]
public sealed class AntivirusTestsOnPostgres(ScannedPostgresApp app) : AntivirusTests(app), IClassFixture<ScannedPostgresApp>;

/// <summary>
/// The scanner is configured but nothing answers: intake is refused with a French 503 « Analyse antivirus indisponible »
/// and Retry-After, nothing stored — never accepted unscanned.
/// </summary>
public abstract class ScannerDownTests(GuichetApp app) : DepositScenario(app)
{
    private const string Unavailable = "Analyse antivirus indisponible, réessayez plus tard.";

    private static async Task AssertUnavailable(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(Unavailable, (await Json(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task With_the_scanner_down_a_deposit_with_files_is_a_French_503_and_nothing_is_stored()
    {
        var (requests, files) = (await TotalRequests(), await StoredFiles());
        await AssertUnavailable(await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(await FreshFile(), ExampleZip())));
        Assert.Equal(requests, await TotalRequests());
        Assert.Equal(files, await StoredFiles());
        Assert.Empty(UploadLeftovers());
    }

    [Fact]
    public async Task With_the_scanner_down_a_background_deposit_ends_in_failure_saying_so_and_nothing_is_stored()
    {
        var (requests, files) = (await TotalRequests(), await StoredFiles());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/depots") { Content = DepositFiles.Form(await FreshFile(), ExampleZip()) };
        request.Headers.Add("Prefer", "respond-async");
        var response = await AgendaPro.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var url = (await Json(response)).GetProperty("url").GetString()!;

        System.Text.Json.JsonElement status;
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // a wall-clock bound on the wait, not a time of the app
        do
        {
            await Task.Delay(200);
            status = await AgendaPro.GetJsonAsync(url);
        } while (status.GetProperty("statut").GetString() == "EN_TRAITEMENT" && !patience.IsCancellationRequested);

        Assert.Equal("ECHEC", status.GetProperty("statut").GetString());
        Assert.Equal(Unavailable, status.GetProperty("erreurs")[0].GetProperty("message").GetString());
        Assert.Equal(requests, await TotalRequests());
        Assert.Equal(files, await StoredFiles());
    }

    [Fact]
    public async Task With_the_scanner_down_a_completion_and_an_import_are_a_French_503_and_nothing_is_stored()
    {
        var incomplete = await Infected.IncompleteRequestAsync(AgendaPro, await FreshFile());
        var toModify = await App.NewAsync();
        await App.OpenRoundAsManagerAsync(toModify, "Joignez la facture.", "piece:FACTURE");
        var files = await StoredFiles();

        await AssertUnavailable(await AgendaPro.PostAsync($"/api/v1/demandes/{incomplete}/pieces", DepositFiles.Piece("BON_DE_COMMANDE", DepositFiles.Pdf, "bc.pdf")));
        await AssertUnavailable(await AgendaPro.PostAsync($"/api/v1/demandes/{toModify}/modification/pieces", DepositFiles.Piece("FACTURE", DepositFiles.Pdf, "facture.pdf")));

        Assert.Equal(files, await StoredFiles());
        Assert.Equal("INCOMPLETE", (await AgendaPro.GetJsonAsync($"/api/v1/demandes/{incomplete}")).GetProperty("statut").GetString());
    }
}

[Collection(nameof(AntivirusCollection))]
public sealed class ScannerDownTestsOnSqlite(ScannerDownSqliteApp app) : ScannerDownTests(app), IClassFixture<ScannerDownSqliteApp>;

[Collection(nameof(AntivirusCollection))]
public sealed class ScannerDownTestsOnPostgres(ScannerDownPostgresApp app) : ScannerDownTests(app), IClassFixture<ScannerDownPostgresApp>;

/// <summary>
/// Without <c>Antivirus:*</c> (the embedded default, as in every other test app), files are accepted unscanned — and the
/// administration says so.
/// </summary>
public abstract class UnscannedTests(GuichetApp app) : DepositScenario(app)
{
    [Fact]
    public async Task Without_a_scanner_files_are_accepted_unscanned_and_the_administration_says_so()
    {
        var html = await (await App.SignedIn("admin@asp.test")).GetStringAsync("/admin");
        Assert.Contains("Antivirus non configuré : les fichiers reçus ne sont pas analysés", Readable.Of(html));

        var number = await Infected.IncompleteRequestAsync(AgendaPro, await FreshFile());
        var accepted = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces", DepositFiles.Piece("BON_DE_COMMANDE", Infected.Eicar, "bc.pdf"));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Without_a_scanner_rescan_stops_with_a_French_message_and_exit_code_1()
    {
        var (code, _, error) = await App.RunVerbAsync("rescan");
        Assert.Equal(1, code);
        Assert.Contains("Aucun antivirus configuré (clés Antivirus:*)", error);
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class UnscannedTestsOnSqlite(SqliteApp app) : UnscannedTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class UnscannedTestsOnPostgres(PostgresApp app) : UnscannedTests(app);

/// <summary>
/// « rescan » after a signature update: a file stored clean that a new signature matches is quarantined — never served again,
/// flagged to the vendor and to managers, the vendor told once by e-mail — while clean files stay served.
/// </summary>
public abstract class RescanTests(GuichetApp app, ClamdFixture clamd) : DepositScenario(app)
{
    [Fact]
    public async Task Rescan_after_a_signature_update_quarantines_the_matching_file_refuses_it_flags_it_and_tells_the_vendor_once()
    {
        var token = "GUICHET-SIGNATURE-ULTERIEURE-" + Guid.NewGuid().ToString("N");
        var signature = "Guichet.Test.Ulterieure" + token[^8..];
        var example = await Example();
        var advance = DepositFiles.FreshAdvance(example, Seed());
        advance["piecesJointes"]![0]!["fichier"] = "bc.pdf";
        advance["piecesJointes"]!.AsArray().Add(new JsonObject { ["type"] = "AUTRE", ["fichier"] = "annexe.pdf" });
        var zip = DepositFiles.Zip(("bc.pdf", Infected.Pdf(Encoding.ASCII.GetBytes(token))), ("annexe.pdf", DepositFiles.Pdf));
        var deposit = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(DepositFiles.With(example, advance), zip));
        Assert.Equal(HttpStatusCode.Created, deposit.StatusCode);
        var number = (await Json(deposit)).GetProperty("demandes")[0].GetProperty("numero").GetString()!;
        var documents = await App.Db(db => db.Requests.Where(r => r.Number == number).SelectMany(r => r.Documents).ToListAsync());
        var later = documents.Single(d => d.FileName == "bc.pdf").Id;
        var clean = documents.Single(d => d.FileName == "annexe.pdf").Id;
        var vendor = await App.SignedIn("editeur@agendapro.test");
        var manager = await App.SignedIn("gestionnaire@asp.test");
        Assert.Equal(HttpStatusCode.OK, (await vendor.GetAsync($"/demandes/{number}/pieces/{later}")).StatusCode);

        await clamd.Server.AddSignatureAsync(signature, Encoding.ASCII.GetBytes(token));
        var first = await App.RunVerbAsync("rescan");

        Assert.True(first.ExitCode == 0, first.Output + first.Error);
        Assert.Contains("Réanalyse antivirus terminée", first.Output);
        Assert.Contains("1 mis en quarantaine", first.Output);
        foreach (var client in new[] { vendor, manager })
        {
            var refused = await client.GetAsync($"/demandes/{number}/pieces/{later}");
            Assert.Equal(HttpStatusCode.Gone, refused.StatusCode);
            Assert.Contains($"Cette pièce est en quarantaine (signature {signature})", await refused.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/demandes/{number}/pieces/{clean}")).StatusCode);
        }
        var flag = $"En quarantaine (signature {signature})";
        Assert.Contains(flag, await manager.GetStringAsync($"/instruction/{number}"));
        Assert.Contains(flag, await vendor.GetStringAsync($"/demandes/{number}"));
        // The API says it too: « quarantaine » on the infected file, null on the clean one.
        var pieces = (await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{number}"))).GetProperty("piecesJointes").EnumerateArray().ToList();
        var flagged = pieces.Single(p => p.GetProperty("id").GetGuid() == later).GetProperty("quarantaine");
        Assert.Equal(signature, flagged.GetProperty("signature").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, pieces.Single(p => p.GetProperty("id").GetGuid() == clean).GetProperty("quarantaine").ValueKind);
        var told = (await App.MailsAsync(number)).Where(m => m.Kind == Guichet.Email.EmailKind.AttachmentQuarantined).ToList();
        var mail = Assert.Single(told);
        Assert.Contains("editeur@agendapro.test", mail.RecipientList);
        Assert.Contains($"bc.pdf (Bon de commande, signature {signature})", mail.TextBody);
        Assert.DoesNotContain("annexe.pdf", mail.TextBody);
        Assert.Contains("bc.pdf", mail.HtmlBody);
        var quarantinedAt = (await App.Db(db => db.Documents.SingleAsync(d => d.Id == later))).QuarantinedAt;
        Assert.NotNull(quarantinedAt);

        var second = await App.RunVerbAsync("rescan");

        Assert.True(second.ExitCode == 0, second.Output + second.Error);
        Assert.Contains("0 mis en quarantaine", second.Output);
        Assert.Single(await App.MailsAsync(number), m => m.Kind == Guichet.Email.EmailKind.AttachmentQuarantined);
        Assert.Equal(quarantinedAt, (await App.Db(db => db.Documents.SingleAsync(d => d.Id == later))).QuarantinedAt);
        Assert.Equal(HttpStatusCode.OK, (await vendor.GetAsync($"/demandes/{number}/pieces/{clean}")).StatusCode);
    }

    [Fact]
    public async Task Rescan_with_the_scanner_unreachable_stops_in_French_with_a_non_zero_code_marks_nothing_and_the_next_run_does_the_work()
    {
        var token = "GUICHET-SIGNATURE-ULTERIEURE-" + Guid.NewGuid().ToString("N");
        var signature = "Guichet.Test.Reprise" + token[^8..];
        var number = await Infected.IncompleteRequestAsync(AgendaPro, await FreshFile());
        var accepted = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces",
            DepositFiles.Piece("BON_DE_COMMANDE", Infected.Pdf(Encoding.ASCII.GetBytes(token)), "bc.pdf"));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await clamd.Server.AddSignatureAsync(signature, Encoding.ASCII.GetBytes(token));
        Task<int> QuarantinedHere() => App.Db(db => db.Requests.Where(r => r.Number == number).SelectMany(r => r.Documents).CountAsync(d => d.QuarantinedAt != null));

        var (code, _, error) = await App.RunVerbWithAsync([("Antivirus:Port", ClamdServer.ClosedPort().ToString(CultureInfo.InvariantCulture))], "rescan");

        Assert.Equal(3, code);
        Assert.Contains("Réanalyse interrompue : analyse antivirus indisponible", error);
        Assert.Equal(0, await QuarantinedHere());
        Assert.DoesNotContain(await App.MailsAsync(number), m => m.Kind == Guichet.Email.EmailKind.AttachmentQuarantined);

        var next = await App.RunVerbAsync("rescan");

        Assert.True(next.ExitCode == 0, next.Output + next.Error);
        Assert.Equal(1, await QuarantinedHere());
        Assert.Single(await App.MailsAsync(number), m => m.Kind == Guichet.Email.EmailKind.AttachmentQuarantined);
    }
}

[Collection(nameof(AntivirusCollection))]
public sealed class RescanTestsOnSqlite(ScannedSqliteApp app, ClamdFixture clamd) : RescanTests(app, clamd), IClassFixture<ScannedSqliteApp>;

[Collection(nameof(AntivirusCollection))]
public sealed class RescanTestsOnPostgres(ScannedPostgresApp app, ClamdFixture clamd) : RescanTests(app, clamd), IClassFixture<ScannedPostgresApp>;
