using System.Net;
using System.Text.Json;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Domain;
using Guichet.Email;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Support;

/// <summary>Fresh requests for tests that change state, so that no test depends on another's leftovers.</summary>
public static class Requests
{
    private static readonly Actor Vendor = new("Camille Durand (AgendaPro)", "Fournisseur", null);
    private static readonly Actor Manager = new("Claire Petit (ASP)", "Gestionnaire", null);

    /// <summary>
    /// A new AgendaPro advance deposited 30 days ago, in the given status: « A modifier » is a round a manager opens over
    /// HTTP (<see cref="OpenRoundAsManagerAsync"/>), « Validée » the domain transition; returns its number.
    /// </summary>
    public static async Task<string> NewAsync(this GuichetApp app, RequestStatus status = RequestStatus.EnCours)
    {
        string number;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var now = app.Clock.UtcNow;
            var org = await db.Organisations.Include(o => o.Solutions).SingleAsync(o => o.Siret == DemoSeeder.AgendaProSiret);
            var solution = org.Solutions.Single();
            var scheme = await db.Schemes.SingleAsync(s => s.Code == solution.SchemeCode);
            number = (await NumberAllocator.NextAsync(db, RequestType.Avance, ParisCalendar.DateOf(now).Year, 1))[0];
            var docs = scheme.RequiredDocuments(RequestType.Avance)
                .Select(t => SupportingDocument.Create(t, "bc.pdf", Guid.NewGuid().ToString("N"), "application/pdf", 10, new string('0', 64), now));
            var request = FundingRequest.Deposit(number, org, solution, scheme,
                new FundingRequest.DepositData("TEST-" + Guid.NewGuid().ToString("N")[..12], RequestType.Avance, ClientIdType.Rpps, UniqueRpps(),
                    "Dr Test " + number, "BC-T", DateOnly.FromDateTime(now.AddDays(-30)), null, null, scheme.AdvanceAmount, "https://support.agendapro.test/sas"),
                docs, Vendor, now.AddDays(-30));
            if (status == RequestStatus.Validee) request.Validate(Manager, now);
            db.Requests.Add(request);
            await db.SaveChangesAsync();
        }
        if (status == RequestStatus.AModifier) await app.OpenRoundAsManagerAsync(number, "Corrigez le contact.", EditableField.ContactSupport);
        return number;
    }

    // One live advance per client and scheme is enforced by the database: every test request gets its own client.
    private static string UniqueRpps() => (20_000_000_000L + Random.Shared.NextInt64(0, 9_999_999_999L)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Opens a modification round the way a manager does: <c>POST /api/v1/demandes/{numero}/demande-de-modification</c>
    /// with the manager's token, at the app's clock (see <see cref="TestClock.At"/> for a round opened on a past day).
    /// </summary>
    public static async Task OpenRoundAsManagerAsync(this GuichetApp app, string number, string comment, params string[] items)
    {
        var body = JsonSerializer.Serialize(new { commentaire = comment, elements = items });
        var response = await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/demande-de-modification", JsonHttp.Body(body));
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"Demande de modification refusée sur {number} : {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A request whose round the vendor confirmed (a changed contact) over the API: « modifiée » for managers.</summary>
    public static async Task<string> NewConfirmedAsync(this GuichetApp app)
    {
        var number = await app.NewAsync(RequestStatus.AModifier);
        var vendor = app.Bearer("demo-agendapro");
        var edited = await vendor.PatchAsync($"/api/v1/demandes/{number}/modification",
            JsonHttp.Body("""{ "informations": { "contactSupport": "support@agendapro.test" } }"""));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await vendor.PostAsync($"/api/v1/demandes/{number}/modification/confirmer", null)).StatusCode);
        return number;
    }

    /// <summary>A request whose round a manager opened <paramref name="daysAgo"/> days ago and whose J+10 reminder went out.</summary>
    public static async Task<string> NewRemindedAsync(this GuichetApp app, int daysAgo)
    {
        var number = await app.NewAsync();
        using (app.Clock.At(app.Clock.UtcNow.AddDays(-daysAgo)))
            await app.OpenRoundAsManagerAsync(number, "Ajoutez la facture.", EditableField.ContactSupport);
        // What the sweep records at J+10, on this request only (a sweep would act on every due round of the database).
        await app.ChangeAsync(number, r => r.RecordReminderSent(r.OpenRound!.ReminderDueAt.AddMinutes(1)));
        return number;
    }

    /// <summary>A request whose round expired without confirmation (reminder sent, closed at J+20).</summary>
    public static async Task<string> NewExpiredAsync(this GuichetApp app)
    {
        var number = await app.NewRemindedAsync(daysAgo: 25);
        await app.ChangeAsync(number, r => r.CloseExpiredRound(app.Clock.UtcNow));
        return number;
    }

    /// <summary>Applies a change to the stored request and saves it (for what no user does, e.g. the sweep's own steps).</summary>
    public static async Task ChangeAsync(this GuichetApp app, string number, Action<FundingRequest> change)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var request = await db.Requests.Include(r => r.Rounds).Include(r => r.Documents).Include(r => r.History).AsSplitQuery().SingleAsync(r => r.Number == number);
        change(request);
        await db.SaveChangesAsync();
    }

    public static async Task<T> Db<T>(this GuichetApp app, Func<GuichetDbContext, Task<T>> query)
    {
        using var scope = app.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<GuichetDbContext>());
    }

    public static Task<List<OutboxMessage>> MailsAsync(this GuichetApp app, string number) => app.Db(db =>
        db.OutboxMessages.Where(m => m.Request!.Number == number).OrderBy(m => m.Id).ToListAsync());

    public static Task<FundingRequest> LoadAsync(this GuichetApp app, string number) => app.Db(db =>
        db.Requests.Include(r => r.History).Include(r => r.Rounds).AsSplitQuery().SingleAsync(r => r.Number == number));
}
