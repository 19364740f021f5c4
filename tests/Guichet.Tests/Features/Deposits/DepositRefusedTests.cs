using System.Text.Json.Nodes;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features.Deposits;

/// <summary>A file that breaks the format or a business rule is refused whole, with every error in French, and nothing is stored.</summary>
public abstract class DepositRefusedTests(GuichetApp app) : DepositScenario(app)
{
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

    [Fact]
    public async Task Each_error_in_a_nested_object_names_its_full_path()
    {
        var example = await Example();
        var good = DepositFiles.FreshAdvance(example, Seed());
        var bad = DepositFiles.FreshAdvance(example, Seed());
        bad["solution"]!["numeroReferencement"] = "";
        bad["client"]!["couleur"] = "bleu";
        bad["bonDeCommande"]!["date"] = "01/02/2026";
        bad["informations"]!["contactSupport"] = 12;
        bad["piecesJointes"] = new JsonArray(
            new JsonObject { ["type"] = "BON_DE_COMMANDE", ["fichier"] = "bc.pdf" },
            new JsonObject { ["type"] = "PHOTO", ["fichier"] = "x.pdf", ["taille"] = 3 },
            "pas un objet");
        var body = await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, good, bad)), "$.demandes[1].solution.numeroReferencement", "vide");
        var paths = body.GetProperty("erreurs").EnumerateArray().Select(e => e.GetProperty("chemin").GetString()).ToList();
        Assert.Contains("$.demandes[1].client.couleur", paths);
        Assert.Contains("$.demandes[1].bonDeCommande.date", paths);
        Assert.Contains("$.demandes[1].informations.contactSupport", paths);
        Assert.Contains("$.demandes[1].piecesJointes[1].type", paths);
        Assert.Contains("$.demandes[1].piecesJointes[1].taille", paths);
        Assert.Contains("$.demandes[1].piecesJointes[2]", paths);
        Assert.DoesNotContain(paths, p => p!.StartsWith("$.demandes[0]", StringComparison.Ordinal));
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
            case "futureOrder": d["bonDeCommande"]!["date"] = App.Clock.UtcNow.AddDays(3).ToString("yyyy-MM-dd"); break;
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
    public async Task Vendor_cannot_deposit_under_another_organisations_siret()
    {
        var file = await FreshFile();
        file["fournisseur"]!["siret"] = "90000002700012";
        await Refused(AgendaPro, DepositFiles.Form(file), "$.fournisseur.siret", "n'est pas celui de votre organisme");
    }

    [Fact]
    public async Task A_siret_that_fails_the_Luhn_check_is_refused()
    {
        var file = await FreshFile();
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
        await Refused(App.Bearer("demo-regulis"), DepositFiles.Form(file), "$.demandes[0].client.typeIdentifiant", "n'accepte pas");
    }

    [Fact]
    public async Task A_second_live_advance_for_the_same_client_is_refused_even_from_another_vendor()
    {
        // Give Regulis an Effecteur solution, so that it can deposit for an AgendaPro client.
        using (var scope = App.Services.CreateScope())
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
        var agendaProClient = (await AgendaPro.GetJsonAsync("/api/v1/demandes?taille=100&type=AVANCE&statut=EN_COURS")).GetProperty("demandes")[0];
        var detail = await AgendaPro.GetJsonAsync($"/api/v1/demandes/{agendaProClient.GetProperty("numero").GetString()}");
        var d = DepositFiles.FreshAdvance(example, Seed());
        d["solution"]!["numeroReferencement"] = "SAS-EFF-TEST-REG";
        d["client"]!["identifiant"] = detail.GetProperty("client").GetProperty("identifiant").GetString();
        var file = DepositFiles.With(example, d);
        file["fournisseur"]!["siret"] = "90000002700012";
        await Refused(App.Bearer("demo-regulis"), DepositFiles.Form(file), "$.demandes[0].client.identifiant", "existe déjà pour ce client");
    }

    [Fact]
    public async Task A_deposit_after_the_closing_date_time_is_refused()
    {
        var file = await FreshFile();
        using var scope = App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var scheme = await db.Schemes.SingleAsync(s => s.Code == FundingScheme.SasEffecteur);
        var closes = scheme.AdvanceClosesAt;
        scheme.AdvanceClosesAt = App.Clock.UtcNow.AddMinutes(-1);
        await db.SaveChangesAsync();
        try
        {
            await Refused(AgendaPro, DepositFiles.Form(file), "$.demandes[0].type", "est clos depuis");
        }
        finally
        {
            scheme.AdvanceClosesAt = closes;
            await db.SaveChangesAsync();
        }
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class DepositRefusedTestsOnSqlite(SqliteApp app) : DepositRefusedTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class DepositRefusedTestsOnPostgres(PostgresApp app) : DepositRefusedTests(app);
