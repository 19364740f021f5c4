using System.Net;
using System.Text.Json;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Instruction.Bulk;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features;

/// <summary>« Opérations groupées » (issue 16, item 1): one decision on a selection, each request through the single action, exactly once.</summary>
public abstract class BulkOperationTests(GuichetApp app)
{
    private const string Manager = "gestionnaire@asp.test";

    [Fact]
    public async Task A_manager_validates_a_selection_and_each_request_gets_one_history_line_and_one_email()
    {
        var numbers = await NewAsync(3);
        var api = app.Bearer("demo-gestionnaire");
        var started = await api.PostAsync("/api/v1/operations-groupees", Body(Text(new { action = "valider", demandes = numbers, nombreAttendu = 3 })));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var body = await Json(started);
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/operations-groupees/{id}", started.Headers.Location?.OriginalString);
        Assert.Equal(3, body.GetProperty("total").GetInt32());

        var state = await FinishedAsync(api, id);
        Assert.Equal("TERMINEE", state.GetProperty("statut").GetString());
        Assert.Equal(3, state.GetProperty("faites").GetInt32());
        Assert.Equal(0, state.GetProperty("ignorees").GetInt32());
        Assert.Equal(3, state.GetProperty("traitees").GetInt32());
        Assert.Equal("valider", state.GetProperty("action").GetString());
        foreach (var number in numbers)
        {
            var request = await app.LoadAsync(number);
            Assert.Equal(RequestStatus.Validee, request.Status);
            var line = Assert.Single(request.History, h => h.Event == "Demande validée");
            Assert.Equal("Gestionnaire", line.ActorRole);
            Assert.Equal(await UserIdAsync(Manager), line.ActorUserId);
            Assert.Single(await app.MailsAsync(number), m => m.Kind == EmailKind.Validated);
        }
    }

    [Fact]
    public async Task Requests_that_no_longer_allow_the_action_are_skipped_with_the_reason_and_left_unchanged()
    {
        var open = await NewAsync(2);
        var validated = await app.NewAsync(RequestStatus.Validee);
        var inRound = await app.NewAsync(RequestStatus.AModifier);
        var before = await app.LoadAsync(validated);
        var roundBefore = await app.LoadAsync(inRound);
        var api = app.Bearer("demo-gestionnaire");
        var started = await api.PostAsync("/api/v1/operations-groupees",
            Body(Text(new { action = "rejeter", motif = "Dossier hors délai.", demandes = new[] { open[0], validated, open[1], inRound }, nombreAttendu = 4 })));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await Json(started)).GetProperty("id").GetGuid();
        var state = await FinishedAsync(api, id);
        Assert.Equal(2, state.GetProperty("faites").GetInt32());
        Assert.Equal(2, state.GetProperty("ignorees").GetInt32());

        foreach (var number in open)
        {
            var request = await app.LoadAsync(number);
            Assert.Equal(RequestStatus.Rejetee, request.Status);
            Assert.Equal("Dossier hors délai.", Assert.Single(request.History, h => h.Event == "Demande rejetée").Comment);
            Assert.Single(await app.MailsAsync(number), m => m.Kind == EmailKind.Rejected);
        }
        var after = await app.LoadAsync(validated);
        Assert.Equal((RequestStatus.Validee, before.Version, before.History.Count), (after.Status, after.Version, after.History.Count));
        Assert.DoesNotContain(await app.MailsAsync(validated), m => m.Kind == EmailKind.Rejected);
        var roundAfter = await app.LoadAsync(inRound);
        Assert.Equal((RequestStatus.AModifier, roundBefore.Version), (roundAfter.Status, roundAfter.Version));

        // The summary: every number, its outcome, the single action's refusal as the reason; formulas neutralised.
        var csv = await api.GetAsync($"/api/v1/operations-groupees/{id}/bilan");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("numero;resultat;motif", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.Equal($"{open[0]};faite;", lines[1]);
        Assert.StartsWith($"{validated};ignorée;\"Action «\u00A0Rejeter\u00A0» impossible\u202F: la demande est au statut «\u00A0{RequestStatus.Validee.Label()}\u00A0»", lines[2]);
        Assert.Equal($"{open[1]};faite;", lines[3]);
        Assert.StartsWith($"{inRound};ignorée;\"Action «\u00A0Rejeter\u00A0» impossible\u202F: la demande est au statut «\u00A0{RequestStatus.AModifier.Label()}\u00A0»", lines[4]);
    }

    [Fact]
    public async Task A_second_identical_operation_skips_every_request_with_the_reason()
    {
        var numbers = await NewAsync(2);
        var api = app.Bearer("demo-gestionnaire");
        var round = new { action = "demander_modification", commentaire = "Précisez le lien de support.", elements = new[] { EditableField.ContactSupport }, demandes = numbers, nombreAttendu = 2 };
        var first = await FinishedAsync(api, await StartAsync(api, round));
        Assert.Equal(2, first.GetProperty("faites").GetInt32());
        var second = await FinishedAsync(api, await StartAsync(api, round));
        Assert.Equal(0, second.GetProperty("faites").GetInt32());
        Assert.Equal(2, second.GetProperty("ignorees").GetInt32());
        var id = second.GetProperty("id").GetGuid();
        var reasons = await app.Db(db => db.BulkOperationItems.Where(i => i.OperationId == id).Select(i => i.Reason).ToListAsync());
        Assert.All(reasons, r => Assert.Contains("la demande est au statut « " + RequestStatus.AModifier.Label() + " »", r));
        foreach (var number in numbers)
        {
            var request = await app.LoadAsync(number);
            Assert.Single(request.Rounds);
            Assert.Single(await app.MailsAsync(number), m => m.Kind == EmailKind.RoundOpened);
        }
    }

    [Fact]
    public async Task All_the_results_of_a_filter_are_taken_only_with_their_exact_count()
    {
        var me = await UserIdAsync(Manager);
        var numbers = await NewAsync(3);
        foreach (var number in numbers) await app.ChangeAsync(number, r => r.AssignTo(new Actor("Claire", "Gestionnaire", me), me, "Claire", app.Clock.UtcNow, taking: true));
        var filter = new Dictionary<string, string> { ["attribution"] = "moi", ["statut"] = "EN_COURS" };
        var count = await app.Db(db => db.Requests.CountAsync(r => r.AssignedToUserId == me && r.Status == RequestStatus.EnCours));
        Assert.True(count >= 3);
        var api = app.Bearer("demo-gestionnaire");
        var operations = await OperationsAsync();

        var wrong = await api.PostAsync("/api/v1/operations-groupees", Body(Text(new { action = "valider", filtre = filter, nombreAttendu = count + 1 })));
        Assert.Equal(HttpStatusCode.Conflict, wrong.StatusCode);
        var detail = (await Json(wrong)).GetProperty("detail").GetString();
        Assert.Contains($"compte maintenant {count} demande", detail);
        Assert.Contains($"et non {count + 1} comme lors de votre confirmation", detail);
        Assert.Equal(operations, await OperationsAsync());

        var id = await StartAsync(api, new { action = "valider", filtre = filter, nombreAttendu = count });
        var state = await FinishedAsync(api, id);
        Assert.Equal(count, state.GetProperty("total").GetInt32());
        Assert.Equal(count, state.GetProperty("faites").GetInt32());
        foreach (var number in numbers) Assert.Equal(RequestStatus.Validee, (await app.LoadAsync(number)).Status);
    }

    [Theory]
    [InlineData("demo-agendapro")]
    [InlineData("demo-assistance")]
    public async Task Vendors_and_support_cannot_start_or_read_an_operation(string token)
    {
        var number = await app.NewAsync();
        var operations = await OperationsAsync();
        var refused = await app.Bearer(token).PostAsync("/api/v1/operations-groupees", Body(Text(new { action = "valider", demandes = new[] { number }, nombreAttendu = 1 })));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Votre rôle ne permet pas cette action.", await refused.Content.ReadAsStringAsync());
        Assert.Equal(operations, await OperationsAsync());
        Assert.Equal(RequestStatus.EnCours, (await app.LoadAsync(number)).Status);
        var id = await StartAsync(app.Bearer("demo-gestionnaire"), new { action = "valider", demandes = new[] { number }, nombreAttendu = 1 });
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Bearer(token).GetAsync($"/api/v1/operations-groupees/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Bearer(token).GetAsync($"/api/v1/operations-groupees/{id}/bilan")).StatusCode);
    }

    private static readonly (string Json, int Status, string Message)[] Malformed =
    [
        ("{", 400, "n'est pas un JSON valide"),
        ("[]", 400, "n'est pas un JSON valide"),
        ("", 400, "Le corps de la requête est vide"),
        ("""{ "action": "supprimer", "demandes": ["N"], "nombreAttendu": 1 }""", 400, "Action inconnue « supprimer »"),
        ("""{ "action": "valider", "demandes": ["N"], "nombreAttendu": 1, "pirate": true }""", 400, "propriété inconnue"),
        ("""{ "action": "valider", "nombreAttendu": 1 }""", 400, "soit les numéros des demandes"),
        ("""{ "action": "valider", "demandes": ["N"], "filtre": { "statut": "EN_COURS" }, "nombreAttendu": 1 }""", 400, "pas les deux"),
        ("""{ "action": "valider", "demandes": ["N", "SAS-A-1900-999999"], "nombreAttendu": 2 }""", 400, "Demande introuvable : « SAS-A-1900-999999 »"),
        ("""{ "action": "valider", "demandes": ["N"] }""", 400, "Le nombre de demandes confirmé est obligatoire."),
        ("""{ "action": "valider", "demandes": ["N"], "nombreAttendu": 2 }""", 409, "compte maintenant 1 demande, et non 2"),
        ("""{ "action": "rejeter", "demandes": ["N"], "nombreAttendu": 1 }""", 400, "Le motif du rejet est obligatoire."),
        ("""{ "action": "demander_modification", "demandes": ["N"], "nombreAttendu": 1 }""", 400, "Le commentaire destiné au fournisseur est obligatoire."),
        ("""{ "action": "demander_modification", "commentaire": "x", "elements": ["piece:INCONNUE"], "demandes": ["N"], "nombreAttendu": 1 }""", 400, "L'élément « piece:INCONNUE » est inconnu."),
        ("""{ "action": "valider", "filtre": { "fournisseur": "x" }, "nombreAttendu": 1 }""", 400, "Le fournisseur choisi est inconnu."),
        ("""{ "action": "valider", "filtre": { "DROP TABLE": "1" }, "nombreAttendu": 1 }""", 400, "Clé de filtre inconnue"),
        ("""{ "action": "valider", "filtre": { "statut": 3 }, "nombreAttendu": 1 }""", 400, "n'est pas un JSON valide"),
        ("""{ "action": "valider", "demandes": ["N"], "nombreAttendu": "un" }""", 400, "n'est pas un JSON valide"),
    ];

    [Fact]
    public async Task Hostile_or_malformed_bodies_get_a_French_4xx_and_create_nothing()
    {
        var number = await app.NewAsync();
        var api = app.Bearer("demo-gestionnaire");
        var operations = await OperationsAsync();
        foreach (var (json, status, message) in Malformed)
        {
            var answer = await api.PostAsync("/api/v1/operations-groupees", Body(json.Replace("\"N\"", $"\"{number}\"")));
            Assert.True(status == (int)answer.StatusCode, $"{json} → {(int)answer.StatusCode}");
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            Assert.Contains(message, System.Text.RegularExpressions.Regex.Unescape(await answer.Content.ReadAsStringAsync()));
        }
        Assert.Equal(operations, await OperationsAsync());
        Assert.Equal(RequestStatus.EnCours, (await app.LoadAsync(number)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/v1/operations-groupees/{Guid.NewGuid()}")).StatusCode);
        var notAnId = await api.GetAsync("/api/v1/operations-groupees/pas-un-identifiant");
        Assert.Equal(HttpStatusCode.NotFound, notAnId.StatusCode);
        Assert.Contains("Aucune opération groupée", await notAnId.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Three_runners_on_the_same_operation_apply_each_request_once()
    {
        var numbers = await NewAsync(12);
        var runner = app.Services.GetRequiredService<BulkRunner>();
        Guid id;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var start = scope.ServiceProvider.GetRequiredService<StartBulkOperation>();
            // The creating instance starts its run; two more runners (two other instances) race it from the first item.
            id = (await start.RunAsync(await PrincipalAsync(Manager),
                new BulkSelection(BulkAction.Valider, null, null, null, numbers, null, numbers.Count), default)).Id;
        }
        await Task.WhenAll(runner.RunAsync(id, default), runner.RunAsync(id, default), runner.Running(id) ?? Task.CompletedTask);

        var operation = await app.Db(db => db.BulkOperations.SingleAsync(o => o.Id == id));
        Assert.Equal(BulkStatus.Terminee, operation.Status);
        Assert.Equal((numbers.Count, 0), (operation.Done, operation.Skipped));
        foreach (var number in numbers)
        {
            var request = await app.LoadAsync(number);
            Assert.Single(request.History, h => h.Event == "Demande validée");
            Assert.Single(await app.MailsAsync(number), m => m.Kind == EmailKind.Validated);
        }
    }

    [Fact]
    public async Task A_manager_who_lost_the_role_has_every_remaining_request_skipped_with_the_role_refusal()
    {
        var numbers = await NewAsync(2);
        var email = $"gestion-{Guid.NewGuid():N}@asp.test";
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<AccountAdmin>().CreateAsync(email, "Denis Partant", Roles.Gestionnaire, null, DemoSeeder.Password);
        var userId = await UserIdAsync(email);
        // Written as the confirmation writes it, then the role goes before any runner starts.
        var id = await app.Db(async db =>
        {
            var operation = BulkOperation.Start(BulkAction.Valider, null, null, null, userId, "Denis Partant", numbers.Count, app.Clock.UtcNow);
            db.BulkOperations.Add(operation);
            var ids = await db.Requests.Where(r => numbers.Contains(r.Number)).Select(r => new { r.Id, r.Number }).ToListAsync();
            db.BulkOperationItems.AddRange(ids.Select(r => BulkOperationItem.Of(operation.Id, r.Id, r.Number)));
            await db.SaveChangesAsync();
            return operation.Id;
        });
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.True((await scope.ServiceProvider.GetRequiredService<AccountAdmin>().ChangeRoleAsync(userId, Roles.Assistance)).Errors.Count == 0);

        await app.Services.GetRequiredService<BulkRunner>().RunAsync(id, default);

        var items = await app.Db(db => db.BulkOperationItems.Where(i => i.OperationId == id).ToListAsync());
        Assert.All(items, i => Assert.Equal((BulkOutcome.Ignoree, "Votre rôle ne permet pas cette action."), (i.Outcome!.Value, i.Reason)));
        foreach (var number in numbers) Assert.Equal(RequestStatus.EnCours, (await app.LoadAsync(number)).Status);
        var operation = await app.Db(db => db.BulkOperations.SingleAsync(o => o.Id == id));
        Assert.Equal((0, 2, BulkStatus.Terminee), (operation.Done, operation.Skipped, operation.Status));
    }

    [Fact]
    public async Task An_operation_whose_instance_stopped_beating_is_resumed_by_a_live_one_and_finished()
    {
        var numbers = await NewAsync(2);
        var userId = await UserIdAsync(Manager);
        var id = await app.Db(async db =>
        {
            var operation = BulkOperation.Start(BulkAction.Valider, null, null, null, userId, "Claire", numbers.Count, app.Clock.UtcNow);
            db.BulkOperations.Add(operation);
            var ids = await db.Requests.Where(r => numbers.Contains(r.Number)).Select(r => new { r.Id, r.Number }).ToListAsync();
            db.BulkOperationItems.AddRange(ids.Select(r => BulkOperationItem.Of(operation.Id, r.Id, r.Number)));
            await db.SaveChangesAsync();
            return operation.Id;
        });
        var runner = app.Services.GetRequiredService<BulkRunner>();
        // Its creator's heartbeat is fresh: nobody takes it.
        Assert.DoesNotContain(id, await runner.TakeOverStaleAsync(default));
        app.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Contains(id, await runner.TakeOverStaleAsync(default));
        await (runner.Running(id) ?? Task.CompletedTask);
        var operation = await app.Db(db => db.BulkOperations.SingleAsync(o => o.Id == id));
        Assert.Equal((BulkStatus.Terminee, 1, 2), (operation.Status, operation.Takeovers, operation.Done));
    }

    [Fact]
    public async Task A_manager_ticks_requests_confirms_the_exact_count_and_reads_the_summary_on_the_pages()
    {
        var numbers = await NewAsync(2);
        var validated = await app.NewAsync(RequestStatus.Validee);
        var manager = await app.SignedIn(Manager);
        var queue = await manager.GetStringAsync($"/instruction?q={numbers[0]}");
        Assert.Contains($"<label class=\"visually-hidden\" for=\"choix-{numbers[0]}\">Sélectionner la demande {numbers[0]}</label>", queue);
        Assert.Contains("Tous les résultats du filtre (1)", queue);

        var fields = new List<KeyValuePair<string, string>> { new("Action", "valider"), new("Portee", "cochees") };
        fields.AddRange(numbers.Append(validated).Select(n => new KeyValuePair<string, string>("Numeros", n)));
        var confirm = await PostPage(manager, "/instruction/operations-groupees/nouvelle", fields, "/instruction");
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        var page = await confirm.Content.ReadAsStringAsync();
        Assert.Contains("Vous allez valider 3 demandes.", page);
        Assert.Contains("name=\"Nombre\" value=\"3\"", page);

        // « Confirmer » carries the count shown: a count that no longer matches is refused, nothing is started.
        var operations = await OperationsAsync();
        var stale = await PostPage(manager, "/instruction/operations-groupees/nouvelle?handler=Confirmer", [.. fields, new("Nombre", "4")], "/instruction");
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("La sélection compte maintenant 3 demandes, et non 4", System.Net.WebUtility.HtmlDecode(await stale.Content.ReadAsStringAsync()));
        Assert.Equal(operations, await OperationsAsync());

        var started = await PostPage(manager, "/instruction/operations-groupees/nouvelle?handler=Confirmer", [.. fields, new("Nombre", "3")], "/instruction");
        Assert.Equal(HttpStatusCode.Redirect, started.StatusCode);
        var location = started.Headers.Location!.OriginalString;
        var id = Guid.Parse(location.Split('/').Last());
        await (app.Services.GetRequiredService<BulkRunner>().Running(id) ?? Task.CompletedTask);
        var summary = System.Net.WebUtility.HtmlDecode(await manager.GetStringAsync(location));
        Assert.Contains("3 sur 3 traitées — opération terminée.", summary);
        Assert.Contains("<strong>2</strong> faites", summary);
        Assert.Contains("<strong>1</strong> ignorée", summary);
        Assert.Contains($"<td><a href=\"/instruction/{validated}\">{validated}</a></td><td>Action « Valider » impossible", summary);
        Assert.Contains($"/instruction/operations-groupees/{id}/bilan.csv", summary);
        var state = await manager.GetStringAsync($"/instruction/operations-groupees/{id}/etat");
        Assert.Contains("\"traitees\":3", state);
        var csv = await manager.GetStringAsync($"/instruction/operations-groupees/{id}/bilan.csv");
        Assert.Contains($"{numbers[1]};faite;", csv);
        Assert.Contains(id.ToString(), await manager.GetStringAsync("/instruction/operations-groupees"));
        var vendor = await app.SignedIn("editeur@agendapro.test");
        Assert.NotEqual(HttpStatusCode.OK, (await vendor.GetAsync(location)).StatusCode);
    }

    private static async Task<HttpResponseMessage> PostPage(HttpClient client, string url, List<KeyValuePair<string, string>> fields, string formPage)
    {
        var page = await client.GetStringAsync(formPage);
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        return await client.PostAsync(url, new FormUrlEncodedContent([.. fields, new("__RequestVerificationToken", token)]));
    }

    private static string Text(object value) => JsonSerializer.Serialize(value);

    private async Task<List<string>> NewAsync(int count)
    {
        var numbers = new List<string>();
        for (var i = 0; i < count; i++) numbers.Add(await app.NewAsync());
        return numbers;
    }

    private static async Task<Guid> StartAsync(HttpClient api, object body)
    {
        var started = await api.PostAsync("/api/v1/operations-groupees", Body(JsonSerializer.Serialize(body)));
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        return (await Json(started)).GetProperty("id").GetGuid();
    }

    /// <summary>Waits for this instance's run of the operation, then reads it as the API gives it.</summary>
    private async Task<JsonElement> FinishedAsync(HttpClient api, Guid id)
    {
        await (app.Services.GetRequiredService<BulkRunner>().Running(id) ?? Task.CompletedTask);
        var state = await api.GetAsync($"/api/v1/operations-groupees/{id}");
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        return await Json(state);
    }

    private Task<int> OperationsAsync() => app.Db(db => db.BulkOperations.CountAsync());

    private Task<string> UserIdAsync(string email) => app.Db(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());

    private Task<System.Security.Claims.ClaimsPrincipal> PrincipalAsync(string email) => app.Db(async db =>
    {
        var user = await db.Users.SingleAsync(u => u.Email == email);
        var roles = await db.UserRoles.Where(ur => ur.UserId == user.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name!).ToListAsync();
        return GuichetClaims.Build(user, roles, "Test");
    });
}

public sealed class BulkOperationTestsOnSqlite(SqliteApp app) : BulkOperationTests(app), IClassFixture<SqliteApp>;

public sealed class BulkOperationTestsOnPostgres(PostgresApp app) : BulkOperationTests(app), IClassFixture<PostgresApp>;
