using System.Text;
using Guichet.ApiClient;
using Guichet.ApiClient.Models;
using Guichet.Tests.Support;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace Guichet.Tests.Features;

/// <summary>
/// The journeys of a vendor's integrator and of a manager through the C# client generated from the OpenAPI document
/// (tests/Guichet.ApiClient, Kiota): typed answers, typed French Problem Details on a refusal (issue 18, item 3).
/// </summary>
public abstract class ApiClientTests(GuichetApp app)
{
    /// <summary>The generated client over the fixture's HTTP client (Bearer token, every answer checked against the document).</summary>
    private GuichetClient Client(string token) =>
        new(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: app.Bearer(token)) { BaseUrl = "http://localhost" });

    private static MultipartBody DepositForm(string json, byte[] zip)
    {
        var form = new MultipartBody();
        form.AddOrReplacePart("json", "application/json", new MemoryStream(Encoding.UTF8.GetBytes(json)), "demandes.json");
        form.AddOrReplacePart("zip", "application/zip", new MemoryStream(zip), "pieces.zip");
        return form;
    }

    private static MultipartBody PieceForm(string type, byte[] file, string name)
    {
        var form = new MultipartBody();
        form.AddOrReplacePart("type", "text/plain", type);
        form.AddOrReplacePart("fichier", "application/pdf", new MemoryStream(file), name);
        return form;
    }

    /// <summary>A fresh request of the published example, deposited with its ZIP through the client; its number.</summary>
    private async Task<string> DepositAsync(GuichetClient vendor)
    {
        var example = await DepositFiles.Example(app.Anonymous());
        var request = DepositFiles.FreshAdvance(example, DepositFiles.NextSeed());
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        var received = await vendor.Api.V1.Depots.PostAsync(DepositForm(DepositFiles.With(example, request).ToJsonString(), zip));
        Assert.NotNull(received);
        Assert.Equal("TERMINE", received.Statut);
        Assert.Equal($"/api/v1/depots/{received.Id}", received.Url);
        var created = Assert.Single(received.Demandes!);
        Assert.Equal(request["referenceFournisseur"]!.GetValue<string>(), created.ReferenceFournisseur);
        return created.Numero!;
    }

    [Fact]
    public async Task A_vendors_integrator_deposits_follows_modifies_and_confirms_through_the_generated_client()
    {
        var vendor = Client("demo-agendapro");
        var example = await DepositFiles.Example(app.Anonymous());
        var json = DepositFiles.With(example, DepositFiles.FreshAdvance(example, DepositFiles.NextSeed())).ToJsonString();
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        var key = Guid.NewGuid().ToString("N");
        var received = await vendor.Api.V1.Depots.PostAsync(DepositForm(json, zip), c => c.Headers.Add("Idempotency-Key", key));
        Assert.Equal("TERMINE", received!.Statut);
        var number = Assert.Single(received.Demandes!).Numero!;

        // Polling the deposit by the id of the answer; sending it again under the same key gives the same deposit.
        var polled = await vendor.Api.V1.Depots[received.Id!.Value].GetAsync();
        Assert.Equal(("TERMINE", 1, 1), (polled!.Statut, polled.Total, polled.Traitees));
        Assert.Equal(number, Assert.Single(polled.Demandes!).Numero);
        Assert.Empty(polled.Erreurs!);
        var replayed = await vendor.Api.V1.Depots.PostAsync(DepositForm(json, zip), c => c.Headers.Add("Idempotency-Key", key));
        Assert.Equal(received.Id, replayed!.Id);

        var list = await vendor.Api.V1.Demandes.GetAsync(c => { c.QueryParameters.Q = number; c.QueryParameters.Taille = 5; });
        var summary = Assert.Single(list!.Demandes!);
        Assert.Equal(number, summary.Numero);
        Assert.Equal("EN_COURS", summary.Statut);
        Assert.Equal(1, list.Total);
        var detail = await vendor.Api.V1.Demandes[number].GetAsync();
        Assert.Equal("AgendaPro", detail!.Fournisseur);
        Assert.Null(detail.ModificationEnCours);
        Assert.Single(detail.PiecesJointes!);

        // The manager asks for a modification; the vendor reads it, edits the contact, imports the invoice, confirms.
        var manager = Client("demo-gestionnaire");
        var opened = await manager.Api.V1.Demandes[number].DemandeDeModification.PostAsync(new DemandeDeModification
        {
            Commentaire = "Le lien de support ne répond pas : corrigez-le et joignez la facture.",
            Elements = ["informations.contactSupport", "piece:FACTURE"],
        });
        Assert.Equal("A_MODIFIER", opened!.Statut);
        var round = await vendor.Api.V1.Demandes[number].Modification.GetAsync();
        Assert.Equal(["informations.contactSupport", "piece:FACTURE"], round!.Elements);
        Assert.Equal("https://support.agendapro.test/sas", round.ValeursOrigine!.AdditionalData["contactSupport"]);
        Assert.True(round.JoursRestants > 0);

        var edited = await vendor.Api.V1.Demandes[number].Modification.PatchAsync(new BrouillonModifie
        {
            Informations = new InformationsModifiables { ContactSupport = "support@agendapro.test" },
        });
        Assert.Equal("support@agendapro.test", edited!.Brouillon!.Informations!.AdditionalData["contactSupport"]);
        var piece = await vendor.Api.V1.Demandes[number].Modification.Pieces.PostAsync(PieceForm("FACTURE", DepositFiles.Pdf, "facture.pdf"));
        Assert.Equal("FACTURE", piece!.Type);
        Assert.Equal("facture.pdf", piece.Nom);
        Assert.Equal(DepositFiles.Pdf.Length, piece.Taille);

        var confirmed = await vendor.Api.V1.Demandes[number].Modification.Confirmer.PostAsync();
        Assert.Equal("EN_COURS", confirmed!.Statut);
        Assert.Equal("support@agendapro.test", confirmed.Informations!.ContactSupport);
        Assert.Equal(2, confirmed.PiecesJointes!.Count);
        var last = confirmed.Historique!.Last();
        Assert.Equal("Modification confirmée", last.EvenementProp);
        Assert.Equal("support@agendapro.test", Assert.Single(last.Changements!).Apres);

        var once = await vendor.Api.V1.Demandes.GetAsync(c => c.QueryParameters.Q = number);
        Assert.Equal(1, once!.Total);
    }

    [Fact]
    public async Task A_vendor_follows_a_deposit_by_its_id_and_gets_typed_French_refusals()
    {
        var vendor = Client("demo-agendapro");
        var example = await DepositFiles.Example(app.Anonymous());
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        var request = DepositFiles.FreshAdvance(example, DepositFiles.NextSeed());
        var accepted = await vendor.Api.V1.Depots.PostAsync(DepositForm(DepositFiles.With(example, request).ToJsonString(), zip),
            c => c.Headers.Add("Prefer", "respond-async"));
        Assert.Equal("EN_TRAITEMENT", accepted!.Statut);
        Assert.Empty(accepted.Demandes!);
        var state = await vendor.Api.V1.Depots[accepted.Id!.Value].GetAsync();
        for (var i = 0; i < 100 && state!.Statut == "EN_TRAITEMENT"; i++)
        {
            await Task.Delay(100);
            state = await vendor.Api.V1.Depots[accepted.Id!.Value].GetAsync();
        }
        Assert.Equal("TERMINE", state!.Statut);
        Assert.Equal(1, state.Total);
        Assert.Equal(request["referenceFournisseur"]!.GetValue<string>(), Assert.Single(state.Demandes!).ReferenceFournisseur);

        // A deposit with a broken client identifier: a typed Problem Details naming the field, nothing created.
        var wrong = DepositFiles.FreshAdvance(example, DepositFiles.NextSeed());
        wrong["client"]!["identifiant"] = "123";
        var refused = await Assert.ThrowsAsync<Probleme>(() =>
            vendor.Api.V1.Depots.PostAsync(DepositForm(DepositFiles.With(example, wrong).ToJsonString(), zip)));
        Assert.Equal(400, refused.ResponseStatusCode);
        Assert.Equal("Dépôt refusé : aucune demande n'a été enregistrée", refused.Message);
        var error = Assert.Single(refused.Erreurs!, e => e.Chemin == "$.demandes[0].client.identifiant");
        Assert.Equal(wrong["referenceFournisseur"]!.GetValue<string>(), error.ReferenceFournisseur);

        var missing = await Assert.ThrowsAsync<Probleme>(() => vendor.Api.V1.Depots[Guid.NewGuid()].GetAsync());
        Assert.Equal(404, missing.ResponseStatusCode);
        var anonymous = new GuichetClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: app.Anonymous()) { BaseUrl = "http://localhost" });
        var unauthenticated = await Assert.ThrowsAsync<Probleme>(() => anonymous.Api.V1.Demandes.GetAsync());
        Assert.Equal(401, unauthenticated.ResponseStatusCode);
        var badFilter = await Assert.ThrowsAsync<Probleme>(() => vendor.Api.V1.Demandes.GetAsync(c => c.QueryParameters.Statut = "PAYEE"));
        Assert.Equal("$.statut", Assert.Single(badFilter.Erreurs!).Chemin);
    }

    [Fact]
    public async Task A_manager_opens_a_round_validates_one_request_and_rejects_another_with_a_reason()
    {
        var vendor = Client("demo-agendapro");
        var manager = Client("demo-gestionnaire");
        var toValidate = await DepositAsync(vendor);
        var toReject = await DepositAsync(vendor);

        var round = await manager.Api.V1.Demandes[toValidate].DemandeDeModification.PostAsync(new DemandeDeModification
            { Commentaire = "Précisez le contact de support.", Elements = ["informations.contactSupport"] });
        Assert.Equal("A_MODIFIER", round!.Statut);
        Assert.Equal("Précisez le contact de support.", round.ModificationEnCours!.Commentaire);
        Assert.Null(round.ModificationEnCours.Brouillon);
        var cancelled = await manager.Api.V1.Demandes[toValidate].DemandeDeModification.Annuler.PostAsync(new Commentaire { CommentaireProp = "Finalement complet." });
        Assert.Equal("EN_COURS", cancelled!.Statut);
        var validated = await manager.Api.V1.Demandes[toValidate].Valider.PostAsync();
        Assert.Equal("VALIDEE", validated!.Statut);
        var paid = await manager.Api.V1.Demandes[toValidate].Payer.PostAsync();
        Assert.Equal("DECIDEE_ET_PAYEE", paid!.Statut);

        // Rejecting without a reason is a typed 400 naming « motif »; with one, the request is rejected and says why.
        var noReason = await Assert.ThrowsAsync<Probleme>(() => manager.Api.V1.Demandes[toReject].Rejeter.PostAsync(new Rejet { Motif = " " }));
        Assert.Equal(400, noReason.ResponseStatusCode);
        Assert.Contains(noReason.Erreurs!, e => e.Message!.Contains("motif", StringComparison.OrdinalIgnoreCase));
        var rejected = await manager.Api.V1.Demandes[toReject].Rejeter.PostAsync(new Rejet { Motif = "Solution non référencée à la date de la commande." });
        Assert.Equal("REJETEE", rejected!.Statut);
        Assert.Equal("Solution non référencée à la date de la commande.", rejected.MotifRejet);

        // Deciding again, or as the vendor, is refused with the French reason.
        var again = await Assert.ThrowsAsync<Probleme>(() => manager.Api.V1.Demandes[toReject].Valider.PostAsync());
        Assert.Equal(409, again.ResponseStatusCode);
        Assert.Equal("Conflit avec l'état de la demande", again.Message);
        var notManager = await Assert.ThrowsAsync<Probleme>(() => vendor.Api.V1.Demandes[toReject].Payer.PostAsync());
        Assert.Equal(403, notManager.ResponseStatusCode);
    }
}

public sealed class ApiClientTestsOnSqlite(SqliteApp app) : ApiClientTests(app), IClassFixture<SqliteApp>;

public sealed class ApiClientTestsOnPostgres(PostgresApp app) : ApiClientTests(app), IClassFixture<PostgresApp>;
