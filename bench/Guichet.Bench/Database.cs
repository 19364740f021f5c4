using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Guichet.Bench;

public enum Col { Int, Long, Text, Timestamp, Date, Money, Uuid, Bool }

/// <summary>The bench's raw access to the portal's database: bulk writers (binary COPY on PostgreSQL, prepared inserts on SQLite) and plain queries.</summary>
public sealed class Database(string provider, string connectionString)
{
    public string Provider { get; } = provider;
    public string ConnectionString { get; } = connectionString;
    public bool IsPostgres => Provider == "Postgres";

    public async Task<DbConnection> OpenAsync()
    {
        DbConnection c = IsPostgres ? new NpgsqlConnection(ConnectionString) : new SqliteConnection(ConnectionString);
        await c.OpenAsync();
        return c;
    }

    public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var c = await OpenAsync();
        await using var cmd = Command(c, sql, parameters);
        return await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var c = await OpenAsync();
        await using var cmd = Command(c, sql, parameters);
        var v = await cmd.ExecuteScalarAsync();
        return (T)Convert.ChangeType(v!, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of every row, as text.</summary>
    public async Task<List<string>> ListAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var c = await OpenAsync();
        await using var cmd = Command(c, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync()) list.Add(reader.GetValue(0).ToString()!);
        return list;
    }

    public static DbCommand Command(DbConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 600;
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    /// <summary>A bulk writer for one table; rows are written in column order with the portal's storage formats.</summary>
    public async Task<TableWriter> WriterAsync(string table, params (string Name, Col Type)[] columns)
    {
        var c = await OpenAsync();
        var names = string.Join(", ", columns.Select(x => $"\"{x.Name}\""));
        if (IsPostgres)
        {
            var importer = await ((NpgsqlConnection)c).BeginBinaryImportAsync($"COPY \"{table}\" ({names}) FROM STDIN (FORMAT BINARY)");
            return new PostgresWriter(c, importer, columns);
        }
        var tx = (SqliteTransaction)await c.BeginTransactionAsync();
        var cmd = (SqliteCommand)c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"INSERT INTO \"{table}\" ({names}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
        for (var i = 0; i < columns.Length; i++) cmd.Parameters.Add(new SqliteParameter("$p" + i, null));
        cmd.Prepare();
        return new SqliteWriter(c, tx, cmd, columns);
    }

    /// <summary>After explicit ids were copied in, moves the identity sequence past them (PostgreSQL only).</summary>
    public async Task ResetIdentityAsync(string table)
    {
        if (!IsPostgres) return;
        await ExecuteAsync($"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'Id'), GREATEST((SELECT max(\"Id\") FROM \"{table}\"), 1))");
    }

    public abstract class TableWriter(DbConnection connection, (string Name, Col Type)[] columns) : IAsyncDisposable
    {
        protected DbConnection Connection { get; } = connection;
        protected (string Name, Col Type)[] Columns { get; } = columns;
        public long Rows { get; protected set; }
        public abstract ValueTask RowAsync(params object?[] values);
        public abstract ValueTask CompleteAsync();
        public virtual async ValueTask DisposeAsync() => await Connection.DisposeAsync();
    }

    private sealed class PostgresWriter(DbConnection c, NpgsqlBinaryImporter importer, (string Name, Col Type)[] columns) : TableWriter(c, columns)
    {
        public override async ValueTask RowAsync(params object?[] values)
        {
            await importer.StartRowAsync();
            for (var i = 0; i < values.Length; i++)
            {
                var v = values[i];
                if (v is null) { await importer.WriteNullAsync(); continue; }
                switch (Columns[i].Type)
                {
                    case Col.Int: await importer.WriteAsync((int)v, NpgsqlDbType.Integer); break;
                    case Col.Long: await importer.WriteAsync((long)v, NpgsqlDbType.Bigint); break;
                    case Col.Text: await importer.WriteAsync((string)v, NpgsqlDbType.Text); break;
                    case Col.Timestamp: await importer.WriteAsync((DateTime)v, NpgsqlDbType.TimestampTz); break;
                    case Col.Date: await importer.WriteAsync((DateOnly)v, NpgsqlDbType.Date); break;
                    case Col.Money: await importer.WriteAsync((decimal)v, NpgsqlDbType.Numeric); break;
                    case Col.Uuid: await importer.WriteAsync((Guid)v, NpgsqlDbType.Uuid); break;
                    case Col.Bool: await importer.WriteAsync((bool)v, NpgsqlDbType.Boolean); break;
                }
            }
            Rows++;
        }

        public override async ValueTask CompleteAsync() => await importer.CompleteAsync();

        public override async ValueTask DisposeAsync()
        {
            await importer.DisposeAsync();
            await base.DisposeAsync();
        }
    }

    // EF Core's SQLite formats: instants as 'yyyy-MM-dd HH:mm:ss.FFFFFFF', dates as 'yyyy-MM-dd', GUIDs as upper-case text, amounts in cents (the portal's converter).
    private sealed class SqliteWriter(DbConnection c, SqliteTransaction tx, SqliteCommand cmd, (string Name, Col Type)[] columns) : TableWriter(c, columns)
    {
        public override async ValueTask RowAsync(params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                var v = values[i];
                cmd.Parameters[i].Value = v is null ? DBNull.Value : Columns[i].Type switch
                {
                    Col.Timestamp => ((DateTime)v).ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
                    Col.Date => ((DateOnly)v).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    Col.Money => (long)((decimal)v * 100m),
                    Col.Uuid => ((Guid)v).ToString().ToUpperInvariant(),
                    Col.Bool => (bool)v ? 1 : 0,
                    _ => v,
                };
            }
            await cmd.ExecuteNonQueryAsync();
            Rows++;
        }

        public override async ValueTask CompleteAsync() => await tx.CommitAsync();

        public override async ValueTask DisposeAsync()
        {
            await cmd.DisposeAsync();
            await tx.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
