using Guichet.Data;
using Guichet.Domain;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>The « Tableau de bord » figures, all read at one instant.</summary>
public sealed record DashboardFigures(
    Dictionary<(RequestStatus Status, string Scheme), int> ByStatusAndScheme,
    IReadOnlyList<(DateOnly Monday, int Deposits)> DepositsPerWeek,
    int OpenRounds, int RemindersDueIn7Days, int ClosingsDueIn7Days,
    Dictionary<RoundOutcome, int> ClosedRoundOutcomes,
    int Decided, double? MedianDecisionSeconds, double? P90DecisionSeconds);

/// <summary>
/// The dashboard's queries, each cheap at a million requests: counts per status and scheme from the kept counter table;
/// deposits per Paris week from the kept hourly tallies (a Paris week starts on a whole UTC hour); rounds from their
/// (ClosedAt, …) and Outcome indexes; deposit→decision percentiles from the kept tally of decision times by whole hour
/// (<see cref="DashboardTallies"/>: a few thousand rows, whatever the number of requests).
/// </summary>
public static class Dashboard
{
    public const int Weeks = 26;

    public static async Task<DashboardFigures> RunAsync(GuichetDbContext db, DateTime now, CancellationToken ct)
    {
        var byStatusAndScheme = (await db.RequestCounts.GroupBy(c => new { c.Status, c.SchemeCode })
                .Select(g => new { g.Key.Status, g.Key.SchemeCode, Count = g.Sum(c => c.Count) }).ToListAsync(ct))
            .Where(x => x.Count > 0).ToDictionary(x => (x.Status, x.SchemeCode), x => x.Count);

        var mondays = Mondays(now).ToList();
        var first = DashboardTallies.HourOf(ParisCalendar.StartOfDayUtc(mondays[0]));
        var hours = await db.DepositTallies.AsNoTracking().Where(t => t.Hour >= first && t.Count != 0)
            .Select(t => new { t.Hour, t.Count }).ToListAsync(ct);
        var weeks = mondays.Select(monday =>
        {
            var (from, to) = (DashboardTallies.HourOf(ParisCalendar.StartOfDayUtc(monday)), DashboardTallies.HourOf(ParisCalendar.StartOfDayUtc(monday.AddDays(7))));
            return (monday, hours.Where(h => h.Hour >= from && h.Hour < to).Sum(h => h.Count));
        }).ToList();

        var horizon = now.AddDays(7);
        var open = db.Rounds.Where(r => r.ClosedAt == null);
        var openRounds = await open.CountAsync(ct);
        var reminders = await open.CountAsync(r => r.ReminderSentAt == null && r.ReminderDueAt < horizon, ct);
        var closings = await open.CountAsync(r => r.ClosingDueAt < horizon, ct);
        var outcomes = (await db.Rounds.Where(r => r.Outcome != null).GroupBy(r => r.Outcome)
                .Select(g => new { Outcome = g.Key!.Value, Count = g.Count() }).ToListAsync(ct))
            .ToDictionary(x => x.Outcome, x => x.Count);

        var delays = await db.DecisionDelayTallies.AsNoTracking().Where(t => t.Count > 0).OrderBy(t => t.Hours)
            .Select(t => new { t.Hours, t.Count }).ToListAsync(ct);
        var decided = delays.Sum(d => d.Count);
        var valueAt = ValueAtRank(delays.Select(d => (d.Hours, d.Count)).ToList());
        var (median, p90) = decided == 0 ? ((double?)null, (double?)null)
            : (Interpolated(0.5, decided, valueAt), Interpolated(0.9, decided, valueAt));

        return new DashboardFigures(byStatusAndScheme, weeks, openRounds, reminders, closings, outcomes, decided, median, p90);
    }

    /// <summary>The Mondays (Paris) of the last 26 weeks, the current week last.</summary>
    public static IEnumerable<DateOnly> Mondays(DateTime now)
    {
        var today = ParisCalendar.DateOf(now);
        var thisMonday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        return Enumerable.Range(0, Weeks).Select(i => thisMonday.AddDays(-7 * (Weeks - 1 - i)));
    }

    /// <summary>A decision time as the tally keeps it: the middle of its whole hour, in seconds.</summary>
    public static double HourMiddle(long decisionSeconds) => DashboardTallies.DelayBucket(decisionSeconds) * 3600 + 1800;

    /// <summary>The percentile as <c>percentile_cont</c> defines it: the value at rank p·(n−1), interpolated between its neighbours.</summary>
    public static double Interpolated(double p, int count, Func<int, double> valueAt)
    {
        var rank = p * (count - 1);
        var low = (int)Math.Floor(rank);
        var lowValue = valueAt(low);
        return rank == low ? lowValue : lowValue + (rank - low) * (valueAt(low + 1) - lowValue);
    }

    // The value of the request at a rank (0-based) among the decision times sorted, each taken as the middle of its hour.
    private static Func<int, double> ValueAtRank(List<(long Hours, int Count)> buckets) => rank =>
    {
        var seen = 0;
        foreach (var (hours, count) in buckets)
        {
            seen += count;
            if (rank < seen) return hours * 3600 + 1800;
        }
        return buckets[^1].Hours * 3600 + 1800;
    };
}
