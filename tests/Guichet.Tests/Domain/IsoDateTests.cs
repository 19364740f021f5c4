using System.Globalization;
using Guichet.Deposits;

namespace Guichet.Tests.Domain;

/// <summary>The format v1 reads its dates by hand (for speed): it must accept and refuse exactly what « yyyy-MM-dd » did.</summary>
public sealed class IsoDateTests
{
    public static TheoryData<string> Dates =>
    [
        "2026-01-15", "2024-02-29", "2023-02-29", "2026-02-28", "2026-04-31", "2026-12-31", "2026-13-01", "2026-00-10", "2026-01-00",
        "0001-01-01", "0000-01-01", "9999-12-31", "2026-1-15x", "2026/01/15", "26-01-2026", "2026-01-1 ", " 2026-01-1", "2026-01-15T0",
        "２０２６-01-15", "2026-٠١-15", "abcd-ef-gh", "2026--1-15", "2026-+1-15", "", "2026-01-15Z", "1900-02-29", "2000-02-29",
    ];

    [Theory, MemberData(nameof(Dates))]
    public void A_date_is_read_as_the_invariant_yyyy_MM_dd_pattern_reads_it(string text)
    {
        var expected = DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d);
        Assert.Equal(expected, FormatV1.TryParseIsoDate(text, out var mine));
        Assert.Equal(d, mine);
    }
}
