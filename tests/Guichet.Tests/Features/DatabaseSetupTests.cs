using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;

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

public sealed class DatabaseSetupTestsOnPostgres(PostgresApp app) : DatabaseSetupTests(app), IClassFixture<PostgresApp>
{
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
}
