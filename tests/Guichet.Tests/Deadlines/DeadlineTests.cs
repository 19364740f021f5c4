using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Storage;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Guichet.Tests.Deadlines;

/// <summary>J+10 and J+20 with a fake clock, in Paris calendar days, on each provider.</summary>
public abstract class DeadlineTests(GuichetApp app)
{
    private static DateTime Paris(int y, int m, int d, int h = 0, int min = 0) => ParisCalendar.ParisToUtc(new DateTime(y, m, d, h, min, 0));

    /// <summary>A request « A modifier » whose round a manager opened at <paramref name="openedAt"/>.</summary>
    private async Task<string> RoundOpenedAt(DateTime openedAt)
    {
        var number = await app.NewAsync();
        using (app.Clock.At(openedAt))
            await app.OpenRoundAsManagerAsync(number, "Corrigez le lien de support.", EditableField.ContactSupport, "piece:FACTURE");
        return number;
    }

    private async Task<SweepResult> SweepAt(DateTime utc)
    {
        using var scope = app.Services.CreateScope();
        var sweep = new DeadlineSweep(scope.ServiceProvider.GetRequiredService<GuichetDbContext>(),
            scope.ServiceProvider.GetRequiredService<AttachmentStore>(), new FakeTimeProvider(new DateTimeOffset(utc, TimeSpan.Zero)), NullLogger<DeadlineSweep>.Instance);
        return await sweep.RunAsync();
    }

    private async Task<(FundingRequest Request, int Reminders, int Closings)> State(string number)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var request = await db.Requests.AsNoTracking().Include(r => r.Rounds).Include(r => r.History).Include(r => r.Documents).SingleAsync(r => r.Number == number);
        var kinds = await db.OutboxMessages.Where(m => m.FundingRequestId == request.Id).Select(m => m.Kind).ToListAsync();
        return (request, kinds.Count(k => k == EmailKind.Reminder), kinds.Count(k => k == EmailKind.RoundClosed));
    }

    [Fact]
    public async Task The_reminder_comes_on_J10_once_and_the_closing_on_J20()
    {
        var number = await RoundOpenedAt(Paris(2026, 6, 10, 14, 30));

        await SweepAt(Paris(2026, 6, 19, 23, 59));
        Assert.Equal(0, (await State(number)).Reminders);

        await SweepAt(Paris(2026, 6, 20));
        var (request, reminders, _) = await State(number);
        Assert.Equal(1, reminders);
        Assert.Single(request.History, h => h.Event == "Relance envoyée (J+10)");

        await SweepAt(Paris(2026, 6, 20, 0, 5));
        Assert.Equal(1, (await State(number)).Reminders);

        await SweepAt(Paris(2026, 6, 29, 23, 59));
        Assert.Equal(RequestStatus.AModifier, (await State(number)).Request.Status);

        await SweepAt(Paris(2026, 6, 30));
        var (closed, _, closings) = await State(number);
        Assert.Equal(RequestStatus.EnCours, closed.Status);
        Assert.Equal(RoundOutcome.Expired, closed.Rounds.Single().Outcome);
        Assert.Equal("Délai expiré — instruite en l'état", closed.History.OrderBy(h => h.Id).Last().Event);
        Assert.Equal(1, closings);

        await SweepAt(Paris(2026, 7, 15));
        Assert.Equal(1, (await State(number)).Closings);
    }

    [Theory]
    [InlineData(2026, 10, 24, "2026-11-02T23:00:00Z")] // the day before winter time: J+10 00:00 Paris is 23:00 UTC
    [InlineData(2026, 3, 28, "2026-04-06T22:00:00Z")]  // the day before summer time: 22:00 UTC
    public async Task Daylight_saving_changes_do_not_shift_the_days(int y, int m, int d, string reminderUtc)
    {
        var number = await RoundOpenedAt(Paris(y, m, d, 10));
        var due = DateTime.Parse(reminderUtc, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
        await SweepAt(due.AddMinutes(-1));
        Assert.Equal(0, (await State(number)).Reminders);
        await SweepAt(due);
        Assert.Equal(1, (await State(number)).Reminders);
    }

    [Fact]
    public async Task After_an_outage_from_J9_to_J25_the_reminder_goes_at_J25_and_the_closing_moves_to_J35()
    {
        var number = await RoundOpenedAt(Paris(2026, 5, 4, 9));
        await SweepAt(Paris(2026, 5, 13, 12)); // J+9: nothing, then the outage
        Assert.Equal(0, (await State(number)).Reminders);

        await SweepAt(Paris(2026, 5, 29, 8)); // J+25: both were due, only the reminder goes
        var (request, reminders, closings) = await State(number);
        Assert.Equal(1, reminders);
        Assert.Equal(0, closings);
        Assert.Equal(RequestStatus.AModifier, request.Status);
        Assert.Equal(new DateOnly(2026, 6, 7), request.Rounds.Single().LastDay); // the deadline shown follows

        await SweepAt(Paris(2026, 6, 7, 23, 59));
        Assert.Equal(RequestStatus.AModifier, (await State(number)).Request.Status);
        await SweepAt(Paris(2026, 6, 8)); // J+35
        Assert.Equal(RequestStatus.EnCours, (await State(number)).Request.Status);
    }

    [Fact]
    public async Task The_closing_discards_the_draft_and_purges_its_files()
    {
        var number = await RoundOpenedAt(Paris(2026, 2, 2, 9));
        string key;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var store = scope.ServiceProvider.GetRequiredService<AttachmentStore>();
            var request = await db.Requests.Include(r => r.Rounds).Include(r => r.Documents).SingleAsync(r => r.Number == number);
            var scheme = await db.Schemes.SingleAsync(s => s.Code == request.SchemeCode);
            using var content = new MemoryStream(DepositFiles.Pdf);
            var stored = await store.SaveAsync(content);
            key = stored.Key;
            request.EditDraft(EditableField.ContactSupport, "support@agendapro.test", Paris(2026, 2, 3));
            request.AddDraftDocument(SupportingDocument.Create(DocumentType.Facture, "facture.pdf", stored.Key, "application/pdf", stored.Size, stored.Sha256, Paris(2026, 2, 3)), scheme, Paris(2026, 2, 3));
            await db.SaveChangesAsync();
            Assert.True(await store.ExistsAsync(key));
        }
        await SweepAt(Paris(2026, 2, 12));
        await SweepAt(Paris(2026, 2, 22));
        var (closed, _, _) = await State(number);
        Assert.Equal(RequestStatus.EnCours, closed.Status);
        Assert.Equal("https://support.agendapro.test/sas", closed.ContactSupport);
        Assert.DoesNotContain(closed.Documents, d => d.StorageKey == key);
        Assert.Empty(closed.Rounds.Single().Draft);
        using var check = app.Services.CreateScope();
        Assert.False(await check.ServiceProvider.GetRequiredService<AttachmentStore>().ExistsAsync(key));
    }

    [Fact]
    public async Task Scheme_delays_are_configuration()
    {
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var scheme = await db.Schemes.SingleAsync(s => s.Code == FundingScheme.SasEffecteur);
            scheme.ReminderDelayDays = 3;
            scheme.ClosingDelayDays = 5;
            await db.SaveChangesAsync();
        }
        try
        {
            var number = await RoundOpenedAt(Paris(2026, 1, 5, 9));
            await SweepAt(Paris(2026, 1, 8));
            Assert.Equal(1, (await State(number)).Reminders);
            await SweepAt(Paris(2026, 1, 10));
            Assert.Equal(RequestStatus.EnCours, (await State(number)).Request.Status);
        }
        finally
        {
            using var scope = app.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var scheme = await db.Schemes.SingleAsync(s => s.Code == FundingScheme.SasEffecteur);
            scheme.ReminderDelayDays = 10;
            scheme.ClosingDelayDays = 20;
            await db.SaveChangesAsync();
        }
    }
}

public sealed class DeadlineTestsOnSqlite(SqliteApp app) : DeadlineTests(app), IClassFixture<SqliteApp>;

public sealed class DeadlineTestsOnPostgres(PostgresApp app) : DeadlineTests(app), IClassFixture<PostgresApp>;
