using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Guichet.Bench;

/// <summary>
/// The « bare » baseline: a minimal Kestrel host in its own process that runs the same SQL as the portal's tracking list,
/// manager queue and dashboard (the statements EF Core generates, written out by hand) with plain ADO.NET, and answers JSON.
/// No authentication, no antiforgery, no Razor, no EF Core: what is left is the database and HTTP.
/// </summary>
public static class BareHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Opt(string name) => args[Array.IndexOf(args, "--" + name) + 1];
        var db = new Database(Opt("provider"), Opt("cs"));
        var builder = WebApplication.CreateSlimBuilder(args.Where(a => a is not ("--provider" or "--cs")).ToArray());
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/health", async () => await db.ScalarAsync<int>("SELECT 1"));
        app.MapGet("/bare/tracking", async (int org, int? counts) => Results.Text(await TrackingAsync(db, org, counts != 0), "application/json"));
        app.MapGet("/bare/session", async (string id) => Results.Text(await SessionAsync(db, id), "application/json"));
        app.MapGet("/bare/queue", async (HttpRequest request) =>
            Results.Text(await QueueAsync(db, request.Query.ToDictionary(kv => kv.Key, kv => kv.Value.ToString())), "application/json"));
        app.MapGet("/bare/dashboard", async () => Results.Text(await DashboardSql.RunAsync(db, DateTime.UtcNow), "application/json"));
        await app.RunAsync();
        return 0;
    }

    private const string RowColumns = """
        r."Number", r."VendorReference", r."Type", r."SchemeCode", r."Status", r."Amount", r."ClientIdType", r."ClientId", r."ClientName", r."UpdatedAt", o."Name"
        """;

    /// <summary>RequestQuery.RunAsync for a vendor, first page, « recent » sort: page and counts per status (the total is their sum).</summary>
    public static async Task<string> TrackingAsync(Database db, int org, bool counts = true)
    {
        await using var c = await db.OpenAsync();
        var json = new StringBuilder("{");
        json.Append("\"rows\":[");
        await Rows(c, json, $"""
            SELECT {RowColumns}
            FROM "Requests" AS r
            INNER JOIN "Organisations" AS o ON r."OrganisationId" = o."Id"
            WHERE r."OrganisationId" = @org
            ORDER BY r."UpdatedAt" DESC, r."Id" DESC
            LIMIT @size OFFSET @skip
            """, db, ("org", org), ("size", 20), ("skip", 0));
        json.Append("],\"counts\":{");
        // counts=0 leaves them out, only to show in the report what they cost.
        if (counts) await Counts(c, json, """SELECT c."Status", sum(c."Count")::int FROM "RequestCounts" AS c WHERE c."OrganisationId" = @org GROUP BY c."SchemeCode", c."Type", c."Status" """, db, ("org", org));
        return json.Append("}}").ToString();
    }

    /// <summary>SessionCheck.ValidateAsync: the live session by its key, joined to its user for the stamp and « actif ».</summary>
    public static async Task<string> SessionAsync(Database db, string id)
    {
        await using var c = await db.OpenAsync();
        var json = new StringBuilder("{\"session\":[");
        await Rows(c, json, """
            SELECT s."UserId", s."LastSeenAt", a."SecurityStamp", a."IsActive"
            FROM "UserSessions" AS s
            INNER JOIN "AspNetUsers" AS a ON s."UserId" = a."Id"
            WHERE s."Id" = @id AND s."RevokedAt" IS NULL AND s."LastSeenAt" > @idle
            LIMIT 1
            """, db, ("id", id), ("idle", Instant(db, DateTime.UtcNow.AddHours(-8).AddMinutes(-5))));
        return json.Append("]}").ToString();
    }

    /// <summary>QueueQuery.RunAsync with the same filters, oldest first (page, counts per status), plus the vendor list of the filter form.</summary>
    public static async Task<string> QueueAsync(Database db, Dictionary<string, string> q)
    {
        var (where, parameters) = QueueWhere(db, q, withStatus: true);
        var (whereAll, parametersAll) = QueueWhere(db, q, withStatus: false);
        await using var c = await db.OpenAsync();
        var json = new StringBuilder("{");
        json.Append("\"rows\":[");
        await Rows(c, json, $"""
            SELECT r."Id", {RowColumns}, o."Siret", r."DepositedAt"
            FROM "Requests" AS r
            INNER JOIN "Organisations" AS o ON r."OrganisationId" = o."Id"
            {where}
            ORDER BY r."DepositedAt", r."Id"
            LIMIT @size OFFSET @skip
            """, db, [.. parameters, ("size", 20), ("skip", 0)]);
        json.Append("],\"counts\":{");
        // As the portal: from the counter table when the other filters are among its keys, else counted on the requests.
        // « attribution=aucune » too: the counter table's totals less the assigned requests, in one statement.
        var unassigned = q.GetValueOrDefault("attribution") == "aucune";
        if (q.Keys.All(k => k is "statut" or "type" or "dispositif" or "fournisseur" or "user" || (k == "attribution" && unassigned)))
        {
            var others = q.Where(kv => kv.Key != "attribution").ToDictionary(kv => kv.Key, kv => kv.Value);
            var (whereCounts, parametersCounts) = QueueWhere(db, others, withStatus: false, alias: "c");
            if (!unassigned)
                await Counts(c, json, $"""SELECT c."Status", sum(c."Count")::int FROM "RequestCounts" AS c {whereCounts} GROUP BY c."Status" """, db, parametersCounts);
            else
            {
                var (whereAssigned, _) = QueueWhere(db, others, withStatus: false);
                whereAssigned = (whereAssigned.Length == 0 ? "WHERE " : whereAssigned + " AND ") + "r.\"AssignedToUserId\" IS NOT NULL";
                await Counts(c, json, $"""
                    SELECT u."Status", sum(u."Count")::int
                    FROM (SELECT c."Status", c."Count" FROM "RequestCounts" AS c {whereCounts}
                          UNION ALL SELECT r."Status", -1 AS "Count" FROM "Requests" AS r {whereAssigned}) AS u
                    GROUP BY u."Status"
                    """, db, parametersCounts);
            }
        }
        else await Counts(c, json, $"""SELECT r."Status", count(*)::int FROM "Requests" AS r {whereAll} GROUP BY r."Status" """, db, parametersAll);
        json.Append("},\"vendors\":[");
        await Rows(c, json, """SELECT o."Id", o."Name" FROM "Organisations" AS o ORDER BY o."Name" """, db);
        return json.Append("]}").ToString();
    }

    private static (string Where, (string, object?)[] Parameters) QueueWhere(Database db, Dictionary<string, string> q, bool withStatus, string alias = "r")
    {
        var clauses = new List<string>();
        var ps = new List<(string, object?)>();
        if (withStatus && q.TryGetValue("statut", out var st)) { clauses.Add("r.\"Status\" = @st"); ps.Add(("st", st)); }
        if (q.TryGetValue("type", out var ty)) { clauses.Add("r.\"Type\" = @ty"); ps.Add(("ty", ty)); }
        if (q.TryGetValue("dispositif", out var sc)) { clauses.Add("r.\"SchemeCode\" = @sc"); ps.Add(("sc", sc)); }
        if (q.TryGetValue("fournisseur", out var f)) { clauses.Add("r.\"OrganisationId\" = @org"); ps.Add(("org", int.Parse(f, CultureInfo.InvariantCulture))); }
        if (q.TryGetValue("deposeDu", out var from)) { clauses.Add("r.\"DepositedAt\" >= @from"); ps.Add(("from", Instant(db, ParisStartUtc(DateOnly.Parse(from, CultureInfo.InvariantCulture))))); }
        if (q.TryGetValue("deposeAu", out var to)) { clauses.Add("r.\"DepositedAt\" < @to"); ps.Add(("to", Instant(db, ParisStartUtc(DateOnly.Parse(to, CultureInfo.InvariantCulture).AddDays(1))))); }
        if (q.TryGetValue("q", out var text))
        {
            clauses.Add(db.IsPostgres
                ? "(lower(r.\"Number\") LIKE @lower OR lower(r.\"VendorReference\") LIKE @lower OR r.\"ClientId\" = @q OR lower(r.\"ClientName\") LIKE @lower)"
                : "(instr(lower(r.\"Number\"), @lowerq) > 0 OR instr(lower(r.\"VendorReference\"), @lowerq) > 0 OR r.\"ClientId\" = @q OR instr(lower(r.\"ClientName\"), @lowerq) > 0)");
            ps.AddRange([("q", text), ("lower", $"%{text.ToLowerInvariant()}%"), ("lowerq", text.ToLowerInvariant())]);
        }
        if (q.ContainsKey("modifiee"))
        {
            clauses.Add("""r."LastModifiedByVendorAt" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "RequestViews" AS v WHERE v."UserId" = @user AND v."FundingRequestId" = r."Id" AND v."ViewedAt" >= r."LastModifiedByVendorAt")""");
            ps.Add(("user", q["user"]));
        }
        // « attribution » (QueueQuery.Filter): mine, or nobody's.
        if (q.TryGetValue("attribution", out var assigned))
        {
            clauses.Add(assigned == "moi" ? "r.\"AssignedToUserId\" = @assignee" : "r.\"AssignedToUserId\" IS NULL");
            if (assigned == "moi") ps.Add(("assignee", q["user"]));
        }
        if (q.ContainsKey("delaiDepasse"))
            clauses.Add("""r."Status" = 'EN_COURS' AND r."LastRoundOutcome" = 'Expired'""");
        var where = clauses.Count == 0 ? "" : "WHERE " + string.Join(" AND ", clauses);
        return (alias == "r" ? where : where.Replace("r.\"", alias + ".\"", StringComparison.Ordinal), ps.ToArray());
    }

    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private static DateTime ParisStartUtc(DateOnly day) => TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(TimeOnly.MinValue), Paris);

    private static object Instant(Database db, DateTime utc) =>
        db.IsPostgres ? utc : utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    private static async Task Rows(DbConnection c, StringBuilder json, string sql, Database db, params (string, object?)[] ps)
    {
        await using var cmd = Database.Command(c, Sql(db, sql), ps);
        await using var reader = await cmd.ExecuteReaderAsync();
        var first = true;
        while (await reader.ReadAsync())
        {
            if (!first) json.Append(',');
            first = false;
            json.Append('[');
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (i > 0) json.Append(',');
                json.Append('"').Append(Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)?.Replace("\"", "\\\"")).Append('"');
            }
            json.Append(']');
        }
    }

    private static async Task Counts(DbConnection c, StringBuilder json, string sql, Database db, params (string, object?)[] ps)
    {
        await using var cmd = Database.Command(c, Sql(db, sql), ps);
        await using var reader = await cmd.ExecuteReaderAsync();
        var first = true;
        while (await reader.ReadAsync())
        {
            if (!first) json.Append(',');
            first = false;
            json.Append('"').Append(reader.GetString(0)).Append("\":").Append(reader.GetInt32(1));
        }
    }

    // SQLite has no ::int cast; its parameters are written $name, which Microsoft.Data.Sqlite also accepts as @name.
    private static string Sql(Database db, string sql) => db.IsPostgres ? sql : sql.Replace("::int", "", StringComparison.Ordinal);
}
