using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Guichet.Data;

/// <summary>
/// How many requests an organisation has per scheme, type and status. The tracking list, the API list and the queue
/// read their counts per status here instead of counting their rows again on every page. The table is kept by
/// <see cref="RequestCountKeeper"/>, in the transaction of every save of the context that adds a request or changes one
/// of these four values, so no code path can forget it; the migration fills it and the <c>recount</c> verb rebuilds it.
/// </summary>
public class RequestCount
{
    public int OrganisationId { get; init; }
    public required string SchemeCode { get; init; }
    public RequestType Type { get; init; }
    public RequestStatus Status { get; init; }
    public int Count { get; init; }
}

public readonly record struct RequestCountKey(int OrganisationId, string SchemeCode, RequestType Type, RequestStatus Status);

/// <summary>The deltas a save makes to <see cref="RequestCount"/>, and the upsert that applies them.</summary>
public static class RequestCounters
{
    /// <summary>+1 for each request added or arriving in a key, −1 for each one leaving a key (changed or deleted).</summary>
    public static Dictionary<RequestCountKey, int> Collect(ChangeTracker tracker)
    {
        var deltas = new Dictionary<RequestCountKey, int>();
        foreach (var entry in tracker.Entries<FundingRequest>())
        {
            switch (entry.State)
            {
                case EntityState.Added:
                    Add(deltas, KeyOf(entry.CurrentValues), 1);
                    break;
                case EntityState.Deleted:
                    Add(deltas, KeyOf(entry.OriginalValues), -1);
                    break;
                case EntityState.Modified:
                    var before = KeyOf(entry.OriginalValues);
                    var after = KeyOf(entry.CurrentValues);
                    if (before == after) break;
                    Add(deltas, before, -1);
                    Add(deltas, after, 1);
                    break;
            }
        }
        foreach (var key in deltas.Where(d => d.Value == 0).Select(d => d.Key).ToList()) deltas.Remove(key);
        return deltas;
    }

    public static void Add(Dictionary<RequestCountKey, int> into, RequestCountKey key, int delta) =>
        into[key] = into.GetValueOrDefault(key) + delta;

    /// <summary>
    /// One upsert for all the deltas, rows in key order: two transactions touching the same counters lock them in the
    /// same order and cannot deadlock. Same SQL on SQLite (3.24+) and PostgreSQL.
    /// </summary>
    public static (string Sql, object[] Parameters)? Upsert(IReadOnlyDictionary<RequestCountKey, int> deltas)
    {
        if (deltas.Count == 0) return null;
        var rows = deltas.Where(d => d.Value != 0)
            .OrderBy(d => d.Key.OrganisationId).ThenBy(d => d.Key.SchemeCode, StringComparer.Ordinal)
            .ThenBy(d => d.Key.Type.Code(), StringComparer.Ordinal).ThenBy(d => d.Key.Status.Code(), StringComparer.Ordinal)
            .ToList();
        if (rows.Count == 0) return null;
        var parameters = new object[rows.Count * 5];
        var values = new List<string>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var (key, delta) = (rows[i].Key, rows[i].Value);
            parameters[i * 5] = key.OrganisationId;
            parameters[i * 5 + 1] = key.SchemeCode;
            parameters[i * 5 + 2] = key.Type.Code();
            parameters[i * 5 + 3] = key.Status.Code();
            parameters[i * 5 + 4] = delta;
            values.Add($"({{{i * 5}}}, {{{i * 5 + 1}}}, {{{i * 5 + 2}}}, {{{i * 5 + 3}}}, {{{i * 5 + 4}}})");
        }
        var sql = """INSERT INTO "RequestCounts" AS c ("OrganisationId", "SchemeCode", "Type", "Status", "Count") VALUES """
            + string.Join(", ", values)
            + """ ON CONFLICT ("OrganisationId", "SchemeCode", "Type", "Status") DO UPDATE SET "Count" = c."Count" + excluded."Count";""";
        return (sql, parameters);
    }

    /// <summary>The whole table again from the requests (migration, <c>recount</c> verb, bench data).</summary>
    public const string RebuildSql = """
        DELETE FROM "RequestCounts";
        INSERT INTO "RequestCounts" ("OrganisationId", "SchemeCode", "Type", "Status", "Count")
        SELECT "OrganisationId", "SchemeCode", "Type", "Status", COUNT(*) FROM "Requests"
        GROUP BY "OrganisationId", "SchemeCode", "Type", "Status";
        """;

    /// <summary>
    /// Rebuilds the table in one transaction and returns how many counters were wrong. On PostgreSQL the table is locked
    /// first, so a status change racing the rebuild adds its delta after it rather than into rows being replaced.
    /// </summary>
    public static async Task<int> RebuildAsync(GuichetDbContext db, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql()) await db.Database.ExecuteSqlRawAsync("""LOCK TABLE "RequestCounts" IN EXCLUSIVE MODE;""", ct);
        var wrong = (await DifferencesAsync(db, ct)).Count;
        if (wrong > 0) await db.Database.ExecuteSqlRawAsync(RebuildSql, ct);
        // The dashboard's tallies are kept by the same saves: rebuilt with them.
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlRawAsync("""LOCK TABLE "DepositTallies", "DecisionDelayTallies" IN EXCLUSIVE MODE;""", ct);
        await db.Database.ExecuteSqlRawAsync(DashboardTallies.RebuildSql(db.Database.IsNpgsql()), ct);
        await tx.CommitAsync(ct);
        return wrong;
    }

    /// <summary>Rows where the table and the requests disagree (should be none): (key, counted, stored).</summary>
    public static async Task<List<(RequestCountKey Key, int Actual, int Stored)>> DifferencesAsync(GuichetDbContext db, CancellationToken ct)
    {
        var actual = (await db.Requests.GroupBy(r => new { r.OrganisationId, r.SchemeCode, r.Type, r.Status })
                .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct))
            .ToDictionary(g => new RequestCountKey(g.Key.OrganisationId, g.Key.SchemeCode, g.Key.Type, g.Key.Status), g => g.Count);
        var stored = (await db.RequestCounts.AsNoTracking().ToListAsync(ct))
            .ToDictionary(c => new RequestCountKey(c.OrganisationId, c.SchemeCode, c.Type, c.Status), c => c.Count);
        return actual.Keys.Union(stored.Keys)
            .Select(k => (k, actual.GetValueOrDefault(k), stored.GetValueOrDefault(k)))
            .Where(d => d.Item2 != d.Item3)
            .ToList();
    }

    private static RequestCountKey KeyOf(PropertyValues v) => new(
        v.GetValue<int>(nameof(FundingRequest.OrganisationId)), v.GetValue<string>(nameof(FundingRequest.SchemeCode)),
        v.GetValue<RequestType>(nameof(FundingRequest.Type)), v.GetValue<RequestStatus>(nameof(FundingRequest.Status)));
}
