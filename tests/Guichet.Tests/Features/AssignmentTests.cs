using System.Net;
using Guichet.Accounts;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Instruction;
using Guichet.Requests;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>« M'attribuer », « Attribuer à », « Retirer l'attribution », the queue's assignment filters, and « Notes internes ».</summary>
public abstract class AssignmentTests(GuichetApp app)
{
    private const string Manager = "gestionnaire@asp.test";

    [Fact]
    public async Task A_manager_takes_a_request_and_finds_it_under_my_requests_not_under_unassigned()
    {
        var number = await app.NewAsync();
        var manager = await app.SignedIn(Manager);
        Assert.Contains(number, await manager.GetStringAsync($"/instruction?attribution=aucune&q={number}"));
        Assert.Contains("Non attribuée.", await manager.GetStringAsync($"/instruction/{number}"));

        var taken = await Post(manager, number, "MAttribuer", new() { ["Version"] = await VersionOf(number) });
        Assert.Equal(HttpStatusCode.Redirect, taken.StatusCode);

        var page = await manager.GetStringAsync($"/instruction/{number}");
        Assert.Contains("Attribuée à vous (", page);
        Assert.Contains("prend la demande.", page); // the internal history line
        var mine = await manager.GetStringAsync($"/instruction?attribution=moi&q={number}");
        Assert.Contains($"/instruction/{number}", mine);
        Assert.DoesNotContain($"/instruction/{number}", await manager.GetStringAsync($"/instruction?attribution=aucune&q={number}"));
        var stored = await app.LoadAsync(number);
        var me = await UserIdAsync(Manager);
        Assert.Equal(me, stored.AssignedToUserId);
        Assert.Contains(stored.AssignedToName!, mine); // the « Attribuée à » column
        Assert.DoesNotContain(stored.History, h => h.Event.Contains("attribu", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_manager_assigns_a_request_to_a_colleague_then_removes_the_assignment()
    {
        var number = await app.NewAsync();
        var colleague = await NewManagerAsync("Bruno Colleague");
        var manager = await app.SignedIn(Manager);

        var assigned = await Post(manager, number, "Attribuer", new() { ["Version"] = await VersionOf(number), ["Attributaire"] = colleague.Id });
        Assert.Equal(HttpStatusCode.Redirect, assigned.StatusCode);
        Assert.Contains("Attribuée à Bruno Colleague.", await manager.GetStringAsync($"/instruction/{number}"));
        Assert.DoesNotContain($"/instruction/{number}", await manager.GetStringAsync($"/instruction?attribution=moi&q={number}"));
        var theirs = await app.SignedIn(colleague.Email);
        Assert.Contains($"/instruction/{number}", await theirs.GetStringAsync($"/instruction?attribution=moi&q={number}"));

        // « M'attribuer » on a request a colleague has is refused: taking it from them is « Attribuer à ».
        var version = await VersionOf(number);
        var grabbed = await Post(manager, number, "MAttribuer", new() { ["Version"] = version });
        Assert.Equal(HttpStatusCode.Conflict, grabbed.StatusCode);
        Assert.Contains("vient d&#x27;être attribuée à Bruno Colleague", await grabbed.Content.ReadAsStringAsync());
        Assert.Equal(colleague.Id, (await app.LoadAsync(number)).AssignedToUserId);

        // Choosing oneself in « Attribuer à » takes it over.
        var me = await UserIdAsync(Manager);
        var takenOver = await Post(manager, number, "Attribuer", new() { ["Version"] = version, ["Attributaire"] = me });
        Assert.Equal(HttpStatusCode.Redirect, takenOver.StatusCode);
        Assert.Equal(me, (await app.LoadAsync(number)).AssignedToUserId);
        Assert.Contains("(auparavant : Bruno Colleague).", Readable.Of(await manager.GetStringAsync($"/instruction/{number}")));

        version = await VersionOf(number);
        var removed = await Post(manager, number, "RetirerAttribution", new() { ["Version"] = version });
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        var page = await manager.GetStringAsync($"/instruction/{number}");
        Assert.Contains("Non attribuée.", page);
        Assert.Contains("Attribution retirée (la demande était attribuée à ", page);
        Assert.Null((await app.LoadAsync(number)).AssignedToUserId);
    }

    [Fact]
    public async Task Two_managers_taking_the_same_request_at_once_one_wins_the_other_is_told_in_French()
    {
        var number = await app.NewAsync();
        var colleague = await NewManagerAsync("Chloé Rival");
        var (a, b) = (await app.SignedIn(Manager), await app.SignedIn(colleague.Email));
        var version = await VersionOf(number);
        // Both pages show the same version; both forms are posted together.
        var tokens = await Task.WhenAll(TokenAsync(a, number), TokenAsync(b, number));
        var answers = await Task.WhenAll(
            a.PostAsync($"/instruction/{number}?handler=MAttribuer", Form(tokens[0], version)),
            b.PostAsync($"/instruction/{number}?handler=MAttribuer", Form(tokens[1], version)));

        Assert.Single(answers, r => r.StatusCode == HttpStatusCode.Redirect);
        var loser = Assert.Single(answers, r => r.StatusCode != HttpStatusCode.Redirect);
        Assert.Equal(HttpStatusCode.Conflict, loser.StatusCode);
        Assert.Matches("Un autre gestionnaire vient de prendre|vient d&#x27;être attribuée", await loser.Content.ReadAsStringAsync());
        var winner = answers[0].StatusCode == HttpStatusCode.Redirect ? await UserIdAsync(Manager) : colleague.Id;
        var stored = await app.LoadAsync(number);
        Assert.Equal(winner, stored.AssignedToUserId);
        Assert.Equal(1, await app.Db(db => db.InternalNotes.CountAsync(n => n.FundingRequestId == stored.Id && n.Kind == InternalNoteKind.Assignment)));
    }

    [Fact]
    public async Task Assigning_to_someone_who_is_not_an_active_manager_is_refused_and_changes_nothing()
    {
        var number = await app.NewAsync();
        var manager = await app.SignedIn(Manager);
        var vendorId = await UserIdAsync("editeur@agendapro.test");
        var refused = await Post(manager, number, "Attribuer", new() { ["Version"] = await VersionOf(number), ["Attributaire"] = vendorId });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Choisissez un gestionnaire actif.", await refused.Content.ReadAsStringAsync());
        var stale = await Post(manager, number, "MAttribuer", new() { ["Version"] = "-1" });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("Un autre gestionnaire vient de prendre ou de modifier cette demande", await stale.Content.ReadAsStringAsync());
        var stored = await app.LoadAsync(number);
        Assert.Null(stored.AssignedToUserId);
        Assert.Equal(0, await app.Db(db => db.InternalNotes.CountAsync(n => n.FundingRequestId == stored.Id)));
        var vendor = await app.SignedIn("editeur@agendapro.test");
        var forbidden = await vendor.PostAsync($"/instruction/{number}?handler=MAttribuer", new FormUrlEncodedContent([]));
        Assert.NotEqual(HttpStatusCode.Redirect, (await vendor.GetAsync($"/demandes/{number}")).StatusCode);
        Assert.True(forbidden.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.BadRequest or HttpStatusCode.Forbidden);
        Assert.Null((await app.LoadAsync(number)).AssignedToUserId);
    }

    [Fact]
    public async Task Internal_notes_are_read_by_managers_and_support_and_never_by_the_vendor()
    {
        var number = await app.NewAsync();
        var secret = "Note interne " + Guid.NewGuid().ToString("N")[..8] + " - verifier le bon de commande avec le service.";
        var manager = await app.SignedIn(Manager);
        var written = await Post(manager, number, "Note", new() { ["Note"] = secret });
        Assert.Equal(HttpStatusCode.Redirect, written.StatusCode);
        var managerPage = await manager.GetStringAsync($"/instruction/{number}");
        Assert.Contains("Note interne</strong>", managerPage); // in the history, as a note
        Assert.Contains(Html(secret), managerPage);
        var support = await app.SignedIn("assistance@asp.test");
        var supportNote = await support.PostForm($"/assistance/{number}?handler=Note", new() { ["Note"] = "Le fournisseur a telephone." }, $"/assistance/{number}");
        Assert.Equal(HttpStatusCode.Redirect, supportNote.StatusCode);
        var supportPage = await support.GetStringAsync($"/assistance/{number}");
        Assert.Contains(Html(secret), supportPage);
        Assert.Contains("Le fournisseur a telephone.", supportPage);

        // The vendor: its page, its API, its e-mails (a decision after the note writes one) never carry the note.
        await manager.PostForm($"/instruction/{number}?handler=Valider", new() { ["Version"] = await VersionOf(number), ["Confirme"] = "true" }, $"/instruction/{number}");
        var vendor = await app.SignedIn("editeur@agendapro.test");
        var vendorPage = await vendor.GetStringAsync($"/demandes/{number}");
        Assert.Contains("Demande validée", vendorPage);
        Assert.DoesNotContain("Note interne", vendorPage);
        Assert.DoesNotContain("Le fournisseur a telephone", vendorPage);
        Assert.DoesNotContain("bon de commande avec le service", vendorPage);
        var api = await app.Bearer("demo-agendapro").GetStringAsync($"/api/v1/demandes/{number}");
        Assert.Contains(number, api);
        Assert.DoesNotContain("bon de commande avec le service", api);
        Assert.DoesNotContain("Le fournisseur a telephone", api);
        var mails = await app.MailsAsync(number);
        Assert.NotEmpty(mails);
        Assert.All(mails, m => Assert.DoesNotContain("bon de commande avec le service", m.Subject + m.HtmlBody + m.TextBody));
    }

    [Fact]
    public async Task An_empty_or_control_character_note_gets_a_French_400_and_is_not_kept()
    {
        var number = await app.NewAsync();
        var manager = await app.SignedIn(Manager);
        var empty = await Post(manager, number, "Note", new() { ["Note"] = "   " });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("La note est vide.", await empty.Content.ReadAsStringAsync());
        var control = await Post(manager, number, "Note", new() { ["Note"] = "a\u0007b" });
        Assert.Equal(HttpStatusCode.BadRequest, control.StatusCode);
        Assert.Contains("caractère de contrôle", await control.Content.ReadAsStringAsync());
        var tooLong = await Post(manager, number, "Note", new() { ["Note"] = new string('x', 4001) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var id = (await app.LoadAsync(number)).Id;
        Assert.Equal(0, await app.Db(db => db.InternalNotes.CountAsync(n => n.FundingRequestId == id)));
    }

    [Fact]
    public async Task The_unassigned_filter_counts_per_status_equal_the_requests_counted_directly()
    {
        var me = await UserIdAsync(Manager);
        var colleague = await NewManagerAsync("Chloé Compte");
        var mine = await app.NewAsync();
        var theirs = await app.NewAsync(RequestStatus.AModifier);
        var manager = await app.SignedIn(Manager);
        Assert.Equal(HttpStatusCode.Redirect, (await Post(manager, mine, "MAttribuer", new() { ["Version"] = await VersionOf(mine) })).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect,
            (await Post(manager, theirs, "Attribuer", new() { ["Version"] = await VersionOf(theirs), ["Attributaire"] = colleague.Id })).StatusCode);
        var request = await app.LoadAsync(mine);

        // The counts come from the counter table less the assigned requests: each must equal a direct count of the unassigned.
        RequestFilter Base(string? scheme = null, RequestType? type = null) => new(null, type, scheme, null, 1, 20, "anciennete");
        QueueFilter[] filters =
        [
            new(Base(), null, null, null, false, false, "anciennete", "aucune"),
            new(Base(scheme: request.SchemeCode), null, null, null, false, false, "anciennete", "aucune"),
            new(Base(type: RequestType.Avance), request.OrganisationId, null, null, false, false, "anciennete", "aucune"),
        ];
        foreach (var filter in filters)
        {
            var (total, rows, counts) = await app.Db(db => QueueQuery.RunAsync(db, me, filter, default));
            var expected = await app.Db(db => db.Requests
                .Where(r => r.AssignedToUserId == null && (filter.Base.Scheme == null || r.SchemeCode == filter.Base.Scheme)
                    && (filter.Base.Type == null || r.Type == filter.Base.Type) && (filter.OrganisationId == null || r.OrganisationId == filter.OrganisationId))
                .GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count));
            Assert.Equal(expected.OrderBy(e => e.Key), counts.OrderBy(e => e.Key));
            Assert.Equal(expected.Values.Sum(), total);
            Assert.DoesNotContain(rows, r => r.Number == mine || r.Number == theirs);
        }
        // Both assigned requests were subtracted, each under its own status.
        var all = await app.Db(db => db.RequestCounts.GroupBy(c => c.Status).Select(g => new { g.Key, Count = g.Sum(c => c.Count) })
            .ToDictionaryAsync(g => g.Key, g => g.Count));
        var (_, _, unassigned) = await app.Db(db => QueueQuery.RunAsync(db, me, filters[0], default));
        var assigned = await app.Db(db => db.Requests.Where(r => r.AssignedToUserId != null).GroupBy(r => r.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count));
        Assert.True(assigned.GetValueOrDefault(RequestStatus.EnCours) >= 1 && assigned.GetValueOrDefault(RequestStatus.AModifier) >= 1);
        foreach (var (status, count) in all) Assert.Equal(count - assigned.GetValueOrDefault(status), unassigned.GetValueOrDefault(status));
    }

    private static string Html(string text) => System.Text.Encodings.Web.HtmlEncoder.Default.Encode(text);

    private Task<HttpResponseMessage> Post(HttpClient client, string number, string handler, Dictionary<string, string> fields) =>
        client.PostForm($"/instruction/{number}?handler={handler}", fields, $"/instruction/{number}");

    private async Task<string> VersionOf(string number) => (await app.LoadAsync(number)).Version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private Task<string> UserIdAsync(string email) => app.Db(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());

    private async Task<(string Id, string Email)> NewManagerAsync(string name)
    {
        var email = $"gestion-{Guid.NewGuid():N}@asp.test";
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AccountAdmin>().CreateAsync(email, name, Roles.Gestionnaire, null, DemoSeeder.Password);
        return (await UserIdAsync(email), email);
    }

    private static async Task<string> TokenAsync(HttpClient client, string number)
    {
        var page = await client.GetStringAsync($"/instruction/{number}");
        return System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
    }

    private static FormUrlEncodedContent Form(string token, string version) =>
        new(new Dictionary<string, string> { ["Version"] = version, ["__RequestVerificationToken"] = token });
}

public sealed class AssignmentTestsOnSqlite(SqliteApp app) : AssignmentTests(app), IClassFixture<SqliteApp>;

public sealed class AssignmentTestsOnPostgres(PostgresApp app) : AssignmentTests(app), IClassFixture<PostgresApp>;
