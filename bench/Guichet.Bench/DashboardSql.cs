using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Guichet.Bench;

/// <summary>
/// The SQL of the « Tableau de bord » (src/Guichet/Instruction/Dashboard.cs), as EF Core generates it, run with ADO.NET
/// alone in the same order: the bare host serves it, and the bench times it query group by query group.
/// </summary>
public static class DashboardSql
{
    public const string ByStatusAndScheme = "comptes par statut et dispositif (table de compteurs)";
    public const string Weeks = "dépôts par semaine (26 comptes par plage de dates)";
    public const string Rounds = "tours ouverts, relances J+10 et clôtures J+20 dues (3 comptes)";
    public const string Outcomes = "issues des tours clos";
    public const string Decided = "demandes décidées (compte)";
    public const string Percentiles = "médiane et 90e centile du délai de décision";
    public static readonly string[] Groups = [ByStatusAndScheme, Weeks, Rounds, Outcomes, Decided, Percentiles];

    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    /// <summary>Every figure of the page at <paramref name="now"/>, as JSON; <paramref name="timed"/> receives each group's time in ms.</summary>
    public static async Task<string> RunAsync(Database db, DateTime now, Action<string, double>? timed = null)
    {
        await using var c = await db.OpenAsync();
        var json = new StringBuilder("{\"statuts\":[");
        var watch = Stopwatch.StartNew();
        void Done(string group)
        {
            timed?.Invoke(group, watch.Elapsed.TotalMilliseconds);
            watch.Restart();
        }

        await Rows(c, db, json, """SELECT c."Status", c."SchemeCode", COALESCE(sum(c."Count"), 0)::int AS "Count" FROM "RequestCounts" AS c GROUP BY c."Status", c."SchemeCode" """);
        Done(ByStatusAndScheme);

        json.Append("],\"semaines\":[");
        foreach (var (from, to) in WeekRanges(now))
        {
            if (json[^1] != '[') json.Append(',');
            json.Append(await Scalar(c, db, """SELECT count(*)::int FROM "Requests" AS r WHERE r."DepositedAt" >= @from AND r."DepositedAt" < @to""",
                ("from", Instant(db, from)), ("to", Instant(db, to))));
        }
        Done(Weeks);

        var horizon = Instant(db, now.AddDays(7));
        json.Append("],\"tours\":[");
        json.Append(await Scalar(c, db, """SELECT count(*)::int FROM "Rounds" AS r WHERE r."ClosedAt" IS NULL""")).Append(',');
        json.Append(await Scalar(c, db, """SELECT count(*)::int FROM "Rounds" AS r WHERE r."ClosedAt" IS NULL AND r."ReminderSentAt" IS NULL AND r."ReminderDueAt" < @h""", ("h", horizon))).Append(',');
        json.Append(await Scalar(c, db, """SELECT count(*)::int FROM "Rounds" AS r WHERE r."ClosedAt" IS NULL AND r."ClosingDueAt" < @h""", ("h", horizon)));
        Done(Rounds);

        json.Append("],\"issues\":[");
        await Rows(c, db, json, """SELECT r."Outcome", count(*)::int FROM "Rounds" AS r WHERE r."Outcome" IS NOT NULL GROUP BY r."Outcome" """);
        Done(Outcomes);

        var decided = Convert.ToInt32(await Scalar(c, db, """SELECT count(*)::int FROM "Requests" AS r WHERE r."DecisionSeconds" IS NOT NULL"""), CultureInfo.InvariantCulture);
        Done(Decided);

        json.Append("],\"decidees\":").Append(decided).Append(",\"centiles\":[");
        if (decided > 0)
            foreach (var p in new[] { 0.5, 0.9 })
            {
                if (json[^1] != '[') json.Append(',');
                if (db.IsPostgres)
                    json.Append(await Scalar(c, db, PostgresPercentile, ("p", p)));
                else
                {
                    // As the portal on SQLite: the two values around rank p·(n−1), read at an offset of the DecisionSeconds index.
                    var low = (int)Math.Floor(p * (decided - 1));
                    await Rows(c, db, json, """SELECT r."DecisionSeconds" FROM "Requests" AS r WHERE r."DecisionSeconds" IS NOT NULL ORDER BY r."DecisionSeconds" LIMIT 2 OFFSET @low""", ("low", low));
                }
            }
        Done(Percentiles);
        return json.Append("]}").ToString();
    }

    private const string PostgresPercentile = """
        SELECT s."Value" FROM (
            SELECT percentile_cont(@p) WITHIN GROUP (ORDER BY "DecisionSeconds") AS "Value" FROM "Requests" WHERE "DecisionSeconds" IS NOT NULL
        ) AS s LIMIT 2
        """;

    /// <summary>PostgreSQL only: EXPLAIN (ANALYZE, BUFFERS) of one statement of each group, to see where the page's time goes.</summary>
    public static async Task<string> ExplainAsync(Database db, DateTime now)
    {
        // A week in the middle of the six months: the latest weeks may hold no deposit yet (the bench's are 25 days old or more).
        var (from, to) = WeekRanges(now).ElementAt(13);
        var horizon = now.AddDays(7);
        (string Group, string Sql, (string, object?)[] Ps)[] statements =
        [
            (ByStatusAndScheme, """SELECT c."Status", c."SchemeCode", COALESCE(sum(c."Count"), 0)::int FROM "RequestCounts" AS c GROUP BY c."Status", c."SchemeCode" """, []),
            (Weeks + ", la quatorzième", """SELECT count(*)::int FROM "Requests" AS r WHERE r."DepositedAt" >= @from AND r."DepositedAt" < @to""", [("from", from), ("to", to)]),
            (Rounds + ", la deuxième", """SELECT count(*)::int FROM "Rounds" AS r WHERE r."ClosedAt" IS NULL AND r."ReminderSentAt" IS NULL AND r."ReminderDueAt" < @h""", [("h", horizon)]),
            (Outcomes, """SELECT r."Outcome", count(*)::int FROM "Rounds" AS r WHERE r."Outcome" IS NOT NULL GROUP BY r."Outcome" """, []),
            (Decided, """SELECT count(*)::int FROM "Requests" AS r WHERE r."DecisionSeconds" IS NOT NULL""", []),
            (Percentiles + ", la médiane", PostgresPercentile, [("p", 0.5)]),
        ];
        var text = new StringBuilder();
        await using var c = await db.OpenAsync();
        foreach (var (group, sql, ps) in statements)
        {
            text.AppendLine($"-- {group}");
            await using var cmd = Database.Command(c, "EXPLAIN (ANALYZE, BUFFERS) " + sql, ps);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) text.AppendLine(reader.GetString(0));
        }
        return text.ToString();
    }

    /// <summary>Dashboard.Mondays: the 26 Paris weeks ending with the current one, as UTC ranges.</summary>
    public static IEnumerable<(DateTime From, DateTime To)> WeekRanges(DateTime now)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(now, Paris));
        var thisMonday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        for (var i = 0; i < 26; i++)
        {
            var monday = thisMonday.AddDays(-7 * (25 - i));
            yield return (StartUtc(monday), StartUtc(monday.AddDays(7)));
        }
    }

    private static DateTime StartUtc(DateOnly day) => TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(TimeOnly.MinValue), Paris);

    private static object Instant(Database db, DateTime utc) =>
        db.IsPostgres ? utc : utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    // SQLite has no ::int cast.
    private static string Sql(Database db, string sql) => db.IsPostgres ? sql : sql.Replace("::int", "", StringComparison.Ordinal);

    private static async Task<string> Scalar(DbConnection c, Database db, string sql, params (string, object?)[] ps)
    {
        await using var cmd = Database.Command(c, Sql(db, sql), ps);
        return Convert.ToString(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture) ?? "null";
    }

    private static async Task Rows(DbConnection c, Database db, StringBuilder json, string sql, params (string, object?)[] ps)
    {
        await using var cmd = Database.Command(c, Sql(db, sql), ps);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (json[^1] != '[') json.Append(',');
            json.Append('[');
            for (var i = 0; i < reader.FieldCount; i++)
                json.Append(i > 0 ? ",\"" : "\"").Append(Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)).Append('"');
            json.Append(']');
        }
    }
}
