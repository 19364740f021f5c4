using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features;

/// <summary>Instruction decisions over the API and the pages, as each role, on each provider.</summary>
public abstract class InstructionTests(GuichetApp app)
{
    private const string RoundBody = """{ "commentaire": "Le lien de support ne répond pas.\nMerci d'ajouter la facture.", "elements": ["informations.contactSupport", "piece:FACTURE"] }""";

    private async Task<RequestStatus> StatusOf(string number) => (await app.LoadAsync(number)).Status;

    [Fact]
    public async Task Manager_opens_a_round_over_the_API_and_the_vendor_gets_one_email_with_comment_items_and_deadline()
    {
        var number = await app.NewAsync();
        var response = await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/demande-de-modification", Body(RoundBody));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var d = await Json(response);
        Assert.Equal("A_MODIFIER", d.GetProperty("statut").GetString());
        var round = d.GetProperty("modificationEnCours");
        Assert.Equal(["informations.contactSupport", "piece:FACTURE"], round.GetProperty("elements").EnumerateArray().Select(e => e.GetString()).ToArray());

        var request = await app.LoadAsync(number);
        Assert.False(request.OpenRound!.AtVendorRequest);
        Assert.Contains(request.History, h => h.Event == "Demande de modification" && h.ToStatus == RequestStatus.AModifier && h.ActorRole == "Gestionnaire");
        var mail = Assert.Single(await app.MailsAsync(number));
        Assert.Equal(EmailKind.RoundOpened, mail.Kind);
        Assert.Contains("editeur@agendapro.test", mail.RecipientList);
        Assert.Contains("Le lien de support ne répond pas.", mail.TextBody);
        Assert.Contains(EditableField.ItemLabel("informations.contactSupport"), mail.TextBody);
        Assert.Contains("Facture", mail.HtmlBody);
        Assert.Contains(Guichet.Hosting.Fr.Date(request.OpenRound.LastDay), mail.Subject);
        Assert.Contains("/demandes/" + number, mail.TextBody);
        Assert.Null(mail.SentAt);
    }

    [Fact]
    public async Task Support_opens_a_round_at_the_vendors_request()
    {
        var number = await app.NewAsync();
        var response = await app.Bearer("demo-assistance").PostAsync($"/api/v1/demandes/{number}/demande-de-modification", Body(RoundBody));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = await app.LoadAsync(number);
        Assert.True(request.OpenRound!.AtVendorRequest);
        Assert.Contains(request.History, h => h.Event == "Modification ouverte à la demande du fournisseur" && h.ActorRole == "Assistance utilisateur");
        Assert.Contains("à votre demande", Assert.Single(await app.MailsAsync(number)).TextBody);
    }

    [Theory]
    [InlineData("demande-de-modification")]
    [InlineData("demande-de-modification/annuler")]
    [InlineData("valider")]
    [InlineData("rejeter")]
    [InlineData("payer")]
    public async Task A_vendor_gets_403_on_every_manager_endpoint_and_nothing_changes(string action)
    {
        var number = await app.NewAsync();
        var response = await app.Bearer("demo-agendapro").PostAsync($"/api/v1/demandes/{number}/{action}", Body(RoundBody.Replace("}", ", \"motif\": \"x\" }")));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Accès refusé", (await Json(response)).GetProperty("title").GetString());
        Assert.Equal(RequestStatus.EnCours, await StatusOf(number));
        Assert.Empty(await app.MailsAsync(number));
    }

    [Theory]
    [InlineData("valider", RequestStatus.EnCours)]
    [InlineData("rejeter", RequestStatus.EnCours)]
    [InlineData("payer", RequestStatus.Validee)]
    [InlineData("demande-de-modification/annuler", RequestStatus.AModifier)]
    public async Task Support_cannot_decide(string action, RequestStatus status)
    {
        var number = await app.NewAsync(status);
        var response = await app.Bearer("demo-assistance").PostAsync($"/api/v1/demandes/{number}/{action}", Body("""{ "motif": "Non." }"""));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(status, await StatusOf(number));
    }

    [Theory]
    [InlineData("payer", RequestStatus.EnCours, "Décidée et payée")]
    [InlineData("valider", RequestStatus.Validee, "Valider")]
    [InlineData("demande-de-modification/annuler", RequestStatus.EnCours, "Demande de modification annulée")]
    [InlineData("demande-de-modification", RequestStatus.AModifier, "Demander une modification")]
    [InlineData("rejeter", RequestStatus.AModifier, "Rejeter")]
    public async Task A_decision_from_the_wrong_status_gets_409_in_French_and_changes_nothing(string action, RequestStatus status, string named)
    {
        var number = await app.NewAsync(status);
        var before = await app.LoadAsync(number);
        var mails = await app.MailsAsync(number); // the round's e-mail, for a request « A modifier »
        var body = action switch
        {
            "rejeter" => Body("""{ "motif": "Non." }"""),
            "demande-de-modification" => Body("""{ "commentaire": "Encore.", "elements": ["informations.contactSupport"] }"""),
            _ => null,
        };
        var response = await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/{action}", body);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var detail = (await Json(response)).GetProperty("detail").GetString()!;
        Assert.Contains("impossible", detail);
        Assert.Contains(named, detail);
        var after = await app.LoadAsync(number);
        Assert.Equal(status, after.Status);
        Assert.Equal(before.History.Count, after.History.Count);
        Assert.Equal(mails.Select(m => m.Id), (await app.MailsAsync(number)).Select(m => m.Id));
    }

    [Theory]
    [InlineData("demande-de-modification", """{ "commentaire": "", "elements": ["informations.contactSupport"] }""", "commentaire")]
    [InlineData("demande-de-modification", """{ "commentaire": "Corrigez.", "elements": [] }""", "élément")]
    [InlineData("demande-de-modification", """{ "commentaire": "Corrigez." }""", "élément")]
    [InlineData("demande-de-modification", """{ "commentaire": "Corrigez.", "elements": ["client.nom"] }""", "client.nom")]
    [InlineData("rejeter", """{ "motif": "  " }""", "motif")]
    [InlineData("rejeter", """{}""", "motif")]
    public async Task Missing_comment_items_or_reason_gets_400(string action, string json, string mentioned)
    {
        var number = await app.NewAsync();
        var response = await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/{action}", Body(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentioned, (await Json(response)).GetProperty("detail").GetString());
        Assert.Equal(RequestStatus.EnCours, await StatusOf(number));
        Assert.Empty(await app.MailsAsync(number));
    }

    [Theory]
    [InlineData("demande-de-modification", "{")]
    [InlineData("demande-de-modification", "")]
    [InlineData("demande-de-modification", "[1, 2]")]
    [InlineData("demande-de-modification", """{ "commentaire": 3, "elements": ["informations.contactSupport"] }""")]
    [InlineData("demande-de-modification", """{ "commentaire": "x", "elements": "informations.contactSupport" }""")]
    [InlineData("demande-de-modification", """{ "commentaire": "x", "elements": ["informations.contactSupport"], "inconnu": 1 }""")]
    [InlineData("rejeter", "null")]
    [InlineData("demande-de-modification/annuler", "{ oops")]
    public async Task A_malformed_body_gets_a_French_400_never_a_5xx(string action, string json)
    {
        var number = await app.NewAsync(action.EndsWith("annuler") ? RequestStatus.AModifier : RequestStatus.EnCours);
        var mails = await app.MailsAsync(number); // the round's e-mail, for a request « A modifier »
        var response = await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/{action}", Body(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await Json(response);
        Assert.Equal("Requête invalide", problem.GetProperty("title").GetString());
        Assert.StartsWith("$", problem.GetProperty("erreurs")[0].GetProperty("chemin").GetString());
        Assert.Equal(mails.Select(m => m.Id), (await app.MailsAsync(number)).Select(m => m.Id));
    }

    [Fact]
    public async Task The_same_decision_sent_twice_at_once_makes_one_transition_and_one_email()
    {
        var number = await app.NewAsync();
        var client = app.Bearer("demo-gestionnaire");
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.PostAsync($"/api/v1/demandes/{number}/valider", null)));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var request = await app.LoadAsync(number);
        Assert.Equal(RequestStatus.Validee, request.Status);
        Assert.Single(request.History, h => h.Event == "Demande validée");
        Assert.Equal(EmailKind.Validated, Assert.Single(await app.MailsAsync(number)).Kind);
    }

    [Fact]
    public async Task Two_managers_deciding_differently_at_once_one_wins_and_nothing_is_half_applied()
    {
        var number = await app.NewAsync();
        var client = app.Bearer("demo-gestionnaire");
        var validate = client.PostAsync($"/api/v1/demandes/{number}/valider", null);
        var reject = client.PostAsync($"/api/v1/demandes/{number}/rejeter", Body("""{ "motif": "Facture illisible." }"""));
        var responses = await Task.WhenAll(validate, reject);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        var loser = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        Assert.Matches("(modifiée par quelqu'un d'autre|impossible)", (await Json(loser)).GetProperty("detail").GetString());
        var request = await app.LoadAsync(number);
        Assert.Contains(request.Status, new[] { RequestStatus.Validee, RequestStatus.Rejetee });
        Assert.Single(request.History, h => h.FromStatus == RequestStatus.EnCours && h.ToStatus != RequestStatus.EnCours && h.Event != "Dépôt de la demande");
        Assert.Equal(request.Status == RequestStatus.Validee ? (string?)null : "Facture illisible.", request.RejectionReason);
        Assert.Equal(request.Status == RequestStatus.Validee ? EmailKind.Validated : EmailKind.Rejected, Assert.Single(await app.MailsAsync(number)).Kind);
    }

    [Fact]
    public async Task Validate_pay_reject_and_cancel_each_record_the_transition_and_an_email()
    {
        var manager = app.Bearer("demo-gestionnaire");
        var paid = await app.NewAsync();
        Assert.Equal(HttpStatusCode.OK, (await manager.PostAsync($"/api/v1/demandes/{paid}/valider", null)).StatusCode);
        var payResponse = await manager.PostAsync($"/api/v1/demandes/{paid}/payer", null);
        Assert.Equal("DECIDEE_ET_PAYEE", (await Json(payResponse)).GetProperty("statut").GetString());
        Assert.Equal([EmailKind.Validated, EmailKind.Paid], (await app.MailsAsync(paid)).Select(m => m.Kind).ToArray());

        var rejected = await app.NewAsync();
        var rejectResponse = await manager.PostAsync($"/api/v1/demandes/{rejected}/rejeter", Body("""{ "motif": "Le bon de commande est antérieur au référencement." }"""));
        var rejectedDto = await Json(rejectResponse);
        Assert.Equal("REJETEE", rejectedDto.GetProperty("statut").GetString());
        Assert.Equal("Le bon de commande est antérieur au référencement.", rejectedDto.GetProperty("motifRejet").GetString());
        Assert.Contains("antérieur au référencement", Assert.Single(await app.MailsAsync(rejected)).TextBody);

        var cancelled = await app.NewAsync(RequestStatus.AModifier);
        var cancelResponse = await manager.PostAsync($"/api/v1/demandes/{cancelled}/demande-de-modification/annuler", null);
        Assert.Equal("EN_COURS", (await Json(cancelResponse)).GetProperty("statut").GetString());
        var request = await app.LoadAsync(cancelled);
        Assert.Equal(RoundOutcome.Cancelled, Assert.Single(request.Rounds).Outcome);
        Assert.Equal([EmailKind.RoundOpened, EmailKind.RoundCancelled], (await app.MailsAsync(cancelled)).Select(m => m.Kind).ToArray());
        var timeline = (await Json(await manager.GetAsync($"/api/v1/demandes/{cancelled}"))).GetProperty("historique");
        Assert.Equal(["Dépôt de la demande", "Demande de modification", "Demande de modification annulée"],
            timeline.EnumerateArray().Select(h => h.GetProperty("evenement").GetString()).ToArray());
    }

    [Fact]
    public async Task Manager_opens_a_round_on_the_page_behind_a_confirmation_and_the_vendor_sees_it()
    {
        var number = await app.NewAsync();
        var manager = await app.SignedIn("gestionnaire@asp.test");
        var page = await manager.GetStringAsync($"/instruction/{number}");
        Assert.Contains("Demander une modification", page);
        Assert.Contains("Pièce justificative à ajouter : Facture", Readable.Of(page));
        var version = (await app.LoadAsync(number)).Version.ToString();
        var fields = new Dictionary<string, string> { ["Commentaire"] = "Merci de corriger le contact.", ["Elements"] = "informations.contactSupport", ["Version"] = version };

        var unconfirmed = await manager.PostForm($"/instruction/{number}?handler=DemanderModification", fields, $"/instruction/{number}");
        Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
        Assert.Contains("Cochez la case de confirmation", await unconfirmed.Content.ReadAsStringAsync());
        Assert.Equal(RequestStatus.EnCours, await StatusOf(number));

        fields["Confirme"] = "true";
        var confirmed = await manager.PostForm($"/instruction/{number}?handler=DemanderModification", fields, $"/instruction/{number}");
        Assert.Equal(HttpStatusCode.Redirect, confirmed.StatusCode);
        Assert.Contains("La demande de modification est ouverte", await manager.GetStringAsync(confirmed.Headers.Location!.ToString()));
        Assert.Equal(RequestStatus.AModifier, await StatusOf(number));
        Assert.Single(await app.MailsAsync(number));

        var vendorPage = await (await app.SignedIn("editeur@agendapro.test")).GetStringAsync($"/demandes/{number}");
        Assert.Contains("Votre demande nécessite des modifications", vendorPage);
        Assert.Contains("Merci de corriger le contact.", vendorPage);
    }

    [Fact]
    public async Task A_decision_taken_on_a_stale_page_is_refused_with_a_clear_message()
    {
        var number = await app.NewAsync();
        var manager = await app.SignedIn("gestionnaire@asp.test");
        var stale = (await app.LoadAsync(number)).Version.ToString();
        Assert.Equal(HttpStatusCode.OK, (await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/rejeter", Body("""{ "motif": "Doublon." }"""))).StatusCode);

        var response = await manager.PostForm($"/instruction/{number}?handler=Valider", new() { ["Version"] = stale, ["Confirme"] = "true" }, $"/instruction/{number}");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("modifiée par quelqu&#x27;un d&#x27;autre entre-temps", (await response.Content.ReadAsStringAsync()).Replace("'", "&#x27;"));
        Assert.Equal(RequestStatus.Rejetee, await StatusOf(number));
        Assert.Single(await app.MailsAsync(number));
    }

    [Fact]
    public async Task Vendors_and_support_cannot_reach_the_instruction_pages()
    {
        var number = await app.NewAsync();
        foreach (var email in new[] { "editeur@agendapro.test", "assistance@asp.test" })
        {
            var client = await app.SignedIn(email);
            foreach (var url in new[] { "/instruction", $"/instruction/{number}", "/instruction/export.csv" })
            {
                var response = await client.GetAsync(url);
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.StartsWith("/acces-refuse", response.Headers.Location!.PathAndQuery);
            }
        }
        var vendor = await app.SignedIn("editeur@agendapro.test");
        Assert.Equal(HttpStatusCode.Redirect, (await vendor.GetAsync("/assistance")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await vendor.GetAsync("/acces-refuse")).StatusCode);
    }

    [Fact]
    public async Task Queue_filters_by_status_vendor_dates_and_the_two_flags_oldest_first()
    {
        var manager = await app.SignedIn("gestionnaire@asp.test");
        var all = await manager.GetStringAsync("/instruction?taille=100&statut=EN_COURS");
        Assert.Contains("AgendaPro", all);
        Assert.Contains("Regulis", all);
        Assert.DoesNotContain("statut statut-validee\"", all);

        var modified = await app.NewConfirmedAsync();
        var expired = await app.NewExpiredAsync();
        var flagged = await manager.GetStringAsync("/instruction?modifiee=1&taille=100");
        Assert.Contains(modified, flagged);
        Assert.DoesNotContain(expired, flagged);
        var seen = await manager.GetStringAsync($"/instruction/{modified}");
        Assert.Contains("Modification confirmée par le fournisseur", seen);
        Assert.Contains("<span class=\"gx-changed\">support@agendapro.test</span>", seen);
        Assert.DoesNotContain(modified, await manager.GetStringAsync("/instruction?modifiee=1&taille=100")); // seen now

        var late = await manager.GetStringAsync("/instruction?delaiDepasse=1&taille=100");
        Assert.Contains(expired, late);
        Assert.DoesNotContain(modified, late);

        var today = app.Clock.UtcNow.ToString("yyyy-MM-dd");
        var future = await manager.GetStringAsync($"/instruction?deposeDu={app.Clock.UtcNow.AddDays(2):yyyy-MM-dd}");
        Assert.Contains("Aucune demande ne correspond", future);
        var bad = await manager.GetAsync("/instruction?deposeDu=31/12/2026&tri=prix");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("aaaa-mm-jj", await bad.Content.ReadAsStringAsync());

        var queue = await manager.GetStringAsync($"/instruction?taille=100&deposeAu={today}");
        var numbers = System.Text.RegularExpressions.Regex.Matches(queue, "href=\"/instruction/(SAS-[AS]-\\d{4}-\\d{6})\"").Select(m => m.Groups[1].Value).ToList();
        var deposits = await app.Db(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToDictionaryAsync(
            db.Requests.Where(r => numbers.Contains(r.Number)), r => r.Number, r => r.DepositedAt));
        Assert.True(numbers.Count > 20);
        Assert.Equal(numbers.Select(n => deposits[n]).Order().ToList(), numbers.Select(n => deposits[n]).ToList());
    }

    [Fact]
    public async Task The_CSV_export_streams_the_filtered_queue_for_French_Excel()
    {
        var manager = await app.SignedIn("gestionnaire@asp.test");
        var response = await manager.GetAsync("/instruction/export.csv?statut=VALIDEE&dispositif=SAS_REGULATEUR");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString());
        Assert.True(response.Headers.CacheControl?.NoStore, "a personal export is never kept by a cache");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Numéro;Référence fournisseur;Fournisseur;SIRET;", lines[0]);
        var expected = await app.Db(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(
            db.Requests.Where(r => r.Status == RequestStatus.Validee && r.SchemeCode == FundingScheme.SasRegulateur)));
        Assert.True(expected > 0);
        Assert.Equal(expected, lines.Length - 1);
        Assert.All(lines.Skip(1), l => Assert.Contains(";Regulis;90000002700012;", l));
        Assert.All(lines.Skip(1), l => Assert.Contains(";Validée;", l));
        Assert.Matches(";\\d+,\\d{2};", lines[1]);
    }

    [Fact]
    public async Task Support_finds_a_request_sees_its_emails_and_opens_a_round_for_the_vendor()
    {
        var number = await app.NewAsync();
        var support = await app.SignedIn("assistance@asp.test");
        var bySiret = await support.GetStringAsync("/assistance?q=90000001900019");
        Assert.Contains("AgendaPro", bySiret);
        Assert.DoesNotContain("Regulis", bySiret);
        Assert.Contains($"/assistance/{number}", await support.GetStringAsync($"/assistance?q={number}"));
        var reference = (await app.LoadAsync(number)).VendorReference;
        Assert.Contains($"/assistance/{number}", await support.GetStringAsync($"/assistance?q={reference}"));

        var page = await support.GetStringAsync($"/assistance/{number}");
        Assert.Contains("Passer « A modifier » à la demande du fournisseur", Readable.Of(page));
        Assert.DoesNotContain("handler=Valider", page);
        Assert.Contains("Aucun e-mail pour cette demande", page);

        var version = (await app.LoadAsync(number)).Version.ToString();
        var posted = await support.PostForm($"/assistance/{number}?handler=DemanderModification",
            new() { ["Commentaire"] = "Le fournisseur signale une erreur de contact.", ["Elements"] = "informations.contactSupport", ["Version"] = version, ["Confirme"] = "true" },
            $"/assistance/{number}");
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var after = await support.GetStringAsync($"/assistance/{number}");
        Assert.Contains("à la demande du fournisseur", after);
        Assert.Contains("E-mails envoyés", after);
        Assert.Contains($"Demande {number} : modification demandée", Readable.Of(after));
        Assert.Contains("En attente d&#x27;envoi", after.Replace("'", "&#x27;"));
        Assert.True((await app.LoadAsync(number)).OpenRound!.AtVendorRequest);
    }
}

public sealed class InstructionTestsOnSqlite(SqliteApp app) : InstructionTests(app), IClassFixture<SqliteApp>;

public sealed class InstructionTestsOnPostgres(PostgresApp app) : InstructionTests(app), IClassFixture<PostgresApp>;
