using Guichet.Data;
using Guichet.Deadlines;
using Guichet.Domain;
using Guichet.Storage;
using Guichet.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Guichet.Tests.Deadlines;

/// <summary>
/// The demo's rounds, whatever the hour they are seeded at: none is due yet, the « J+9 » one is reminded and the « J+19 »
/// one closed at the next Paris midnight. (Seeded between midnight and 01:00 in Paris, they were due at once, and a test
/// counting e-mails failed every evening from 23:00 UTC.)
/// </summary>
public sealed class DemoDeadlinesTests
{
    [Theory]
    [InlineData("2026-12-01T23:30:00Z")] // 00:30 in Paris, winter
    [InlineData("2026-07-01T22:30:00Z")] // 00:30 in Paris, summer
    [InlineData("2026-12-01T22:59:00Z")] // 23:59 in Paris
    [InlineData("2026-12-01T11:00:00Z")] // noon in Paris
    public async Task The_demo_seeded_at_any_hour_has_no_round_due_and_its_J9_and_J19_rounds_fall_due_at_the_next_Paris_midnight(string seededAt)
    {
        var now = DateTimeOffset.Parse(seededAt, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime;
        await using var app = new SqliteApp();
        using var _ = app.Clock.At(now);
        await app.InitializeAsync(); // starting the host seeds the demo at the clock's time

        var atOnce = await SweepAt(app, now);
        Assert.Equal(new SweepResult(0, 0, 0), atOnce);

        var nextMidnight = ParisCalendar.StartOfDayUtc(ParisCalendar.DateOf(now).AddDays(1));
        Assert.Equal(new SweepResult(0, 0, 0), await SweepAt(app, nextMidnight.AddMinutes(-1)));
        var due = await SweepAt(app, nextMidnight);
        Assert.True(due.Reminders >= 1, $"Relances à minuit : {due.Reminders}");
        Assert.True(due.Closings >= 1, $"Clôtures à minuit : {due.Closings}");
    }

    private static async Task<SweepResult> SweepAt(GuichetApp app, DateTime utc)
    {
        using var scope = app.Services.CreateScope();
        return await new DeadlineSweep(scope.ServiceProvider.GetRequiredService<GuichetDbContext>(),
            scope.ServiceProvider.GetRequiredService<AttachmentStore>(),
            new FakeTimeProvider(new DateTimeOffset(utc, TimeSpan.Zero)), NullLogger<DeadlineSweep>.Instance).RunAsync();
    }
}
