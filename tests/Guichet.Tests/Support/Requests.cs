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

    /// <summary>A new AgendaPro advance in the given status, reached through the domain transitions; returns its number.</summary>
    public static async Task<string> NewAsync(this GuichetApp app, RequestStatus status = RequestStatus.EnCours, Action<FundingRequest, FundingScheme, DateTime>? then = null)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var now = app.Clock.UtcNow;
        var org = await db.Organisations.Include(o => o.Solutions).SingleAsync(o => o.Siret == DemoSeeder.AgendaProSiret);
        var solution = org.Solutions.Single();
        var scheme = await db.Schemes.SingleAsync(s => s.Code == solution.SchemeCode);
        var number = (await NumberAllocator.NextAsync(db, RequestType.Avance, now.Year, 1))[0];
        var docs = scheme.RequiredDocuments(RequestType.Avance)
            .Select(t => SupportingDocument.Create(t, "bc.pdf", Guid.NewGuid().ToString("N"), "application/pdf", 10, new string('0', 64), now));
        var request = FundingRequest.Deposit(number, org, solution, scheme,
            new FundingRequest.DepositData("TEST-" + Guid.NewGuid().ToString("N")[..12], RequestType.Avance, ClientIdType.Rpps, UniqueRpps(),
                "Dr Test " + number, "BC-T", DateOnly.FromDateTime(now.AddDays(-30)), null, null, scheme.AdvanceAmount, "https://support.agendapro.test/sas"),
            docs, Vendor, now.AddDays(-30));
        switch (status)
        {
            case RequestStatus.AModifier:
                request.OpenModificationRound(Manager, "Corrigez le contact.", [EditableField.ContactSupport], scheme, now);
                break;
            case RequestStatus.Validee:
                request.Validate(Manager, now);
                break;
        }
        then?.Invoke(request, scheme, now);
        db.Requests.Add(request);
        await db.SaveChangesAsync();
        return number;
    }

    // One live advance per client and scheme is enforced by the database: every test request gets its own client.
    private static string UniqueRpps() => (20_000_000_000L + Random.Shared.NextInt64(0, 9_999_999_999L)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A request whose round the vendor confirmed (a changed contact): « modifiée » for managers.</summary>
    public static Task<string> NewConfirmedAsync(this GuichetApp app) => app.NewAsync(RequestStatus.AModifier, (r, _, now) =>
    {
        r.EditDraft(EditableField.ContactSupport, "support@agendapro.test", now);
        r.ConfirmModification(Vendor, now);
    });

    /// <summary>A request whose round expired without confirmation (reminder sent, closed at J+20).</summary>
    public static Task<string> NewExpiredAsync(this GuichetApp app) => app.NewAsync(RequestStatus.EnCours, (r, scheme, now) =>
    {
        var round = r.OpenModificationRound(Manager, "Ajoutez la facture.", [EditableField.ContactSupport], scheme, now.AddDays(-25));
        r.RecordReminderSent(round.ReminderDueAt.AddMinutes(1));
        r.CloseExpiredRound(now);
    });

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
