using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Guichet.Bench;

/// <summary>
/// The « référence nue » of the deadline sweep: the statements src/Guichet/Deadlines/SweepSql.cs and Requests/SystemBatch.cs
/// send for the J+10 reminders (copied here: the bench does not reference the portal; on PostgreSQL the inserts are one
/// statement of one array per column, as the portal's), run with ADO.NET alone, by the same
/// batches of 500, in one transaction rolled back at the end so the portal's sweep then finds the same due rounds.
/// </summary>
public static class SweepSql
{
    public const int BatchSize = 500;
    private const string ReminderDue = """r."ClosedAt" IS NULL AND r."ReminderSentAt" IS NULL AND r."ReminderDueAt" <= @now""";
    private const string ClosingDue = """r."ClosedAt" IS NULL AND r."ReminderSentAt" IS NOT NULL AND r."ClosingDueAt" <= @now""";

    public static async Task<(int Reminders, TimeSpan Elapsed)> BareAsync(Database db, DateTime now)
    {
        var sw = Stopwatch.StartNew();
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        object at = db.IsPostgres ? now : now.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
        long after = 0;
        var done = 0;
        while (true)
        {
            var ids = await Pairs(c, tx, $"""SELECT r."Id", r."FundingRequestId" FROM "Rounds" AS r WHERE {ReminderDue} AND r."Id" > @after ORDER BY r."Id" LIMIT {BatchSize}""",
                ("now", at), ("after", after));
            if (ids.Count == 0) break;
            after = ids[^1].A;
            var requestIds = ids.Select(i => i.B).Distinct().ToList();
            var inList = string.Join(", ", requestIds);
            // The load: requests, their open round, the organisations' recipients.
            var requests = new Dictionary<long, (int Version, int Org, string Number, string Reference, string Client)>();
            await using (var cmd = Cmd(c, tx, $"""SELECT "Id", "Version", "OrganisationId", "Number", "VendorReference", "ClientName" FROM "Requests" WHERE "Id" IN ({inList})"""))
            await using (var rd = await cmd.ExecuteReaderAsync())
                while (await rd.ReadAsync()) requests[rd.GetInt64(0)] = (rd.GetInt32(1), rd.GetInt32(2), rd.GetString(3), rd.GetString(4), rd.GetString(5));
            var rounds = new Dictionary<long, (long Id, string Comment, DateTime ClosingDueAt)>();
            await using (var cmd = Cmd(c, tx, $"""SELECT "FundingRequestId", "Id", "Comment", "ClosingDueAt" FROM "Rounds" WHERE "FundingRequestId" IN ({inList}) AND "ClosedAt" IS NULL"""))
            await using (var rd = await cmd.ExecuteReaderAsync())
                while (await rd.ReadAsync()) rounds[rd.GetInt64(0)] = (rd.GetInt64(1), rd.GetString(2), rd.GetDateTime(3));
            var orgs = requests.Values.Select(r => r.Org).Distinct().Order().ToList();
            var recipients = new Dictionary<int, List<string>>();
            await using (var cmd = Cmd(c, tx, $"""SELECT "OrganisationId", "Email" FROM "AspNetUsers" WHERE "OrganisationId" IN ({string.Join(", ", orgs)}) AND "IsActive" AND "Email" IS NOT NULL"""))
            await using (var rd = await cmd.ExecuteReaderAsync())
                while (await rd.ReadAsync()) (recipients.TryGetValue(rd.GetInt32(0), out var l) ? l : recipients[rd.GetInt32(0)] = []).Add(rd.GetString(1));

            // The writes, as the portal: position locks, guarded updates, inserts.
            await Advance(c, tx, orgs.Select(org => (org, 0L)).ToList());
            var todo = requestIds.Where(id => requests.ContainsKey(id) && rounds.ContainsKey(id)).ToList();
            var p = new List<(string, object?)> { ("now", at) };
            var values = string.Join(", ", todo.Select(id => $"({Add(p, id)}, {Add(p, requests[id].Version)}, {Add(p, rounds[id].Id)}, {Add(p, requests[id].Version + 1)})"));
            var won = (await Pairs(c, tx, $"""
                WITH v("k", "read_version", "round_id", "c0") AS (VALUES {values})
                UPDATE "Requests" AS q SET "Version" = v."c0" FROM v
                WHERE q."Id" = v."k" AND q."Version" = v."read_version" AND EXISTS (SELECT 1 FROM "Rounds" AS r WHERE r."Id" = v."round_id" AND r."FundingRequestId" = q."Id" AND {ReminderDue})
                RETURNING "Id", "Id"
                """, [.. p])).Select(x => x.A).ToList();
            p = [("now", at)];
            values = string.Join(", ", won.Select(id => $"({Add(p, rounds[id].Id)}, {Add(p, db.IsPostgres ? now : at)}, {Add(p, db.IsPostgres ? rounds[id].ClosingDueAt : At(rounds[id].ClosingDueAt))})"));
            await Pairs(c, tx, $"""
                WITH v("k", "c0", "c1") AS (VALUES {values})
                UPDATE "Rounds" AS r SET "ReminderSentAt" = v."c0", "ClosingDueAt" = v."c1" FROM v WHERE r."Id" = v."k" AND {ReminderDue}
                RETURNING "Id", "Id"
                """, [.. p]);
            await Insert(c, tx, "History", ["FundingRequestId", "At", "ActorName", "ActorRole", "ActorUserId", "Event", "FromStatus", "ToStatus", "Comment", "Changes", "DocumentsAdded"],
                won.Select(id => new object?[] { id, at, "Système", "Système", null, "Relance envoyée (J+10)", "A_MODIFIER", "A_MODIFIER", null, "[]", "[]" }).ToList());
            await Insert(c, tx, "OutboxMessages", ["MessageId", "Kind", "FundingRequestId", "Recipients", "Subject", "HtmlBody", "TextBody", "CreatedAt", "Attempts", "NextAttemptAt"],
                won.Where(id => recipients.ContainsKey(requests[id].Org)).Select(id =>
                {
                    var (html, text) = Mail(requests[id].Number, requests[id].Reference, requests[id].Client, rounds[id].Comment);
                    return new object?[] { $"{Guid.NewGuid():N}@guichet.segur-numerique", "Reminder", id, string.Join(",", recipients[requests[id].Org]),
                        $"Relance : demande {requests[id].Number} à modifier", html, text, at, 0, at };
                }).ToList());
            var groups = won.GroupBy(id => requests[id].Org).ToDictionary(g => g.Key, g => (long)g.Count());
            var positions = (await Advance(c, tx, groups.Select(g => (g.Key, g.Value)).ToList())).ToDictionary(x => x.Key, x => x.Value - groups[x.Key]);
            await Insert(c, tx, "Evenements", ["OrganisationId", "Position", "Type", "RequestNumber", "VendorReference", "FromStatus", "ToStatus", "At", "Details"],
                won.Select(id => new object?[] { requests[id].Org, ++positions[requests[id].Org], "demande.relance", requests[id].Number, requests[id].Reference,
                    "A_MODIFIER", "A_MODIFIER", at, $$"""{"commentaire":"{{rounds[id].Comment}}","elements":["contactSupport"]}""" }).ToList(), returning: true);
            done += won.Count;
        }
        // The closing pass finds nothing here (no round was reminded before), as in the portal's sweep.
        await Pairs(c, tx, $"""SELECT r."Id", r."FundingRequestId" FROM "Rounds" AS r WHERE {ClosingDue} AND r."Id" > 0 ORDER BY r."Id" LIMIT {BatchSize}""", ("now", at));
        var elapsed = sw.Elapsed;
        await tx.RollbackAsync();
        return (done, elapsed);
    }

    private static object At(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    // An e-mail about the size of the portal's « Relance » (HTML and text).
    private static (string Html, string Text) Mail(string number, string reference, string client, string comment)
    {
        var text = $"Nous vous rappelons que votre demande d'avance {number} (référence {reference}, client {client}) est au statut « A modifier ».\n"
            + $"Commentaire du gestionnaire : {comment}\nÉléments à modifier : Contact support\n"
            + "Date limite : passé ce délai, vous n'aurez plus la possibilité de modifier votre demande : elle repassera au statut « en cours » et sera instruite en l'état, au risque d'être rejetée.\n";
        var html = new StringBuilder("<!DOCTYPE html><html lang=\"fr\"><body style=\"font-family:Marianne,Arial,sans-serif\">");
        foreach (var line in text.Split('\n')) html.Append("<p style=\"margin:0 0 12px\">").Append(System.Net.WebUtility.HtmlEncode(line)).Append("</p>");
        return (html.Append("<p><a href=\"/demandes/").Append(number).Append("\">Consulter la demande sur le Guichet</a></p></body></html>").ToString(), text);
    }

    private static string Add(List<(string, object?)> p, object? value)
    {
        p.Add(("p" + p.Count, value));
        return "@p" + (p.Count - 1);
    }

    private static async Task Insert(DbConnection c, DbTransaction tx, string table, string[] columns, List<object?[]> rows, bool returning = false)
    {
        if (c is Npgsql.NpgsqlConnection && rows.Count > 0)
        {
            // As the portal on PostgreSQL: one array per column, SELECT * FROM unnest(…).
            await using var cmd = Cmd(c, tx, $"""INSERT INTO "{table}" ({string.Join(", ", columns.Select(x => $"\"{x}\""))}) SELECT * FROM unnest({string.Join(", ", columns.Select((_, i) => "@a" + i))})"""
                + (returning ? """ RETURNING "Id", "Id" """ : ""));
            for (var i = 0; i < columns.Length; i++)
            {
                var sample = rows.Select(r => r[i]).FirstOrDefault(v => v is not null);
                var (type, element) = sample switch
                {
                    long => (typeof(long?), NpgsqlTypes.NpgsqlDbType.Bigint),
                    int => (typeof(int?), NpgsqlTypes.NpgsqlDbType.Integer),
                    DateTime => (typeof(DateTime?), NpgsqlTypes.NpgsqlDbType.TimestampTz),
                    _ => (typeof(string), NpgsqlTypes.NpgsqlDbType.Text),
                };
                var values = Array.CreateInstance(type, rows.Count);
                for (var r = 0; r < rows.Count; r++) values.SetValue(rows[r][i], r);
                cmd.Parameters.Add(new Npgsql.NpgsqlParameter("a" + i, NpgsqlTypes.NpgsqlDbType.Array | element) { Value = values });
            }
            if (returning)
            {
                await using var rd = await cmd.ExecuteReaderAsync();
                while (await rd.ReadAsync()) { }
            }
            else await cmd.ExecuteNonQueryAsync();
            return;
        }
        foreach (var slice in rows.Chunk(Math.Max(1, 2000 / columns.Length)))
        {
            var p = new List<(string, object?)>();
            var values = string.Join(", ", slice.Select(r => "(" + string.Join(", ", r.Select(v => Add(p, v))) + ")"));
            var sql = $"""INSERT INTO "{table}" ({string.Join(", ", columns.Select(x => $"\"{x}\""))}) VALUES {values}""";
            if (returning) await Pairs(c, tx, sql + """ RETURNING "Id", "Id" """, [.. p]);
            else await Exec(c, tx, sql, [.. p]);
        }
    }

    // The organisations' position counters, one upsert in ascending order (as Data/EventJournal.cs): the locks, then the positions.
    private static async Task<Dictionary<int, long>> Advance(DbConnection c, DbTransaction tx, List<(int Org, long Count)> counters)
    {
        var last = new Dictionary<int, long>();
        foreach (var slice in counters.OrderBy(x => x.Org).Chunk(500))
        {
            var p = new List<(string, object?)>();
            var values = string.Join(", ", slice.Select(x => $"({Add(p, $"evenements:{x.Org}")}, {Add(p, x.Count)})"));
            await using var cmd = Cmd(c, tx, $"""
                INSERT INTO "Sequences" ("Key", "Value") VALUES {values}
                ON CONFLICT ("Key") DO UPDATE SET "Value" = "Sequences"."Value" + excluded."Value" RETURNING "Key", "Value"
                """, [.. p]);
            await using var rd = await cmd.ExecuteReaderAsync();
            while (await rd.ReadAsync()) last[int.Parse(rd.GetString(0)["evenements:".Length..], CultureInfo.InvariantCulture)] = Convert.ToInt64(rd.GetValue(1), CultureInfo.InvariantCulture);
        }
        return last;
    }

    private static DbCommand Cmd(DbConnection c, DbTransaction tx, string sql, params (string, object?)[] parameters)
    {
        var cmd = Database.Command(c, sql, parameters);
        cmd.Transaction = tx;
        return cmd;
    }

    private static async Task Exec(DbConnection c, DbTransaction tx, string sql, params (string, object?)[] parameters)
    {
        await using var cmd = Cmd(c, tx, sql, parameters);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<List<(long A, long B)>> Pairs(DbConnection c, DbTransaction tx, string sql, params (string, object?)[] parameters)
    {
        await using var cmd = Cmd(c, tx, sql, parameters);
        await using var rd = await cmd.ExecuteReaderAsync();
        var list = new List<(long, long)>();
        while (await rd.ReadAsync()) list.Add((rd.GetInt64(0), rd.GetInt64(1)));
        return list;
    }
}
