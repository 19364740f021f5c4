using Guichet.Data;
using Guichet.Domain;

namespace Guichet.Tests.Domain;

/// <summary>
/// The demo schemes' deposit windows written by « migrate » (ReferenceData.DemoWindow): today's installation keeps the
/// documented 2025–2027 windows, and a later one is never born with every window already closed.
/// </summary>
public sealed class DemoWindowTests
{
    private static DateTime Paris(int year, int month, int day, int hour = 0, int minute = 0) =>
        ParisCalendar.ParisToUtc(new DateTime(year, month, day, hour, minute, 0));

    [Fact]
    public void An_installation_before_2027_gets_the_documented_windows()
    {
        Assert.Equal((Paris(2025, 1, 1), Paris(2027, 12, 31, 23, 59)), ReferenceData.DemoWindow(Paris(2026, 12, 2, 12)));
        Assert.Equal((Paris(2025, 1, 1), Paris(2027, 12, 31, 23, 59)), ReferenceData.DemoWindow(Paris(2025, 3, 1)));
    }

    [Fact]
    public void A_later_installation_accepts_deposits_to_the_end_of_the_next_year()
    {
        var now = Paris(2031, 6, 15, 10);

        var (opens, closes) = ReferenceData.DemoWindow(now);

        Assert.Equal((Paris(2025, 1, 1), Paris(2032, 12, 31, 23, 59)), (opens, closes));
        Assert.InRange(now, opens, closes);
    }

    [Fact]
    public void The_year_is_the_Paris_year()
    {
        // 31 December 2027 at 23:30 UTC is already 1 January 2028 in Paris.
        var (_, closes) = ReferenceData.DemoWindow(new DateTime(2027, 12, 31, 23, 30, 0, DateTimeKind.Utc));

        Assert.Equal(Paris(2029, 12, 31, 23, 59), closes);
    }
}
