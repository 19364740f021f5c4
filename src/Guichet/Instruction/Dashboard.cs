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
/// deposits per Paris week as 26 range counts on the deposit-date index; rounds from their (ClosedAt, …) and Outcome
/// indexes; deposit→decision percentiles from the kept <see cref="FundingRequest.DecisionSeconds"/> (PostgreSQL's
/// <c>percentile_cont</c>; on SQLite, two reads at an offset of its index: no sort, no row held in memory).
/// </summary>
public static class Dashboard
{
    public const int Weeks = 26;

    public static async Task<DashboardFigures> RunAsync(GuichetDbContext db, DateTime now, CancellationToken ct)
    {
        var byStatusAndScheme = (await db.RequestCounts.GroupBy(c => new { c.Status, c.SchemeCode })
                .Select(g => new { g.Key.Status, g.Key.SchemeCode, Count = g.Sum(c => c.Count) }).ToListAsync(ct))
            .Where(x => x.Count > 0).ToDictionary(x => (x.Status, x.SchemeCode), x => x.Count);

        var weeks = new List<(DateOnly, int)>(Weeks);
        foreach (var monday in Mondays(now))
        {
            var (from, to) = (ParisCalendar.StartOfDayUtc(monday), ParisCalendar.StartOfDayUtc(monday.AddDays(7)));
            weeks.Add((monday, await db.Requests.CountAsync(r => r.DepositedAt >= from && r.DepositedAt < to, ct)));
        }

        var horizon = now.AddDays(7);
        var open = db.Rounds.Where(r => r.ClosedAt == null);
        var openRounds = await open.CountAsync(ct);
        var reminders = await open.CountAsync(r => r.ReminderSentAt == null && r.ReminderDueAt < horizon, ct);
        var closings = await open.CountAsync(r => r.ClosingDueAt < horizon, ct);
        var outcomes = (await db.Rounds.Where(r => r.Outcome != null).GroupBy(r => r.Outcome)
                .Select(g => new { Outcome = g.Key!.Value, Count = g.Count() }).ToListAsync(ct))
            .ToDictionary(x => x.Outcome, x => x.Count);

        var decided = await db.Requests.CountAsync(r => r.DecisionSeconds != null, ct);
        var (median, p90) = decided == 0 ? (null, null)
            : db.Database.IsNpgsql() ? (await PostgresPercentileAsync(db, 0.5, ct), await PostgresPercentileAsync(db, 0.9, ct))
            : (await OrderedPercentileAsync(db, decided, 0.5, ct), await OrderedPercentileAsync(db, decided, 0.9, ct));

        return new DashboardFigures(byStatusAndScheme, weeks, openRounds, reminders, closings, outcomes, decided, median, p90);
    }

    /// <summary>The Mondays (Paris) of the last 26 weeks, the current week last.</summary>
    public static IEnumerable<DateOnly> Mondays(DateTime now)
    {
        var today = ParisCalendar.DateOf(now);
        var thisMonday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        return Enumerable.Range(0, Weeks).Select(i => thisMonday.AddDays(-7 * (Weeks - 1 - i)));
    }

    /// <summary>The percentile as <c>percentile_cont</c> defines it: the value at rank p·(n−1), interpolated between its neighbours.</summary>
    public static double Interpolated(double p, int count, Func<int, double> valueAt)
    {
        var rank = p * (count - 1);
        var low = (int)Math.Floor(rank);
        var lowValue = valueAt(low);
        return rank == low ? lowValue : lowValue + (rank - low) * (valueAt(low + 1) - lowValue);
    }

    private static async Task<double?> PostgresPercentileAsync(GuichetDbContext db, double p, CancellationToken ct) =>
        await db.Database.SqlQuery<double?>(
            $"""SELECT percentile_cont({p}) WITHIN GROUP (ORDER BY "DecisionSeconds") AS "Value" FROM "Requests" WHERE "DecisionSeconds" IS NOT NULL""")
            .SingleAsync(ct);

    // Walks the DecisionSeconds index to rank p·(n−1) and reads the two values around it.
    private static async Task<double?> OrderedPercentileAsync(GuichetDbContext db, int count, double p, CancellationToken ct)
    {
        var low = (int)Math.Floor(p * (count - 1));
        var values = await db.Requests.Where(r => r.DecisionSeconds != null).OrderBy(r => r.DecisionSeconds)
            .Skip(low).Take(2).Select(r => r.DecisionSeconds!.Value).ToListAsync(ct);
        return Interpolated(p, count, rank => values[Math.Min(rank - low, values.Count - 1)]);
    }
}
