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
    public const string Weeks = "dépôts par semaine (heures tenues des 26 semaines)";
    public const string Rounds = "tours ouverts, relances J+10 et clôtures J+20 dues (3 comptes)";
    public const string Outcomes = "issues des tours clos";
    public const string Percentiles = "demandes décidées, médiane et 90e centile du délai (délais tenus à l'heure)";
    public static readonly string[] Groups = [ByStatusAndScheme, Weeks, Rounds, Outcomes, Percentiles];

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
        // As the portal: the kept hourly tallies since the first Monday, added up per week in memory.
        await Rows(c, db, json, """SELECT t."Hour", t."Count" FROM "DepositTallies" AS t WHERE t."Hour" >= @first AND t."Count" <> 0""",
            ("first", HourOf(WeekRanges(now).First().From)));
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

        // As the portal: the kept tally of decision times by whole hour; the count and the percentiles are computed from it in memory.
        json.Append("],\"delais\":[");
        await Rows(c, db, json, """SELECT t."Hours", t."Count" FROM "DecisionDelayTallies" AS t WHERE t."Count" > 0 ORDER BY t."Hours" """);
        Done(Percentiles);
        return json.Append("]}").ToString();
    }

    /// <summary>PostgreSQL only: EXPLAIN (ANALYZE, BUFFERS) of one statement of each group, to see where the page's time goes.</summary>
    public static async Task<string> ExplainAsync(Database db, DateTime now)
    {
        // A week in the middle of the six months: the latest weeks may hold no deposit yet (the bench's are 25 days old or more).
        var (from, to) = WeekRanges(now).ElementAt(13);
        var horizon = now.AddDays(7);
        (string Group, string Sql, (string, object?)[] Ps)[] statements =
        [
            (ByStatusAndScheme, """SELECT c."Status", c."SchemeCode", COALESCE(sum(c."Count"), 0)::int FROM "RequestCounts" AS c GROUP BY c."Status", c."SchemeCode" """, []),
            (Weeks, """SELECT t."Hour", t."Count" FROM "DepositTallies" AS t WHERE t."Hour" >= @first AND t."Count" <> 0""", [("first", HourOf(from))]),
            (Rounds + ", la deuxième", """SELECT count(*)::int FROM "Rounds" AS r WHERE r."ClosedAt" IS NULL AND r."ReminderSentAt" IS NULL AND r."ReminderDueAt" < @h""", [("h", horizon)]),
            (Outcomes, """SELECT r."Outcome", count(*)::int FROM "Rounds" AS r WHERE r."Outcome" IS NOT NULL GROUP BY r."Outcome" """, []),
            (Percentiles, """SELECT t."Hours", t."Count" FROM "DecisionDelayTallies" AS t WHERE t."Count" > 0 ORDER BY t."Hours" """, []),
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

    // DashboardTallies.HourOf: whole UTC hours since 1970.
    private static long HourOf(DateTime utc) => (long)Math.Floor((utc - DateTime.UnixEpoch).TotalHours);

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
