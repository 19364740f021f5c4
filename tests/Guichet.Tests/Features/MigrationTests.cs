using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tests.Features;

/// <summary>
/// Each provider's migrations describe the model the code builds: an index or a column changed in a configuration without
/// its migration would reach no database.
/// </summary>
public abstract class MigrationTests(GuichetApp app)
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

public sealed class MigrationTestsOnSqlite(SqliteApp app) : MigrationTests(app), IClassFixture<SqliteApp>;

public sealed class MigrationTestsOnPostgres(PostgresApp app) : MigrationTests(app), IClassFixture<PostgresApp>;
