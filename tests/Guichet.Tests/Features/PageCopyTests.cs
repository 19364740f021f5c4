using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Domain;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tests.Features;

/// <summary>
/// The pages each role reads, and the errors the deposit rules answer, read as French typography wants (issue 19):
/// no ordinary space before « ; : ! ? » or inside « », « de » elided, no placeholder left. SQLite only: the text does not
/// depend on the database.
/// </summary>
public abstract class PageCopyTests(GuichetApp app)
{
    private async Task AssertPagesReadWell(HttpClient client, string who, params string[] paths)
    {
        foreach (var path in paths)
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{who} {path} : {(int)response.StatusCode}");
            var text = FrenchCopy.VisibleText(await response.Content.ReadAsStringAsync());
            Assert.True(text.Length > 200, $"{who} {path} : page presque vide");
            FrenchCopy.AssertReadsWell($"{who} {path}", text);
        }
    }

    [Fact]
    public async Task Every_main_page_reads_as_French_for_each_role()
    {
        // A request in each state a page shows: under modification (with a status change in its history), incomplete.
        var modified = await app.NewAsync();
        await app.OpenRoundAsManagerAsync(modified, "Merci de corriger le lien de support.",
            EditableField.ContactSupport, EditableField.DocumentItem(DocumentType.Facture));
        var incomplete = await app.NewAsync(RequestStatus.Incomplete);
        var enCours = await app.NewAsync();

        await AssertPagesReadWell(app.Anonymous(), "anonyme", "/", "/connexion", "/compte/mot-de-passe-oublie", "/format", "/accessibilite");

        var vendor = await app.SignedIn("editeur@agendapro.test");
        await AssertPagesReadWell(vendor, "fournisseur", "/", "/demandes", "/demandes/incompletes", $"/demandes/{modified}",
            $"/demandes/{modified}/modifier", $"/demandes/{incomplete}", $"/demandes/{incomplete}/completer", "/depots/nouveau",
            "/simulateur", "/format", "/compte", "/compte/jetons", "/compte/webhooks", "/accessibilite");

        var manager = await app.SignedIn("gestionnaire@asp.test");
        await AssertPagesReadWell(manager, "gestionnaire", "/instruction", $"/instruction/{modified}", $"/instruction/{enCours}",
            "/instruction/tableau-de-bord");

        var support = await app.SignedIn("assistance@asp.test");
        await AssertPagesReadWell(support, "assistance", "/assistance", $"/assistance?q={modified}", $"/assistance/{modified}",
            $"/assistance/{enCours}");

        var admin = await app.SignedIn("admin@asp.test");
        var organisation = await app.Db(db => db.Organisations.OrderBy(o => o.Id).Select(o => o.Id).FirstAsync());
        await AssertPagesReadWell(admin, "administrateur", "/admin", "/admin/agence", "/admin/dispositifs", "/admin/journal",
            $"/admin/organismes/{organisation}");
    }

    [Fact]
    public async Task A_refused_form_shows_its_errors_in_French_typography()
    {
        var number = await app.NewAsync();
        await app.OpenRoundAsManagerAsync(number, "Merci de corriger le lien de support.", EditableField.ContactSupport);
        var vendor = await app.SignedIn("editeur@agendapro.test");

        var refused = await vendor.PostForm($"/demandes/{number}/modifier?handler=Confirmer", new() { ["ContactSupport"] = "appelez-nous" },
            $"/demandes/{number}/modifier");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var text = FrenchCopy.VisibleText(await refused.Content.ReadAsStringAsync());
        Assert.Contains("«\u00A0Confirmer\u00A0» est refusé", text);
        FrenchCopy.AssertReadsWell("« Modifier » refusé", text);
    }

    /// <summary>A file whose requests each break one rule of the deposit (docs/regles.md#depot) that needs the database.</summary>
    [Fact]
    public async Task Every_rule_error_of_a_deposit_reads_as_French()
    {
        var vendor = app.Bearer("demo-agendapro");
        var example = await DepositFiles.Example(app.Anonymous());
        JsonObject Fresh() => DepositFiles.FreshAdvance(example, DepositFiles.NextSeed());
        // Already deposited: an advance (its reference and its client are taken), still « En cours ».
        var taken = Fresh();
        var deposited = await vendor.PostAsync("/api/v1/depots", DepositFiles.Form(DepositFiles.With(example, taken),
            DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf))));
        Assert.Equal(HttpStatusCode.Created, deposited.StatusCode);
        var advanceNumber = JsonDocument.Parse(await deposited.Content.ReadAsStringAsync()).RootElement
            .GetProperty("demandes")[0].GetProperty("numero").GetString()!;

        var requests = new List<JsonObject>();
        void Add(Action<JsonObject> change) { var d = Fresh(); change(d); requests.Add(d); }
        Add(d => d["referenceFournisseur"] = taken["referenceFournisseur"]!.GetValue<string>());
        var twice = Fresh();
        requests.Add(twice);
        requests.Add(twice.DeepClone().AsObject());
        Add(d => d["solution"]!["numeroReferencement"] = "SAS-REG-2025-0001");
        Add(d => { d["dispositif"] = "SAS_REGULATEUR"; d["client"]!["typeIdentifiant"] = "RPPS"; });
        Add(d => d["bonDeCommande"]!["date"] = app.Clock.UtcNow.AddDays(3).ToString("yyyy-MM-dd"));
        Add(d => d["bonDeCommande"]!["date"] = "2025-05-01");
        Add(d => d["client"]!["identifiant"] = taken["client"]!["identifiant"]!.GetValue<string>());
        Add(d => d["montantDemande"] = 299.99m);
        void Balance(string advance, Action<JsonObject>? change = null) => Add(d =>
        {
            d["type"] = "SOLDE";
            d["dateMiseEnService"] = app.Clock.UtcNow.AddDays(5).ToString("yyyy-MM-dd");
            d["numeroDemandeAvance"] = advance;
            d["client"]!["identifiant"] = taken["client"]!["identifiant"]!.GetValue<string>();
            change?.Invoke(d);
        });
        Balance(advanceNumber);
        Balance("SAS-A-2099-999999");
        var file = DepositFiles.With(example, [.. requests]);
        file["fournisseur"]!["siret"] = "73282932000074";

        // The windows: balances not open yet, advances of the régulateurs closed.
        await app.Db(async db =>
        {
            var schemes = await db.Schemes.ToListAsync();
            foreach (var s in schemes)
            {
                s.BalanceOpensAt = app.Clock.UtcNow.AddDays(10);
                if (s.Code == FundingScheme.SasRegulateur) s.AdvanceClosesAt = app.Clock.UtcNow.AddDays(-10);
            }
            return await db.SaveChangesAsync();
        });
        try
        {
            var answer = await vendor.PostAsync("/api/v1/simulations", DepositFiles.Form(file));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var errors = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("erreurs").EnumerateArray()
                .Select(e => (Path: e.GetProperty("chemin").GetString()!, Message: e.GetProperty("message").GetString()!)).ToList();

            var messages = errors.Select(e => e.Message).ToList();
            foreach (var words in new[] { "n'est pas celui de votre organisme", "a déjà été déposée", "plusieurs fois", "n'est pas une solution référencée",
                "n'accepte pas les clients", "futur", "antérieur de plus de", "Une demande d'avance existe déjà", "deux demandes d'avance",
                "Montant incorrect", "mise en service doit être comprise", "est introuvable", "est au statut «\u00A0En cours\u00A0»",
                "Le dépôt des demandes de solde pour ce dispositif ouvre le", "Le dépôt des demandes d'avance pour ce dispositif est clos depuis le" })
                Assert.True(messages.Any(m => m.Contains(words, StringComparison.Ordinal)), $"aucune erreur « {words} » parmi :\n" + string.Join("\n", messages));
            foreach (var (path, message) in errors) FrenchCopy.AssertReadsWell(path, message);
        }
        finally
        {
            await app.Db(async db =>
            {
                foreach (var s in await db.Schemes.ToListAsync())
                {
                    s.BalanceOpensAt = app.Clock.UtcNow.AddYears(-1);
                    s.AdvanceClosesAt = app.Clock.UtcNow.AddYears(1);
                }
                return await db.SaveChangesAsync();
            });
        }
    }
}

public sealed class PageCopyTestsOnSqlite(SqliteApp app) : PageCopyTests(app), IClassFixture<SqliteApp>;
