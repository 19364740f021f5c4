using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>Deposit, simulator and completion over the API and the pages, with every bad input of issue 3, on each provider.</summary>
public abstract class DepositTests(GuichetApp app)
{
    private static int Seed() => DepositFiles.NextSeed();

    private HttpClient AgendaPro => app.Bearer("demo-agendapro");

    private async Task<int> TotalRequests() =>
        (await Json(await app.Bearer("demo-gestionnaire").GetAsync("/api/v1/demandes?taille=1"))).GetProperty("total").GetInt32();

    private async Task<int> StoredFiles() => await Task.FromResult(Directory.Exists(app.StoragePath)
        ? Directory.GetFiles(app.StoragePath, "*", SearchOption.AllDirectories).Length : 0);

    /// <summary>Deposits and asserts a French 4xx with an error at the expected path, and that nothing was stored.</summary>
    private async Task<JsonElement> Refused(HttpClient client, MultipartFormDataContent form, string expectedPath, string expectedWords, int status = 400)
    {
        var before = await TotalRequests();
        var files = await StoredFiles();
        var response = await client.PostAsync("/api/v1/depots", form);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await Json(response);
        var errors = body.GetProperty("erreurs").EnumerateArray().ToList();
        Assert.Contains(errors, e => e.GetProperty("chemin").GetString()!.StartsWith(expectedPath, StringComparison.Ordinal)
            && e.GetProperty("message").GetString()!.Contains(expectedWords, StringComparison.Ordinal));
        Assert.Equal(before, await TotalRequests());
        Assert.Equal(files, await StoredFiles());
        return body;
    }

    private async Task<JsonObject> Example() => await DepositFiles.Example(app.Anonymous());

    [Fact]
    public async Task The_published_example_deposits_with_its_zip_and_is_found_on_the_tracking_list()
    {
        var example = await Example();
        // The example is deposited as published; one of the two providers' classes runs it on a fresh database.
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(example, zip));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await Json(response)).GetProperty("demandes")[0];
        Assert.Equal("AGP-2026-0001", created.GetProperty("referenceFournisseur").GetString());
        Assert.Equal("EN_COURS", created.GetProperty("statut").GetString());
        var number = created.GetProperty("numero").GetString()!;
        Assert.Matches(@"^SAS-A-\d{4}-\d{6}$", number);

        var detail = await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{number}"));
        var piece = detail.GetProperty("piecesJointes")[0];
        Assert.Equal("bc-2026-001.pdf", piece.GetProperty("nom").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(DepositFiles.Pdf)), piece.GetProperty("sha256").GetString());
        var list = await Json(await AgendaPro.GetAsync("/api/v1/demandes?q=AGP-2026-0001"));
        Assert.Equal(number, list.GetProperty("demandes")[0].GetProperty("numero").GetString());

        // The same file again: the reference is refused, never duplicated.
        await Refused(AgendaPro, DepositFiles.Form(example, zip), "$.demandes[0].referenceFournisseur", "déjà été déposée");
    }

    [Fact]
    public async Task Without_its_zip_a_request_is_incomplete_then_completed_through_the_API()
    {
        var example = await Example();
        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed()))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await Json(response)).GetProperty("demandes")[0];
        Assert.Equal("INCOMPLETE", created.GetProperty("statut").GetString());
        var number = created.GetProperty("numero").GetString()!;

        var html = await (await app.SignedIn("editeur@agendapro.test")).GetStringAsync("/demandes/incompletes");
        Assert.Contains(number, html);
        Assert.Contains("Bon de commande", html);

        var bad = new MultipartFormDataContent { { new StringContent("BON_DE_COMMANDE"), "type" }, { new ByteArrayContent("MZ\x90\0 exécutable"u8.ToArray()), "fichier", "bc.pdf" } };
        var refused = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces", bad);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("ne correspond pas à son extension", await refused.Content.ReadAsStringAsync());

        var foreign = await app.Bearer("demo-regulis").PostAsync($"/api/v1/demandes/{number}/pieces",
            new MultipartFormDataContent { { new StringContent("BON_DE_COMMANDE"), "type" }, { new ByteArrayContent(DepositFiles.Pdf), "fichier", "bc.pdf" } });
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);

        var ok = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces",
            new MultipartFormDataContent { { new StringContent("BON_DE_COMMANDE"), "type" }, { new ByteArrayContent(DepositFiles.Pdf), "fichier", "bc.pdf" } });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("EN_COURS", (await Json(ok)).GetProperty("statut").GetString());

        var again = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/pieces",
            new MultipartFormDataContent { { new StringContent("AUTRE"), "type" }, { new ByteArrayContent(DepositFiles.Pdf), "fichier", "autre.pdf" } });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task The_simulator_gives_the_same_verdict_and_stores_nothing()
    {
        var example = await Example();
        var file = DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed()));
        var before = await TotalRequests();
        var valid = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file)));
        Assert.True(valid.GetProperty("valide").GetBoolean());
        file["demandes"]![0]!["montantDemande"] = 300.01m;
        var invalid = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file)));
        Assert.False(invalid.GetProperty("valide").GetBoolean());
        Assert.Contains("300,00", invalid.GetProperty("erreurs")[0].GetProperty("message").GetString());
        Assert.Equal(before, await TotalRequests());
    }

    [Fact]
    public async Task A_deposit_is_all_or_nothing_and_lists_every_error()
    {
        var example = await Example();
        var good = DepositFiles.FreshAdvance(example, Seed());
        var bad = DepositFiles.FreshAdvance(example, Seed());
        bad["client"]!["identifiant"] = "123";
        bad["montantDemande"] = 1m;
        var body = await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, good, bad)), "$.demandes[1].client.identifiant", "RPPS");
        var errors = body.GetProperty("erreurs").EnumerateArray().ToList();
        // The shape error does not hide the business rule: the amount is checked too.
        Assert.Contains(errors, e => e.GetProperty("chemin").GetString() == "$.demandes[1].montantDemande" && e.GetProperty("message").GetString()!.Contains("300,00"));
        Assert.All(errors, e => Assert.Equal(bad["referenceFournisseur"]!.GetValue<string>(), e.GetProperty("referenceFournisseur").GetString()));
    }

    public static TheoryData<string, string, string> ShapeErrors() => new()
    {
        { "pas du json", "$", "n'est pas un JSON valide" },
        { "{\"versionFormat\": \"1.0\", \"demandes\": [", "$", "n'est pas un JSON valide" },
        { new string('[', 1000) + new string(']', 1000), "$", "imbrication" },
        { "[]", "$", "objet JSON" },
        { "{\"versionFormat\":\"1.0\",\"fournisseur\":{\"siret\":\"90000001900019\"},\"demandes\":[]}", "$.demandes", "aucune demande" },
    };

    [Theory]
    [MemberData(nameof(ShapeErrors))]
    public async Task Malformed_json_is_refused_with_a_French_message(string json, string path, string words) =>
        await Refused(AgendaPro, DepositFiles.Form(json), path, words);

    public static TheoryData<string, string, string> RequestErrors() => new()
    {
        // mutation of the request, expected path under $.demandes[0], expected words
        { "unknown", ".couleur", "Propriété inconnue" },
        { "wrongType", ".montantDemande", "doit être un nombre" },
        { "missing", ".bonDeCommande", "obligatoire" },
        { "badRpps", ".client.identifiant", "RPPS" },
        { "badFiness", ".client.identifiant", "FINESS" },
        { "badSiretClient", ".client.identifiant", "SIRET" },
        { "notEnrolled", ".solution.numeroReferencement", "n'est pas une solution référencée" },
        { "futureOrder", ".bonDeCommande.date", "futur" },
        { "oldOrder", ".bonDeCommande.date", "120 jours" },
        { "centOff", ".montantDemande", "300,00" },
        { "badContact", ".informations.contactSupport", "https://" },
        { "tooLong", ".client.nom", "500 caractères" },
        { "duplicateInFile", ".referenceFournisseur", "plusieurs fois" },
        { "balanceFieldsOnAdvance", ".numeroDemandeAvance", "solde" },
        { "badDate", ".bonDeCommande.date", "aaaa-mm-jj" },
    };

    [Theory]
    [MemberData(nameof(RequestErrors))]
    public async Task Each_invalid_request_is_refused_with_its_path_and_nothing_is_stored(string mutation, string path, string words)
    {
        var example = await Example();
        var d = DepositFiles.FreshAdvance(example, Seed());
        var others = new List<JsonObject>();
        switch (mutation)
        {
            case "unknown": d["couleur"] = "bleu"; break;
            case "wrongType": d["montantDemande"] = "300"; break;
            case "missing": d.Remove("bonDeCommande"); break;
            case "badRpps": d["client"]!["identifiant"] = "1234567890"; break;
            case "badFiness": d["client"]!["typeIdentifiant"] = "FINESS"; d["client"]!["identifiant"] = "750712185"; break;
            case "badSiretClient": d["client"]!["typeIdentifiant"] = "SIRET"; d["client"]!["identifiant"] = "73282932000075"; break;
            case "notEnrolled": d["solution"]!["numeroReferencement"] = "SAS-REG-2025-0001"; break;
            case "futureOrder": d["bonDeCommande"]!["date"] = app.Clock.UtcNow.AddDays(3).ToString("yyyy-MM-dd"); break;
            case "oldOrder": d["bonDeCommande"]!["date"] = "2025-05-01"; break; // referencing 01/09/2025 − 123 days
            case "centOff": d["montantDemande"] = 299.99m; break;
            case "badContact": d["informations"]!["contactSupport"] = "http://support.test"; break;
            case "tooLong": d["client"]!["nom"] = new string('x', 501); break;
            case "duplicateInFile": var twin = DepositFiles.FreshAdvance(example, Seed()); twin["referenceFournisseur"] = d["referenceFournisseur"]!.GetValue<string>(); others.Add(twin); break;
            case "balanceFieldsOnAdvance": d["numeroDemandeAvance"] = "SAS-A-2026-000001"; break;
            case "badDate": d["bonDeCommande"]!["date"] = "01/10/2026"; break;
        }
        var index = mutation == "duplicateInFile" ? 1 : 0;
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, [d, .. others])), $"$.demandes[{index}]{path}", words);
    }

    [Fact]
    public async Task Another_organisations_siret_and_an_invalid_siret_are_refused()
    {
        var example = await Example();
        var file = DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed()));
        file["fournisseur"]!["siret"] = "90000002700012";
        await Refused(AgendaPro, DepositFiles.Form(file), "$.fournisseur.siret", "n'est pas celui de votre organisme");
        file["fournisseur"]!["siret"] = "90000001900018";
        await Refused(AgendaPro, DepositFiles.Form(file), "$.fournisseur.siret", "Luhn");
    }

    [Fact]
    public async Task A_scheme_refuses_an_identifier_type_it_does_not_accept()
    {
        var example = await Example();
        var d = DepositFiles.FreshAdvance(example, Seed());
        d["dispositif"] = "SAS_REGULATEUR";
        d["solution"]!["numeroReferencement"] = "SAS-REG-2025-0001";
        d["montantDemande"] = 6000m;
        var file = DepositFiles.With(example, d);
        file["fournisseur"]!["siret"] = "90000002700012";
        await Refused(app.Bearer("demo-regulis"), DepositFiles.Form(file), "$.demandes[0].client.typeIdentifiant", "n'accepte pas");
    }

    private async Task<List<JsonElement>> DemoRequests(string token, string query) =>
        (await Json(await app.Bearer(token).GetAsync("/api/v1/demandes?taille=100&" + query))).GetProperty("demandes").EnumerateArray().ToList();

    private async Task<JsonObject> BalanceFor(JsonObject example, JsonElement advance)
    {
        var detail = await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{advance.GetProperty("numero").GetString()}"));
        var d = DepositFiles.FreshAdvance(example, Seed());
        d["type"] = "SOLDE";
        d["client"]!["identifiant"] = detail.GetProperty("client").GetProperty("identifiant").GetString();
        d["client"]!["nom"] = detail.GetProperty("client").GetProperty("nom").GetString();
        d["bonDeCommande"]!["date"] = detail.GetProperty("bonDeCommande").GetProperty("date").GetString();
        d["dateMiseEnService"] = app.Clock.UtcNow.AddDays(-1).ToString("yyyy-MM-dd");
        d["numeroDemandeAvance"] = advance.GetProperty("numero").GetString();
        d["montantDemande"] = 700m;
        d["piecesJointes"] = new JsonArray();
        return d;
    }

    [Fact]
    public async Task A_balance_needs_its_own_clients_paid_and_unsettled_advance()
    {
        var example = await Example();
        var paid = await DemoRequests("demo-agendapro", "type=AVANCE&statut=DECIDEE_ET_PAYEE");
        var balances = await DemoRequests("demo-agendapro", "type=SOLDE");
        var settledNumbers = new List<string>();
        foreach (var b in balances)
            settledNumbers.Add((await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{b.GetProperty("numero").GetString()}"))).GetProperty("numeroDemandeAvance").GetString()!);
        var free = paid.Where(a => !settledNumbers.Contains(a.GetProperty("numero").GetString()!)).ToList();
        var settled = paid.First(a => settledNumbers.Contains(a.GetProperty("numero").GetString()!));
        var unpaid = (await DemoRequests("demo-agendapro", "type=AVANCE&statut=EN_COURS"))[0];

        var notPaid = await BalanceFor(example, unpaid);
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, notPaid)), "$.demandes[0].numeroDemandeAvance", "Décidée et payée");

        var otherClient = await BalanceFor(example, free[0]);
        otherClient["client"]!["identifiant"] = "39999999999";
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, otherClient)), "$.demandes[0].numeroDemandeAvance", "autre client");

        var alreadySettled = await BalanceFor(example, settled);
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, alreadySettled)), "$.demandes[0].numeroDemandeAvance", "déjà soldée");

        var wrongAmount = await BalanceFor(example, free[0]);
        wrongAmount["montantDemande"] = 1000m;
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, wrongAmount)), "$.demandes[0].montantDemande", "700,00");

        var foreignAdvance = await BalanceFor(example, free[0]);
        foreignAdvance["numeroDemandeAvance"] = (await DemoRequests("demo-regulis", "type=AVANCE&statut=DECIDEE_ET_PAYEE"))[0].GetProperty("numero").GetString();
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, foreignAdvance)), "$.demandes[0].numeroDemandeAvance", "introuvable");

        // The right one goes through, incomplete without its invoice and VA.
        var ok = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(DepositFiles.With(example, await BalanceFor(example, free[0]))));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal("INCOMPLETE", (await Json(ok)).GetProperty("demandes")[0].GetProperty("statut").GetString());
    }

    [Fact]
    public async Task A_second_live_advance_for_the_same_client_is_refused_even_from_another_vendor()
    {
        // Give Regulis an Effecteur solution, so that it can deposit for an AgendaPro client.
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            if (!await db.Solutions.AnyAsync(s => s.ReferencingNumber == "SAS-EFF-TEST-REG"))
            {
                var regulis = await db.Organisations.SingleAsync(o => o.Siret == "90000002700012");
                db.Solutions.Add(new Solution { OrganisationId = regulis.Id, Name = "Regulis Cabinet", Version = "1", ReferencingNumber = "SAS-EFF-TEST-REG", ReferencingDate = new DateOnly(2025, 9, 1), SchemeCode = FundingScheme.SasEffecteur });
                await db.SaveChangesAsync();
            }
        }
        var example = await Example();
        var agendaProClient = (await DemoRequests("demo-agendapro", "type=AVANCE&statut=EN_COURS"))[0];
        var detail = await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{agendaProClient.GetProperty("numero").GetString()}"));
        var d = DepositFiles.FreshAdvance(example, Seed());
        d["solution"]!["numeroReferencement"] = "SAS-EFF-TEST-REG";
        d["client"]!["identifiant"] = detail.GetProperty("client").GetProperty("identifiant").GetString();
        var file = DepositFiles.With(example, d);
        file["fournisseur"]!["siret"] = "90000002700012";
        await Refused(app.Bearer("demo-regulis"), DepositFiles.Form(file), "$.demandes[0].client.identifiant", "déjà en cours ou accordée");
    }

    [Fact]
    public async Task A_deposit_after_the_closing_date_time_is_refused()
    {
        var example = await Example();
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var scheme = await db.Schemes.SingleAsync(s => s.Code == FundingScheme.SasEffecteur);
        var closes = scheme.AdvanceClosesAt;
        scheme.AdvanceClosesAt = app.Clock.UtcNow.AddMinutes(-1);
        await db.SaveChangesAsync();
        try
        {
            await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed()))), "$.demandes[0].type", "est clos depuis");
        }
        finally
        {
            scheme.AdvanceClosesAt = closes;
            await db.SaveChangesAsync();
        }
    }

    public static TheoryData<string, string> ZipErrors() => new()
    {
        { "traversal", "Chemin interdit" },
        { "bomb", "taux de compression anormal" },
        { "nested", "archive" },
        { "executable", "ne correspond pas à son extension" },
        { "tooLarge", "taille maximale" },
        { "missing", "absent du ZIP" },
        { "extra", "n'est cité par aucune demande" },
        { "notZip", "illisible" },
        { "exe", "n'est pas accepté" },
    };

    [Theory]
    [MemberData(nameof(ZipErrors))]
    public async Task Hostile_or_inconsistent_zips_are_refused_and_nothing_is_stored(string kind, string words)
    {
        var example = await Example();
        var d = DepositFiles.FreshAdvance(example, Seed());
        byte[] zip;
        switch (kind)
        {
            case "traversal":
                zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf), ("../../etc/evil.pdf", DepositFiles.Pdf));
                break;
            case "bomb":
                d["piecesJointes"]![0]!["fichier"] = "bombe.pdf";
                zip = DepositFiles.Zip(("bombe.pdf", [.. "%PDF-"u8, .. new byte[15 * 1024 * 1024]]));
                break;
            case "nested":
                d["piecesJointes"]![0]!["fichier"] = "interne.pdf";
                zip = DepositFiles.Zip(("interne.pdf", DepositFiles.Zip(("a.pdf", DepositFiles.Pdf))));
                break;
            case "executable":
                zip = DepositFiles.Zip(("bc-2026-001.pdf", [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00]));
                break;
            case "tooLarge":
                var big = new byte[21 * 1024 * 1024];
                Random.Shared.NextBytes(big);
                "%PDF-"u8.CopyTo(big);
                zip = DepositFiles.Zip(("bc-2026-001.pdf", big));
                break;
            case "missing":
                zip = DepositFiles.Zip(("autre-nom.pdf", DepositFiles.Pdf));
                break;
            case "extra":
                zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf), ("en-trop.png", DepositFiles.Png));
                break;
            case "notZip":
                zip = "ceci n'est pas une archive"u8.ToArray();
                break;
            default: // exe
                d["piecesJointes"]![0]!["fichier"] = "setup.exe";
                zip = DepositFiles.Zip(("setup.exe", [0x4D, 0x5A, 0x90, 0x00]));
                break;
        }
        var path = kind is "missing" or "executable" or "exe" or "nested" ? "$.demandes[0].piecesJointes[0]" : "zip";
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, d), zip), path, words);
    }

    [Fact]
    public async Task A_body_over_the_configured_limit_gets_413()
    {
        var huge = "{\"versionFormat\":\"1.0\",\"x\":\"" + new string('a', 9 * 1024 * 1024) + "\"}";
        var response = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("taille maximale", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Only_vendors_deposit_and_a_missing_file_field_is_a_400()
    {
        var example = await Example();
        var asManager = await app.Bearer("demo-gestionnaire").PostAsync("/api/v1/depots", DepositFiles.Form(example));
        Assert.Equal(HttpStatusCode.Forbidden, asManager.StatusCode);
        var empty = await AgendaPro.PostAsync("/api/v1/depots", new MultipartFormDataContent { { new StringContent("x"), "autre" } });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("champ « json »", await empty.Content.ReadAsStringAsync());
        var notMultipart = await AgendaPro.PostAsync("/api/v1/depots", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notMultipart.StatusCode);
    }

    [Fact]
    public async Task Two_racing_deposits_of_the_same_reference_store_it_once()
    {
        var example = await Example();
        var file = DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed()));
        var before = await TotalRequests();
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => app.Bearer("demo-agendapro").PostAsync("/api/v1/depots", DepositFiles.Form(file))));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Equal(before + 1, await TotalRequests());
    }

    [Fact]
    public async Task The_deposit_page_shows_the_created_requests_and_the_simulator_page_the_errors()
    {
        var example = await Example();
        var browser = await app.SignedIn("editeur@agendapro.test");
        var page = await browser.GetStringAsync("/depots/nouveau");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var form = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" } };
        var json = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed())).ToJsonString()));
        form.Add(json, "Json", "demandes.json");
        var response = await browser.PostAsync("/depots/nouveau", form);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var result = await browser.GetStringAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("1 demande enregistrée", result);
        Assert.Contains("Incomplète", result);

        var sim = await browser.GetStringAsync("/simulateur");
        token = System.Text.RegularExpressions.Regex.Match(sim, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var simForm = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" }, { new ByteArrayContent("{\"versionFormat\":\"2.0\"}"u8.ToArray()), "Json", "faux.json" } };
        var verdict = await browser.PostAsync("/simulateur", simForm);
        var html = await verdict.Content.ReadAsStringAsync();
        Assert.Contains("non prise en charge", html);
        Assert.Contains("$.fournisseur", html);

        var noToken = await browser.PostAsync("/depots/nouveau", new MultipartFormDataContent { { json, "Json", "demandes.json" } });
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
    }

    /// <summary>A multipart body written by hand (CRLF line ends, boundary « XyZ »), e.g. cut off before its end.</summary>
    private static ByteArrayContent RawForm(string body)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body.ReplaceLineEndings("\r\n")));
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XyZ");
        return content;
    }

    private static ByteArrayContent Part(byte[] content, string type = "application/octet-stream")
    {
        var part = new ByteArrayContent(content);
        part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        return part;
    }

    /// <summary>What stays of received forms: anything inside the upload and job folders.</summary>
    private List<string> UploadLeftovers() => Directory.Exists(app.StoragePath)
        ? Directory.GetFileSystemEntries(app.StoragePath, "*", SearchOption.AllDirectories)
            .Where(p => p.Contains($"/{Guichet.Deposits.DepositUploads.UploadsFolder}/") || p.Contains("/_depots/")).ToList()
        : [];

    public static TheoryData<string, int, string> BadForms() => new()
    {
        { "noJson", 400, "champ « json »" },
        { "emptyJson", 400, "champ « json »" },
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
        var example = await Example();
        var json = System.Text.Encoding.UTF8.GetBytes(DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed())).ToJsonString());
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        HttpContent form = kind switch
        {
            "noJson" => new MultipartFormDataContent { { Part(zip, "application/zip"), "zip", "pieces.zip" } },
            "emptyJson" => new MultipartFormDataContent { { Part([]), "json", "demandes.json" }, { Part(zip, "application/zip"), "zip", "pieces.zip" } },
            "jsonTooLarge" => new MultipartFormDataContent { { Part(zip, "application/zip"), "zip", "pieces.zip" }, { Part(new byte[9 * 1024 * 1024]), "json", "demandes.json" } },
            "notJsonName" => new MultipartFormDataContent { { Part(json), "json", "demandes.txt" } },
            "notZipName" => new MultipartFormDataContent { { Part(json), "json", "demandes.json" }, { Part(zip), "zip", "pieces.rar" } },
            "cutOff" => RawForm($"--XyZ\nContent-Disposition: form-data; name=\"zip\"; filename=\"pieces.zip\"\n\nPK0123456789\n--XyZ\nContent-Disposition: form-data; name=\"json\"; filename=\"demandes.json\"\n\n{{\"versionFormat\":"),
            _ => new ByteArrayContent(json) { Headers = { ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data") } },
        };
        var before = await TotalRequests();
        var response = await AgendaPro.PostAsync("/api/v1/depots", form);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(words, await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await TotalRequests());
        Assert.Empty(UploadLeftovers());
    }

    [Fact]
    public async Task The_json_may_come_after_the_zip_and_field_names_ignore_case()
    {
        var example = await Example();
        var json = System.Text.Encoding.UTF8.GetBytes(DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed())).ToJsonString());
        var form = new MultipartFormDataContent
        {
            { new StringContent("ignoré"), "commentaire" },
            { Part(DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf)), "application/zip"), "ZIP", "pieces.zip" },
            { Part(json, "application/json"), "Json", "demandes.json" },
            { Part("{}"u8.ToArray(), "application/json"), "json", "second.json" },
        };
        var response = await AgendaPro.PostAsync("/api/v1/depots", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("EN_COURS", (await Json(response)).GetProperty("demandes")[0].GetProperty("statut").GetString());
        Assert.Empty(UploadLeftovers());
    }

    [Fact]
    public async Task The_deposit_page_takes_a_zip_before_its_token_and_refuses_a_wrong_token_without_a_trace()
    {
        var example = await Example();
        var browser = await app.SignedIn("editeur@agendapro.test");
        var page = await browser.GetStringAsync("/depots/nouveau");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        MultipartFormDataContent Form(string t) => new()
        {
            // A browser sends the fields in the order of the form: the token, at its end, comes after the files.
            { Part(System.Text.Encoding.UTF8.GetBytes(DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed())).ToJsonString()), "application/json"), "Json", "demandes.json" },
            { Part(DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf)), "application/zip"), "Zip", "pieces.zip" },
            { new StringContent(t), "__RequestVerificationToken" },
        };
        var files = await StoredFiles();
        var refused = await browser.PostAsync("/depots/nouveau", Form("faux" + token));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(files, await StoredFiles());

        var response = await browser.PostAsync("/depots/nouveau", Form(token));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var result = await browser.GetStringAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("1 demande enregistrée", result);
        Assert.Contains("archive pieces.zip", result);
        Assert.Equal(files + 1, await StoredFiles());
    }

    [Fact]
    public async Task The_simulator_reads_a_zip_and_leaves_no_file()
    {
        var example = await Example();
        var file = DepositFiles.With(example, DepositFiles.FreshAdvance(example, Seed()));
        var files = await StoredFiles();
        var verdict = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file, DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf)))));
        Assert.True(verdict.GetProperty("valide").GetBoolean());
        var missing = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file, DepositFiles.Zip(("autre.pdf", DepositFiles.Pdf)))));
        Assert.Contains("absent du ZIP", missing.GetProperty("erreurs")[0].GetProperty("message").GetString());
        Assert.Equal(files, await StoredFiles());
    }

    [Fact]
    public async Task A_deposit_cut_off_by_a_restart_is_closed_as_failed_with_a_clear_message()
    {
        Guid id;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var org = await db.Organisations.SingleAsync(o => o.Siret == "90000001900019");
            var user = await db.Users.SingleAsync(u => u.Email == "editeur@agendapro.test");
            var job = Guichet.Deposits.DepositJob.Start(org.Id, user.Id, "ancien.json", null, app.Clock.UtcNow.AddHours(-2));
            db.DepositJobs.Add(job);
            await db.SaveChangesAsync();
            id = job.Id;
        }
        // The folders of uploads cut off by the restart go too; one still being written stays.
        var uploads = Path.Combine(app.StoragePath, Guichet.Deposits.DepositUploads.UploadsFolder);
        var (abandoned, live) = (Path.Combine(uploads, "abandonne"), Path.Combine(uploads, "en-cours"));
        foreach (var folder in new[] { abandoned, live })
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, "pieces.zip"), "PK");
        }
        File.SetLastWriteTimeUtc(Path.Combine(abandoned, "pieces.zip"), app.Clock.UtcNow.AddHours(-2));
        Directory.SetLastWriteTimeUtc(abandoned, app.Clock.UtcNow.AddHours(-2));
        Assert.True(await app.Services.GetRequiredService<Guichet.Deposits.DepositRunner>().CloseInterruptedAsync(CancellationToken.None) >= 1);
        Assert.False(Directory.Exists(abandoned));
        Assert.True(Directory.Exists(live));
        Directory.Delete(live, recursive: true);
        var status = await Json(await AgendaPro.GetAsync($"/api/v1/depots/{id}"));
        Assert.Equal("ECHEC", status.GetProperty("statut").GetString());
        Assert.Contains("interrompu", status.GetProperty("erreurs")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_format_is_published()
    {
        var anonymous = app.Anonymous();
        var schema = JsonNode.Parse(await anonymous.GetStringAsync("/format/schema.json"))!;
        Assert.False(schema["additionalProperties"]!.GetValue<bool>());
        Assert.NotNull(JsonNode.Parse(await anonymous.GetStringAsync("/format/modele-vierge.json")));
        Assert.Contains("contactSupport", await anonymous.GetStringAsync("/format"));
    }
}

public sealed class DepositTestsOnSqlite(SqliteApp app) : DepositTests(app), IClassFixture<SqliteApp>;

public sealed class DepositTestsOnPostgres(PostgresApp app) : DepositTests(app), IClassFixture<PostgresApp>;
