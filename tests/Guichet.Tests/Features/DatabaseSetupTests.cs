using Guichet.Data;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace Guichet.Tests.Features;

/// <summary>
/// The database as the portal sets it up, on each provider: migrations that describe the model the code builds (an index or
/// a column changed in a configuration without its migration would reach no database), the indexes the workers rely on,
/// the connection's settings.
/// </summary>
public abstract class DatabaseSetupTests(GuichetApp app)
{
    [Fact]
    public async Task The_migrations_hold_every_change_of_the_model()
    {
        Assert.False(await app.Db(db => Task.FromResult(db.Database.HasPendingModelChanges())),
            "Le modèle a changé sans migration : dotnet ef migrations add, pour chaque fournisseur.");
        Assert.Empty(await app.Db(async db => (await db.Database.GetPendingMigrationsAsync()).ToList()));
    }

    [Fact]
    public async Task The_outbox_keeps_its_unsent_messages_in_a_filtered_index_in_due_order()
    {
        // docs/architecture.md#e-mails: a claim reads a batch's worth of this index, not every unsent row.
        var definition = await app.Db(db => db.Database.SqlQueryRaw<string>(db.Database.IsNpgsql()
            ? "SELECT indexdef AS \"Value\" FROM pg_indexes WHERE indexname = 'IX_OutboxMessages_Unsent'"
            : "SELECT sql AS \"Value\" FROM sqlite_master WHERE type = 'index' AND name = 'IX_OutboxMessages_Unsent'").SingleAsync());
        Assert.Matches("(?i)\\(\"?NextAttemptAt\"?, \"?Id\"?\\) WHERE \\(?\"?SentAt\"? IS NULL\\)?", definition);
    }
}

public sealed class DatabaseSetupTestsOnSqlite(SqliteApp app) : DatabaseSetupTests(app), IClassFixture<SqliteApp>;

public sealed class DatabaseSetupTestsOnPostgres(PostgresApp app, PostgresFixture postgres) : DatabaseSetupTests(app), IClassFixture<PostgresApp>
{
    [Fact]
    public async Task An_operator_who_built_the_lower_case_trigram_indexes_beforehand_can_still_migrate()
    {
        // docs/exploitation.md « Migrations »: on a large table the operator builds the two indexes CONCURRENTLY, then runs migrate.
        var connection = await postgres.CreateDatabaseAsync();
        await using var db = new PostgresGuichetDbContext(new DbContextOptionsBuilder<PostgresGuichetDbContext>().UseNpgsql(connection).Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261130223936_RequestsFillFactor");
        await db.Database.ExecuteSqlRawAsync(
            """CREATE INDEX CONCURRENTLY IF NOT EXISTS "IX_Requests_Number_Lower_Trgm" ON "Requests" USING gin (lower("Number") gin_trgm_ops)""");
        await db.Database.ExecuteSqlRawAsync(
            """CREATE INDEX CONCURRENTLY IF NOT EXISTS "IX_Requests_VendorReference_Lower_Trgm" ON "Requests" USING gin (lower("VendorReference") gin_trgm_ops)""");

        await migrator.MigrateAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        var trigram = await db.Database.SqlQueryRaw<string>(
            "SELECT indexname AS \"Value\" FROM pg_indexes WHERE tablename = 'Requests' AND indexdef LIKE '%gin_trgm_ops%' ORDER BY indexname").ToListAsync();
        Assert.Equal(["IX_Requests_ClientName_Lower_Trgm", "IX_Requests_Number_Lower_Trgm", "IX_Requests_VendorReference_Lower_Trgm"], trigram);
        // Built CONCURRENTLY beforehand and kept as they were: every index of the table valid, none left half-built.
        Assert.Equal(0, await db.Database.SqlQueryRaw<int>(
            "SELECT count(*)::int AS \"Value\" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            + "WHERE i.indrelid = '\"Requests\"'::regclass AND NOT i.indisvalid").SingleAsync());
    }

    [Fact]
    public async Task The_requests_table_leaves_room_on_its_pages_for_updates_that_touch_no_index()
    {
        // docs/architecture.md « Performances »: the J+10 reminder's version bump stays on its page (a HOT update).
        var options = await app.Db(db => db.Database.SqlQueryRaw<string>(
            "SELECT array_to_string(reloptions, ',') AS \"Value\" FROM pg_class WHERE relname = 'Requests' AND relkind = 'r'").SingleAsync());
        Assert.Contains("fillfactor=90", options);
    }

    [Fact]
    public async Task A_connection_goes_back_to_the_pool_without_a_reset_unless_the_operator_asks_for_one()
    {
        var connection = await app.Db(db => Task.FromResult(db.Database.GetConnectionString()!));
        Assert.True(new Npgsql.NpgsqlConnectionStringBuilder(connection).NoResetOnClose);
        Assert.False(new Npgsql.NpgsqlConnectionStringBuilder(
            Guichet.Data.DatabaseSetup.Tuned("Host=127.0.0.1;Database=x;No Reset On Close=false")).NoResetOnClose);
        Assert.False(new Npgsql.NpgsqlConnectionStringBuilder(
            Guichet.Data.DatabaseSetup.Tuned("Host=127.0.0.1;Database=x;noresetonclose=false")).NoResetOnClose);
    }

    [Fact]
    public async Task A_statement_run_again_and_again_is_prepared_once_unless_the_operator_turns_preparing_off()
    {
        // docs/architecture.md « Performances »: PostgreSQL no longer parses and plans the portal's hot statements every time.
        var prepared = await app.Db(async db =>
        {
            await db.Database.OpenConnectionAsync();
            try
            {
                for (var i = 0; i < 8; i++) await db.Organisations.AsNoTracking().Where(o => o.Id > i).Select(o => o.Id).FirstOrDefaultAsync();
                return await db.Database.SqlQueryRaw<string>(
                    "SELECT statement AS \"Value\" FROM pg_prepared_statements WHERE statement LIKE '%Organisations%'").ToListAsync();
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        });
        Assert.NotEmpty(prepared);
        Assert.Equal(Guichet.Data.DatabaseSetup.AutoPreparedStatements,
            new Npgsql.NpgsqlConnectionStringBuilder(await app.Db(db => Task.FromResult(db.Database.GetConnectionString()!))).MaxAutoPrepare);
        Assert.Equal(0, new Npgsql.NpgsqlConnectionStringBuilder(
            Guichet.Data.DatabaseSetup.Tuned("Host=127.0.0.1;Database=x;Max Auto Prepare=0")).MaxAutoPrepare);
        Assert.Equal(0, new Npgsql.NpgsqlConnectionStringBuilder(
            Guichet.Data.DatabaseSetup.Tuned("Host=127.0.0.1;Database=x;maxautoprepare=0")).MaxAutoPrepare);
    }

    [Fact]
    public async Task The_search_trigram_indexes_hold_lower_case_columns_so_that_exact_lookups_keep_the_unique_indexes()
    {
        // docs/architecture.md « Performances »: pg_trgm answers « = » too, and the planner took a trigram index on the bare
        // column for « "Number" = ANY(…) » (2.9 s for 500 numbers instead of 6 ms on 100 000 requests).
        var trigram = await app.Db(db => db.Database.SqlQueryRaw<string>(
            "SELECT indexdef AS \"Value\" FROM pg_indexes WHERE tablename = 'Requests' AND indexdef LIKE '%gin_trgm_ops%'").ToListAsync());
        Assert.Equal(3, trigram.Count);
        Assert.All(trigram, definition => Assert.Contains("USING gin (lower((", definition));

        // The plans, sequential scans off (a test table is small enough for them): the search the portal sends goes through
        // the trigram indexes, the exact lookups by number or reference never do.
        var (search, exact) = await app.Db(async db =>
        {
            var query = Guichet.Requests.RequestQuery.MatchingText(db.Requests, "agp-Demo").Select(r => r.Id).ToQueryString();
            await db.Database.OpenConnectionAsync();
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync();
                await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
                var exact = new List<string>();
                foreach (var sql in new[]
                {
                    "SELECT \"Id\" FROM \"Requests\" WHERE \"Number\" = ANY(ARRAY['SAS-A-2026-000001', 'SAS-A-2026-000002'])",
                    "SELECT \"Id\" FROM \"Requests\" WHERE \"VendorReference\" = ANY(ARRAY['AGP-DEMO-0001', 'AGP-DEMO-0002'])",
                    "SELECT r.\"Id\" FROM \"Requests\" r JOIN unnest(ARRAY['SAS-A-2026-000001', 'SAS-A-2026-000002']) AS n(v) ON r.\"Number\" = n.v",
                })
                    exact.Add(await ExplainAsync(db, sql));
                return (await ExplainAsync(db, WithValues(query)), exact);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        });
        Assert.Contains("IX_Requests_Number_Lower_Trgm", search);
        Assert.Contains("IX_Requests_VendorReference_Lower_Trgm", search);
        Assert.Contains("IX_Requests_ClientName_Lower_Trgm", search);
        Assert.All(exact, plan => Assert.DoesNotContain("Trgm", plan));
    }

    private static async Task<string> ExplainAsync(Guichet.Data.GuichetDbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        command.CommandText = "EXPLAIN " + sql;
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        return string.Join("\n", lines);
    }

    /// <summary>EF's ToQueryString with its « -- @name='value' » lines put in place of the parameters.</summary>
    private static string WithValues(string query)
    {
        var lines = query.Split('\n');
        var values = lines.Where(l => l.StartsWith("-- @", StringComparison.Ordinal))
            .Select(l => (Name: l[3..l.IndexOf('=')], Value: l[(l.IndexOf('=') + 1)..].Trim())).OrderByDescending(p => p.Name.Length);
        var sql = string.Join("\n", lines.Where(l => !l.StartsWith("--", StringComparison.Ordinal)));
        foreach (var (name, value) in values) sql = sql.Replace(name, value, StringComparison.Ordinal);
        return sql;
    }
}
