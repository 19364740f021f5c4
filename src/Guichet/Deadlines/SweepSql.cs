using System.Data.Common;
using System.Text;
using Guichet.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Metadata;

// Every text below is built from constants and the model's table and column names; every value goes as a parameter.
#pragma warning disable EF1002, EF1003

namespace Guichet.Deadlines;

/// <summary>
/// The SQL of the set-based sweep, in one place: the due conditions, the guarded updates that return what they changed,
/// and multi-row inserts. Column names, converters and parameter types come from the EF model, so a row written here is
/// the row EF would write. One text runs on both providers (SQLite 3.35+ has UPDATE … FROM and RETURNING, as PostgreSQL),
/// but for the inserts, which PostgreSQL takes as one array per column (<see cref="UnnestInsert"/>).
/// Every statement runs in the caller's transaction: through EF (<c>ExecuteSqlRaw</c>) when it returns nothing, as a plain
/// command on the context's connection when it returns rows (<see cref="ReadAsync"/>).
/// </summary>
internal static class SweepSql
{
    /// <summary>J+10 is due on round <c>r</c> (what <c>FundingRequest.RecordReminderSent</c> checks on the loaded round).</summary>
    public const string ReminderDue = """r."ClosedAt" IS NULL AND r."ReminderSentAt" IS NULL AND r."ReminderDueAt" <= @now""";

    /// <summary>J+20 is due on round <c>r</c> (what <c>FundingRequest.CloseExpiredRound</c> checks on the loaded round).</summary>
    public const string ClosingDue = """r."ClosedAt" IS NULL AND r."ReminderSentAt" IS NOT NULL AND r."ClosingDueAt" <= @now""";

    /// <summary>
    /// The next <paramref name="take"/> due rounds after round <paramref name="after"/>, by id: (round, request) pairs. A plain
    /// command: composed through EF, this one query cost a sweep process about 0.3 s of query compilation (BENCHMARKS.md).
    /// </summary>
    public static async Task<List<(long Round, long Request)>> DueRoundsAsync(GuichetDbContext db, string due, DateTime now, long after,
        int take, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = $"""SELECT r."Id", r."FundingRequestId" FROM "Rounds" AS r WHERE {due} AND r."Id" > @after ORDER BY r."Id" LIMIT @take""";
            if (db.Database.GetCommandTimeout() is { } timeout) command.CommandTimeout = timeout;
            command.Parameters.Add(Now(db, now));
            command.Parameters.Add(AddParameter(command, "after", after));
            command.Parameters.Add(AddParameter(command, "take", take));
            var rows = new List<(long, long)>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetInt64(0), reader.GetInt64(1)));
            return rows;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static DbParameter AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        return parameter;
    }

    /// <summary>One row of a guarded update: the key, the values to write (one per column) and what the guard compares.</summary>
    public sealed record Row(long Key, object?[] Values, params object[] Guard);

    /// <summary>
    /// Writes <paramref name="columns"/> of the requests where the version is still the one read (<c>Guard[0]</c>) and
    /// the round read (<c>Guard[1]</c>) is still due; returns the ids written. A request changed meanwhile is left alone.
    /// </summary>
    public static Task<List<long>> UpdateRequestsAsync(GuichetDbContext db, IReadOnlyList<IProperty> columns, IReadOnlyList<Row> rows,
        string due, DateTime now, CancellationToken ct) =>
        UpdateAsync(db, "Requests", "q", columns, rows, ["read_version", "round_id"],
            $"""q."Version" = v."read_version" AND EXISTS (SELECT 1 FROM "Rounds" AS r WHERE r."Id" = v."round_id" AND r."FundingRequestId" = q."Id" AND {due})""",
            now, ct);

    /// <summary>Writes <paramref name="columns"/> of the rounds that are still due; returns the ids written.</summary>
    public static Task<List<long>> UpdateRoundsAsync(GuichetDbContext db, IReadOnlyList<IProperty> columns, IReadOnlyList<Row> rows,
        string due, DateTime now, CancellationToken ct) =>
        UpdateAsync(db, "Rounds", "r", columns, rows, [], due, now, ct);

    // WITH v(key, guards…, columns…) AS (VALUES …) UPDATE t SET col = v.col … FROM v WHERE t.Id = v.key AND guard RETURNING Id.
    private static async Task<List<long>> UpdateAsync(GuichetDbContext db, string table, string alias, IReadOnlyList<IProperty> columns,
        IReadOnlyList<Row> rows, string[] guardNames, string guard, DateTime now, CancellationToken ct)
    {
        if (rows.Count == 0) return [];
        var factory = db.Database.GetDbConnection().CreateCommand();
        var parameters = new List<object> { Now(db, now) };
        var names = new[] { "k" }.Concat(guardNames).Concat(columns.Select((_, i) => "c" + i)).Select(n => $"\"{n}\"");
        var values = new StringBuilder();
        foreach (var row in rows)
        {
            values.Append(values.Length == 0 ? "(" : ", (");
            values.Append(AddRaw(parameters, factory, row.Key));
            foreach (var g in row.Guard) values.Append(", ").Append(AddRaw(parameters, factory, g));
            for (var i = 0; i < columns.Count; i++) values.Append(", ").Append(Add(parameters, factory, columns[i], row.Values[i]));
            values.Append(')');
        }
        var set = string.Join(", ", columns.Select((c, i) => $"\"{c.GetColumnName()}\" = v.\"c{i}\""));
        var sql = $"""
            WITH v({string.Join(", ", names)}) AS (VALUES {values})
            UPDATE "{table}" AS {alias} SET {set}
            FROM v WHERE {alias}."Id" = v."k" AND {guard}
            RETURNING "Id" AS "Value"
            """;
        return await ReadAsync(db, sql, parameters, r => r.GetInt64(0), ct);
    }

    /// <summary>Deletes the given rows of <typeparamref name="T"/> by key (the closing's dropped draft documents).</summary>
    public static Task<int> DeleteAsync<T>(GuichetDbContext db, IReadOnlyCollection<object> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return Task.FromResult(0);
        var type = db.Model.FindEntityType(typeof(T))!;
        var key = type.FindPrimaryKey()!.Properties[0];
        var factory = db.Database.GetDbConnection().CreateCommand();
        var parameters = new List<object>();
        var list = string.Join(", ", keys.Select(k => Add(parameters, factory, key, k)));
        return db.Database.ExecuteSqlRawAsync($"""DELETE FROM "{type.GetTableName()}" WHERE "{key.GetColumnName()}" IN ({list})""", parameters, ct);
    }

    /// <summary>
    /// Inserts <paramref name="entities"/> as EF would (every mapped column but a generated key), by slices of multi-row
    /// INSERTs; <paramref name="value"/> may replace a column's value (a foreign key EF would have fixed up).
    /// </summary>
    public static async Task InsertAsync<T>(GuichetDbContext db, IReadOnlyList<T> entities, Func<T, IProperty, object?, object?>? value,
        CancellationToken ct) where T : class
    {
        foreach (var (sql, parameters) in Inserts(db, entities, value))
            await db.Database.ExecuteSqlRawAsync(sql, parameters, ct);
    }

    /// <summary>The same, returning <paramref name="returning"/> of every row, each read by <paramref name="read"/>.</summary>
    public static async Task<List<TRow>> InsertReturningAsync<T, TRow>(GuichetDbContext db, IReadOnlyList<T> entities,
        Func<T, IProperty, object?, object?>? value, string returning, Func<DbDataReader, TRow> read, CancellationToken ct) where T : class
    {
        var rows = new List<TRow>();
        foreach (var (sql, parameters) in Inserts(db, entities, value))
            rows.AddRange(await ReadAsync(db, sql + " RETURNING " + returning, parameters, read, ct));
        return rows;
    }

    /// <summary>
    /// Runs a statement that returns rows on the context's connection, in its transaction, and reads them. A plain command,
    /// not <c>SqlQueryRaw</c>: these texts change with each batch (rows, shared values), and EF would compile and cache a
    /// query for every one of them.
    /// </summary>
    private static async Task<List<TRow>> ReadAsync<TRow>(GuichetDbContext db, string sql, List<object> parameters,
        Func<DbDataReader, TRow> read, CancellationToken ct)
    {
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("Les écritures des échéances se font dans une transaction.");
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText = sql;
        if (db.Database.GetCommandTimeout() is { } timeout) command.CommandTimeout = timeout;
        foreach (var parameter in parameters) command.Parameters.Add(parameter);
        var rows = new List<TRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(read(reader));
        return rows;
    }

    private static IEnumerable<(string Sql, List<object> Parameters)> Inserts<T>(GuichetDbContext db, IReadOnlyList<T> entities,
        Func<T, IProperty, object?, object?>? value) where T : class
    {
        if (entities.Count == 0) yield break;
        var type = db.Model.FindEntityType(typeof(T))!;
        var columns = type.GetProperties().Where(p => !(p.IsPrimaryKey() && p.ValueGenerated == ValueGenerated.OnAdd)).ToList();
        var into = $"""INSERT INTO "{type.GetTableName()}" ({string.Join(", ", columns.Select(c => $"\"{c.GetColumnName()}\""))}) """;
        if (UnnestInsert(db, into, columns, entities, value) is { } unnest)
        {
            yield return unnest;
            yield break;
        }
        var head = into + "VALUES ";
        var factory = db.Database.GetDbConnection().CreateCommand();
        // A value repeated down a column (the same instant, actor, status, event…) goes as one parameter, so a slice holds
        // up to 1 000 rows within about 2 000 parameters: well under both providers' limits, and a plan PostgreSQL parses quickly.
        var parameters = new List<object>();
        var shared = new Dictionary<(int Column, object? Stored, object? Flavour), string>();
        var rows = new List<string>();
        foreach (var entity in entities)
        {
            if (parameters.Count + columns.Count > 2000 || rows.Count == 1000)
            {
                yield return (head + string.Join(", ", rows), parameters);
                (parameters, rows) = ([], []);
                shared.Clear();
            }
            rows.Add("(" + string.Join(", ", columns.Select((c, i) =>
            {
                var v = c.GetGetter().GetClrValue(entity);
                if (value is not null) v = value(entity, c, v);
                // Compared as stored (a list as its JSON text), and only when that is immutable.
                var stored = c.GetTypeMapping().Converter is { } converter ? converter.ConvertToProvider(v) : v;
                if (stored is not (null or string or ValueType)) return Add(parameters, factory, c, v);
                // Equal is not enough for instants: two DateTimes of other kinds, two DateTimeOffsets of other offsets are equal.
                var key = (i, stored, stored switch { DateTime d => d.Kind, DateTimeOffset o => o.Offset, _ => (object?)null });
                if (!shared.TryGetValue(key, out var name)) shared[key] = name = Add(parameters, factory, c, v);
                return name;
            })) + ")");
        }
        yield return (head + string.Join(", ", rows), parameters);
    }

    /// <summary>
    /// On PostgreSQL, all the rows in one statement of one array per column (<c>SELECT * FROM unnest(…)</c>): a dozen
    /// parameters to bind instead of thousands (docs/architecture.md#echeances). Values as EF writes them (converters
    /// applied); null when a column's type is not one <see cref="ArrayType"/> knows, and the caller writes VALUES rows.
    /// </summary>
    private static (string Sql, List<object> Parameters)? UnnestInsert<T>(GuichetDbContext db, string into, IReadOnlyList<IProperty> columns,
        IReadOnlyList<T> entities, Func<T, IProperty, object?, object?>? value) where T : class
    {
        if (db.Database.GetDbConnection() is not Npgsql.NpgsqlConnection) return null;
        var parameters = new List<object>();
        foreach (var column in columns)
        {
            var mapping = column.GetRelationalTypeMapping();
            var clr = Nullable.GetUnderlyingType(mapping.Converter?.ProviderClrType ?? mapping.ClrType) ?? mapping.Converter?.ProviderClrType ?? mapping.ClrType;
            if (ArrayType(clr, mapping.StoreType) is not { } element) return null;
            var values = Array.CreateInstance(clr.IsValueType ? typeof(Nullable<>).MakeGenericType(clr) : clr, entities.Count);
            for (var i = 0; i < entities.Count; i++)
            {
                var v = column.GetGetter().GetClrValue(entities[i]);
                if (value is not null) v = value(entities[i], column, v);
                values.SetValue(mapping.Converter is { } converter && v is not null ? converter.ConvertToProvider(v) : v, i);
            }
            parameters.Add(new Npgsql.NpgsqlParameter("p" + parameters.Count, NpgsqlTypes.NpgsqlDbType.Array | element) { Value = values });
        }
        return (into + $"SELECT * FROM unnest({string.Join(", ", parameters.Select((_, i) => "@p" + i))})", parameters);
    }

    // The element type of a column's array, from its provider type and its store type; null for any other.
    private static NpgsqlTypes.NpgsqlDbType? ArrayType(Type clr, string storeType) => clr switch
    {
        // text[] into a text or varchar column (the usual assignment cast); json, inet… have no cast from text: VALUES rows.
        _ when clr == typeof(string) && (storeType == "text" || storeType.StartsWith("character varying", StringComparison.Ordinal)) =>
            NpgsqlTypes.NpgsqlDbType.Text,
        _ when clr == typeof(long) => NpgsqlTypes.NpgsqlDbType.Bigint,
        _ when clr == typeof(int) => NpgsqlTypes.NpgsqlDbType.Integer,
        _ when clr == typeof(bool) => NpgsqlTypes.NpgsqlDbType.Boolean,
        _ when clr == typeof(Guid) => NpgsqlTypes.NpgsqlDbType.Uuid,
        _ when clr == typeof(decimal) => NpgsqlTypes.NpgsqlDbType.Numeric,
        _ when clr == typeof(DateTime) && storeType == "timestamp with time zone" => NpgsqlTypes.NpgsqlDbType.TimestampTz,
        _ => null,
    };

    private static string Add(List<object> parameters, DbCommand factory, IProperty property, object? value)
    {
        var name = "p" + parameters.Count;
        parameters.Add(property.GetRelationalTypeMapping().CreateParameter(factory, name, value, property.IsNullable));
        return "@" + name;
    }

    private static string AddRaw(List<object> parameters, DbCommand factory, object value)
    {
        var p = factory.CreateParameter();
        p.ParameterName = "p" + parameters.Count;
        p.Value = value;
        parameters.Add(p);
        return "@" + p.ParameterName;
    }

    // @now, typed as the rounds' due dates are (SQLite compares them as text, PostgreSQL as timestamptz).
    private static DbParameter Now(GuichetDbContext db, DateTime now) =>
        db.Model.FindEntityType(typeof(Domain.ModificationRound))!.FindProperty(nameof(Domain.ModificationRound.ReminderDueAt))!
            .GetRelationalTypeMapping().CreateParameter(db.Database.GetDbConnection().CreateCommand(), "now", now, nullable: false);
}
