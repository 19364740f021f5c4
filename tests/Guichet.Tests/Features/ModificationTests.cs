using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>The training deck's modification flow over the API and the « Modifier » page, on each provider.</summary>
public abstract class ModificationTests(GuichetApp app)
{
    private HttpClient AgendaPro => app.Bearer("demo-agendapro");

    /// <summary>A fresh AgendaPro request « A modifier »: deposited complete, then a manager opens a round with the given items.</summary>
    private async Task<string> RequestToModify(params string[] items)
    {
        var example = await DepositFiles.Example(app.Anonymous());
        var d = DepositFiles.FreshAdvance(example, DepositFiles.NextSeed());
        var zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf));
        var created = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(DepositFiles.With(example, d), zip));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var number = (await Json(created)).GetProperty("demandes")[0].GetProperty("numero").GetString()!;
        await app.OpenRoundAsManagerAsync(number, "Le lien de support ne répond pas : corrigez-le et joignez la facture.",
            items.Length == 0 ? [EditableField.ContactSupport, "piece:FACTURE"] : items);
        return number;
    }

    [Fact]
    public async Task The_draft_is_kept_invisible_to_managers_then_confirm_applies_it_and_records_each_change()
    {
        var number = await RequestToModify();
        var edit = await AgendaPro.PatchAsync($"/api/v1/demandes/{number}/modification", Body("{\"informations\":{\"contactSupport\":\"support@agendapro.test\"}}"));
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        var added = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/pieces", DepositFiles.Piece("FACTURE", DepositFiles.Pdf, "facture-corrigee.pdf"));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        // Leaving and coming back: the draft is still there.
        var draft = await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{number}/modification"));
        Assert.Equal("support@agendapro.test", draft.GetProperty("brouillon").GetProperty("informations").GetProperty("contactSupport").GetString());
        Assert.Equal(1, draft.GetProperty("brouillon").GetProperty("piecesJointes").GetArrayLength());
        Assert.Equal("https://support.agendapro.test/sas", draft.GetProperty("valeursOrigine").GetProperty("contactSupport").GetString());

        // Managers see neither the draft value nor the draft attachment.
        var asManager = await Json(await app.Bearer("demo-gestionnaire").GetAsync($"/api/v1/demandes/{number}"));
        Assert.Equal("https://support.agendapro.test/sas", asManager.GetProperty("informations").GetProperty("contactSupport").GetString());
        Assert.Equal(1, asManager.GetProperty("piecesJointes").GetArrayLength());

        var confirmed = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/confirmer", null);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var after = await Json(await app.Bearer("demo-gestionnaire").GetAsync($"/api/v1/demandes/{number}"));
        Assert.Equal("EN_COURS", after.GetProperty("statut").GetString());
        Assert.Equal("support@agendapro.test", after.GetProperty("informations").GetProperty("contactSupport").GetString());
        Assert.Equal(2, after.GetProperty("piecesJointes").GetArrayLength());
        var last = after.GetProperty("historique").EnumerateArray().Last();
        Assert.Equal("Modification confirmée", last.GetProperty("evenement").GetString());
        var change = last.GetProperty("changements")[0];
        Assert.Equal("informations.contactSupport", change.GetProperty("champ").GetString());
        Assert.Equal("https://support.agendapro.test/sas", change.GetProperty("avant").GetString());
        Assert.Equal("support@agendapro.test", change.GetProperty("apres").GetString());
        Assert.Equal("facture-corrigee.pdf", last.GetProperty("piecesAjoutees")[0].GetString());

        // Confirmed twice: one transition only.
        var again = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/confirmer", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var history = (await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{number}"))).GetProperty("historique").EnumerateArray();
        Assert.Single(history, h => h.GetProperty("evenement").GetString() == "Modification confirmée");
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var mails = await db.OutboxMessages.Where(m => m.Request!.Number == number).Select(m => m.Kind).ToListAsync();
        Assert.Equal(1, mails.Count(k => k == Guichet.Email.EmailKind.ModificationConfirmed));
    }

    [Theory]
    [InlineData("{\"informations\":{\"contactSupport\":\"pas un contact\"}}", "$.informations.contactSupport", "https://")]
    [InlineData("{\"informations\":{\"contactSupport\":\"\"}}", "$.informations.contactSupport", "obligatoires")]
    [InlineData("{\"montantDemande\":1}", "$.montantDemande", "n'est pas modifiable")]
    [InlineData("{\"informations\":{\"couleur\":\"bleu\"}}", "$.informations.couleur", "n'existe pas")]
    [InlineData("{\"informations\":{\"contactSupport\":12}}", "$.informations.contactSupport", "chaîne")]
    [InlineData("pas du json", "$", "JSON valide")]
    public async Task An_invalid_or_forbidden_edit_is_refused_and_changes_nothing(string body, string path, string words)
    {
        var number = await RequestToModify();
        var response = await AgendaPro.PatchAsync($"/api/v1/demandes/{number}/modification", Body(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json(response)).GetProperty("erreurs")[0];
        Assert.Equal(path, error.GetProperty("chemin").GetString());
        Assert.Contains(words, error.GetProperty("message").GetString());
        var draft = await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{number}/modification"));
        Assert.Empty(draft.GetProperty("brouillon").GetProperty("informations").EnumerateObject());
    }

    [Fact]
    public async Task A_field_the_round_did_not_ask_for_cannot_be_edited_by_PATCH_or_crafted_form_post()
    {
        var number = await RequestToModify("piece:FACTURE");
        var patch = await AgendaPro.PatchAsync($"/api/v1/demandes/{number}/modification", Body("{\"informations\":{\"contactSupport\":\"support@agendapro.test\"}}"));
        Assert.Equal(HttpStatusCode.BadRequest, patch.StatusCode);
        Assert.Contains("n'est pas modifiable", await patch.Content.ReadAsStringAsync());

        var browser = await app.SignedIn("editeur@agendapro.test");
        var page = await browser.GetStringAsync($"/demandes/{number}/modifier");
        Assert.DoesNotContain("name=\"ContactSupport\"", page);
        var crafted = await browser.PostForm($"/demandes/{number}/modifier?handler=Confirmer", new() { ["ContactSupport"] = "support@agendapro.test" }, $"/demandes/{number}/modifier");
        Assert.Equal(HttpStatusCode.BadRequest, crafted.StatusCode);
        var detail = await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{number}"));
        Assert.Equal("A_MODIFIER", detail.GetProperty("statut").GetString());
        Assert.Equal("https://support.agendapro.test/sas", detail.GetProperty("informations").GetProperty("contactSupport").GetString());
    }

    [Fact]
    public async Task Attachments_are_add_only_a_draft_one_can_be_removed_and_its_file_is_purged()
    {
        var number = await RequestToModify();
        var detail = await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{number}"));
        var before = detail.GetProperty("piecesJointes")[0].GetProperty("id").GetString();
        var refused = await AgendaPro.DeleteAsync($"/api/v1/demandes/{number}/modification/pieces/{before}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("présente avant la modification", await refused.Content.ReadAsStringAsync());

        var filesBefore = await app.StoredFilesAsync();
        var added = await Json(await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/pieces", DepositFiles.Piece("AUTRE", DepositFiles.Png, "capture.png")));
        Assert.Equal(filesBefore + 1, await app.StoredFilesAsync());
        var removed = await AgendaPro.DeleteAsync($"/api/v1/demandes/{number}/modification/pieces/{added.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(filesBefore, await app.StoredFilesAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await AgendaPro.DeleteAsync($"/api/v1/demandes/{number}/modification/pieces/{Guid.NewGuid()}")).StatusCode);

        var hostile = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/pieces", DepositFiles.Piece("FACTURE", [0x4D, 0x5A, 0x90, 0x00], "facture.pdf"));
        Assert.Equal(HttpStatusCode.BadRequest, hostile.StatusCode);
        Assert.Contains("ne correspond pas à son extension", await hostile.Content.ReadAsStringAsync());
        var exe = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/pieces", DepositFiles.Piece("FACTURE", [0x4D, 0x5A], "facture.exe"));
        Assert.Equal(HttpStatusCode.BadRequest, exe.StatusCode);
    }

    [Fact]
    public async Task Declining_discards_the_draft_and_purges_its_files()
    {
        var number = await RequestToModify();
        await AgendaPro.PatchAsync($"/api/v1/demandes/{number}/modification", Body("{\"informations\":{\"contactSupport\":\"01 23 45 67 89\"}}"));
        var filesBefore = await app.StoredFilesAsync();
        await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/pieces", DepositFiles.Piece("FACTURE", DepositFiles.Pdf, "facture.pdf"));
        var declined = await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/renoncer", null);
        Assert.Equal(HttpStatusCode.OK, declined.StatusCode);
        var detail = await Json(declined);
        Assert.Equal("EN_COURS", detail.GetProperty("statut").GetString());
        Assert.Equal("https://support.agendapro.test/sas", detail.GetProperty("informations").GetProperty("contactSupport").GetString());
        Assert.Equal(1, detail.GetProperty("piecesJointes").GetArrayLength());
        Assert.Equal(filesBefore, await app.StoredFilesAsync());
    }

    [Fact]
    public async Task Outside_a_round_every_modification_call_is_409_and_others_get_404_or_403()
    {
        var number = await RequestToModify();
        await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/confirmer", null);
        Assert.Equal(HttpStatusCode.Conflict, (await AgendaPro.GetAsync($"/api/v1/demandes/{number}/modification")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await AgendaPro.PatchAsync($"/api/v1/demandes/{number}/modification", Body("{\"informations\":{\"contactSupport\":\"a@b.fr\"}}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/pieces", DepositFiles.Piece("AUTRE", DepositFiles.Pdf, "a.pdf"))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/renoncer", null)).StatusCode);

        var other = await RequestToModify();
        Assert.Equal(HttpStatusCode.NotFound, (await app.Bearer("demo-regulis").GetAsync($"/api/v1/demandes/{other}/modification")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Bearer("demo-regulis").PostAsync($"/api/v1/demandes/{other}/modification/confirmer", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{other}/modification/confirmer", null)).StatusCode);
        var browser = await app.SignedIn("editeur@regulis.test");
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/demandes/{other}/modifier")).StatusCode);
    }

    [Fact]
    public async Task Confirm_racing_a_managers_cancel_has_one_consistent_outcome()
    {
        for (var i = 0; i < 5; i++)
        {
            var number = await RequestToModify();
            await AgendaPro.PatchAsync($"/api/v1/demandes/{number}/modification", Body("{\"informations\":{\"contactSupport\":\"support@agendapro.test\"}}"));
            var confirm = AgendaPro.PostAsync($"/api/v1/demandes/{number}/modification/confirmer", null);
            var cancel = Task.Run(async () =>
            {
                using var scope = app.Services.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
                var r = await db.Requests.Include(x => x.Rounds).Include(x => x.Documents).Include(x => x.History).SingleAsync(x => x.Number == number);
                try
                {
                    r.CancelModificationRound(new Actor("Claire Petit", "Gestionnaire", null), app.Clock.UtcNow);
                    await db.SaveChangesAsync();
                    return true;
                }
                catch (Exception e) when (e is Refusal or DbUpdateConcurrencyException) { return false; }
            });
            var confirmed = (await confirm).StatusCode == HttpStatusCode.OK;
            var cancelled = await cancel;
            Assert.True(confirmed ^ cancelled, $"un seul gagnant attendu (confirmé : {confirmed}, annulé : {cancelled})");
            var detail = await Json(await app.Bearer("demo-gestionnaire").GetAsync($"/api/v1/demandes/{number}"));
            Assert.Equal("EN_COURS", detail.GetProperty("statut").GetString());
            var contact = detail.GetProperty("informations").GetProperty("contactSupport").GetString();
            Assert.Equal(confirmed ? "support@agendapro.test" : "https://support.agendapro.test/sas", contact);
        }
    }

    [Fact]
    public async Task The_Modifier_page_prefills_shows_changes_in_green_and_refuses_an_invalid_value()
    {
        var number = await RequestToModify();
        var browser = await app.SignedIn("editeur@agendapro.test");
        var page = await browser.GetStringAsync($"/demandes/{number}/modifier");
        Assert.Contains("Récapitulatif et commentaire du gestionnaire", page);
        Assert.Contains("Le lien de support ne répond pas", page);
        Assert.Contains("value=\"https://support.agendapro.test/sas\"", page);
        Assert.DoesNotContain("form-control gx-changed", page);
        Assert.DoesNotContain("gx-bin", page); // no bin on the attachment present before the round

        var saved = await browser.PostForm($"/demandes/{number}/modifier?handler=Enregistrer", new() { ["ContactSupport"] = "support@agendapro.test" }, $"/demandes/{number}/modifier");
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var reloaded = await browser.GetStringAsync($"/demandes/{number}/modifier");
        Assert.Contains("form-control gx-changed", reloaded);
        Assert.Contains("value=\"support@agendapro.test\"", reloaded);

        var invalid = await browser.PostForm($"/demandes/{number}/modifier?handler=Confirmer", new() { ["ContactSupport"] = "appelez-nous" }, $"/demandes/{number}/modifier");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var html = await invalid.Content.ReadAsStringAsync();
        Assert.Contains("id=\"contact-support-error\"", html);
        Assert.Contains("« Confirmer » est refusé", Readable.Of(html));
        Assert.Equal("A_MODIFIER", (await Json(await AgendaPro.GetAsync($"/api/v1/demandes/{number}"))).GetProperty("statut").GetString());

        var ok = await browser.PostForm($"/demandes/{number}/modifier?handler=Confirmer", new() { ["ContactSupport"] = "support@agendapro.test" }, $"/demandes/{number}/modifier");
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);
        var requestPage = await browser.GetStringAsync(ok.Headers.Location!.OriginalString);
        Assert.Contains("La demande repasse au statut « en cours »", Readable.Of(requestPage));
    }
}

public sealed class ModificationTestsOnSqlite(SqliteApp app) : ModificationTests(app), IClassFixture<SqliteApp>;

public sealed class ModificationTestsOnPostgres(PostgresApp app) : ModificationTests(app), IClassFixture<PostgresApp>;
