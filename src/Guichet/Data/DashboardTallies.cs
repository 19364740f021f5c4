using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Guichet.Data;

/// <summary>Deposits made during one UTC hour (hours since 1970): the dashboard's weeks add up a few thousand of these rows.</summary>
public class DepositTally
{
    public long Hour { get; init; }
    public int Count { get; init; }
}

/// <summary>Requests decided within a whole number of hours of their deposit: the dashboard's percentiles walk these rows.</summary>
public class DecisionDelayTally
{
    public long Hours { get; init; }
    public int Count { get; init; }
}

/// <summary>The tally deltas of one save.</summary>
public sealed class TallyDeltas
{
    public Dictionary<long, int> Deposits { get; } = [];
    public Dictionary<long, int> Delays { get; } = [];
    public bool IsEmpty => Deposits.Values.All(v => v == 0) && Delays.Values.All(v => v == 0);

    public void AddTo(TallyDeltas into)
    {
        foreach (var (k, v) in Deposits) into.Deposits[k] = into.Deposits.GetValueOrDefault(k) + v;
        foreach (var (k, v) in Delays) into.Delays[k] = into.Delays.GetValueOrDefault(k) + v;
    }
}

/// <summary>
/// The dashboard's kept figures: counting a million requests per week or sorting their decision times on each view is
/// too slow (BENCHMARKS.md, « Tableau de bord »), so <see cref="RequestCountKeeper"/> keeps these two tables in the
/// transaction of every save that adds a request or decides one, as it keeps <see cref="RequestCount"/>. Hours are whole
/// UTC hours: Paris weeks start on an hour boundary, so the weeks stay exact; decision times are read to the hour.
/// </summary>
public static class DashboardTallies
{
    public static long HourOf(DateTime utc) => (long)Math.Floor((utc - DateTime.UnixEpoch).TotalHours);

    public static DateTime StartOfHour(long hour) => DateTime.UnixEpoch.AddHours(hour);

    public static long DelayBucket(long decisionSeconds) => Math.Max(0, decisionSeconds) / 3600;

    public static TallyDeltas Collect(ChangeTracker tracker)
    {
        var deltas = new TallyDeltas();
        foreach (var entry in tracker.Entries<FundingRequest>())
        {
            switch (entry.State)
            {
                case EntityState.Added:
                    Count(deltas, entry.CurrentValues, 1);
                    break;
                case EntityState.Deleted:
                    Count(deltas, entry.OriginalValues, -1);
                    break;
                case EntityState.Modified:
                    Count(deltas, entry.OriginalValues, -1);
                    Count(deltas, entry.CurrentValues, 1);
                    break;
            }
        }
        return deltas;
    }

    private static void Count(TallyDeltas deltas, PropertyValues values, int sign)
    {
        var deposited = values.GetValue<DateTime>(nameof(FundingRequest.DepositedAt));
        var hour = HourOf(deposited);
        deltas.Deposits[hour] = deltas.Deposits.GetValueOrDefault(hour) + sign;
        if (values.GetValue<long?>(nameof(FundingRequest.DecisionSeconds)) is { } seconds)
        {
            var bucket = DelayBucket(seconds);
            deltas.Delays[bucket] = deltas.Delays.GetValueOrDefault(bucket) + sign;
        }
    }

    /// <summary>The upserts of the non-zero deltas, keys in order (two saves lock the same rows in the same order). Same SQL on both providers.</summary>
    public static IEnumerable<(string Sql, object[] Parameters)> Upserts(TallyDeltas deltas)
    {
        if (Upsert("DepositTallies", "Hour", deltas.Deposits) is { } deposits) yield return deposits;
        if (Upsert("DecisionDelayTallies", "Hours", deltas.Delays) is { } delays) yield return delays;
    }

    private static (string, object[])? Upsert(string table, string key, Dictionary<long, int> deltas)
    {
        var rows = deltas.Where(d => d.Value != 0).OrderBy(d => d.Key).ToList();
        if (rows.Count == 0) return null;
        var parameters = new object[rows.Count * 2];
        var values = new List<string>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            parameters[i * 2] = rows[i].Key;
            parameters[i * 2 + 1] = rows[i].Value;
            values.Add($"({{{i * 2}}}, {{{i * 2 + 1}}})");
        }
        return ($"""INSERT INTO "{table}" AS t ("{key}", "Count") VALUES {string.Join(", ", values)} """
            + $"""ON CONFLICT ("{key}") DO UPDATE SET "Count" = t."Count" + excluded."Count";""", parameters);
    }

    /// <summary>Both tables again from the requests (the migration, the <c>recount</c> verb, the bench's data).</summary>
    public static string RebuildSql(bool postgres) => postgres
        ? """
          DELETE FROM "DepositTallies";
          INSERT INTO "DepositTallies" ("Hour", "Count")
          SELECT floor(extract(epoch from "DepositedAt") / 3600)::bigint, COUNT(*) FROM "Requests" GROUP BY 1;
          DELETE FROM "DecisionDelayTallies";
          INSERT INTO "DecisionDelayTallies" ("Hours", "Count")
          SELECT GREATEST("DecisionSeconds", 0) / 3600, COUNT(*) FROM "Requests" WHERE "DecisionSeconds" IS NOT NULL GROUP BY 1;
          """
        : """
          DELETE FROM "DepositTallies";
          INSERT INTO "DepositTallies" ("Hour", "Count")
          SELECT CAST(strftime('%s', "DepositedAt") AS INTEGER) / 3600, COUNT(*) FROM "Requests" GROUP BY 1;
          DELETE FROM "DecisionDelayTallies";
          INSERT INTO "DecisionDelayTallies" ("Hours", "Count")
          SELECT MAX("DecisionSeconds", 0) / 3600, COUNT(*) FROM "Requests" WHERE "DecisionSeconds" IS NOT NULL GROUP BY 1;
          """;

    /// <summary>How many tally rows disagree with the requests (should be none).</summary>
    public static async Task<int> DifferencesAsync(GuichetDbContext db, CancellationToken ct)
    {
        var requests = await db.Requests.AsNoTracking().Select(r => new { r.DepositedAt, r.DecisionSeconds }).ToListAsync(ct);
        var deposits = requests.GroupBy(r => HourOf(r.DepositedAt)).ToDictionary(g => g.Key, g => g.Count());
        var delays = requests.Where(r => r.DecisionSeconds is not null).GroupBy(r => DelayBucket(r.DecisionSeconds!.Value))
            .ToDictionary(g => g.Key, g => g.Count());
        var storedDeposits = await db.DepositTallies.AsNoTracking().ToDictionaryAsync(t => t.Hour, t => t.Count, ct);
        var storedDelays = await db.DecisionDelayTallies.AsNoTracking().ToDictionaryAsync(t => t.Hours, t => t.Count, ct);
        return Differences(deposits, storedDeposits) + Differences(delays, storedDelays);
    }

    private static int Differences(Dictionary<long, int> actual, Dictionary<long, int> stored) =>
        actual.Keys.Union(stored.Keys).Count(k => actual.GetValueOrDefault(k) != stored.GetValueOrDefault(k));
}
