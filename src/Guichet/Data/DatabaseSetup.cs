using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Data;

public static class DatabaseSetup
{
    /// <summary>
    /// Registers the context of the configured provider behind <see cref="GuichetDbContext"/>, pooled: a request rents a
    /// context already built and EF resets it on return (the context's own state is per lease, see its count keeper).
    /// EF's check that a context is not used by two operations at once stays on where code is written and tested
    /// (<paramref name="threadSafetyChecks"/>): it sets an async-local value around every query, a tenth of what a
    /// tracking page allocated (docs/architecture.md, « Performances »).
    /// </summary>
    public static IServiceCollection AddGuichetDatabase(this IServiceCollection services, IConfiguration configuration, string contentRoot,
        bool threadSafetyChecks = true)
    {
        var provider = configuration.GetValue("Database:Provider", DatabaseProvider.Sqlite);
        var connectionString = configuration.GetConnectionString("Guichet");
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                connectionString ??= "Data Source=data/guichet.db";
                connectionString = ResolveSqlitePath(connectionString, contentRoot);
                services.AddDbContextPool<GuichetDbContext, SqliteGuichetDbContext>(o => o.UseSqlite(connectionString,
                    x => x.MigrationsAssembly(typeof(GuichetDbContext).Assembly.FullName)).EnableThreadSafetyChecks(threadSafetyChecks));
                break;
            case DatabaseProvider.Postgres:
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new InvalidOperationException("ConnectionStrings:Guichet est obligatoire avec Database:Provider=Postgres.");
                services.AddDbContextPool<GuichetDbContext, PostgresGuichetDbContext>(o => o.UseNpgsql(Tuned(connectionString))
                    .EnableThreadSafetyChecks(threadSafetyChecks));
                break;
        }
        return services;
    }

    /// <summary>
    /// The operator's connection string, with two Npgsql settings added unless the string says otherwise (docs/architecture.md,
    /// « Performances »):
    /// <list type="bullet">
    /// <item>no reset of a pooled connection (<c>DISCARD ALL</c>, sent with the next statement): Guichet leaves no session
    /// state on a connection (no <c>SET</c> outside a transaction, no advisory lock, no temporary table), so a reset did nothing but cost a round;</item>
    /// <item>statements prepared once they have run a few times on a connection (<c>Max Auto Prepare</c>): EF Core does not
    /// prepare, so PostgreSQL parsed and planned each of the portal's few dozen statements at every execution. A pooler in
    /// transaction mode without prepared-statement support (PgBouncer before 1.21) needs <c>Max Auto Prepare=0</c>.</item>
    /// </list>
    /// </summary>
    internal static string Tuned(string connectionString)
    {
        var csb = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        // Npgsql reads a key with or without its spaces ("No Reset On Close", "NoResetOnClose").
        var written = connectionString.Replace(" ", "", StringComparison.Ordinal);
        if (!written.Contains("ResetOnClose", StringComparison.OrdinalIgnoreCase)) csb.NoResetOnClose = true;
        if (!written.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase)) csb.MaxAutoPrepare = AutoPreparedStatements;
        return csb.ConnectionString;
    }

    /// <summary>Statements kept prepared per connection: more than the portal's distinct hot statements.</summary>
    internal const int AutoPreparedStatements = 100;

    // A relative SQLite file lives under the content root, and its folder is created.
    private static string ResolveSqlitePath(string connectionString, string contentRoot)
    {
        var csb = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource != ":memory:" && !string.IsNullOrEmpty(csb.DataSource))
        {
            if (!Path.IsPathRooted(csb.DataSource)) csb.DataSource = Path.Combine(contentRoot, csb.DataSource);
            Directory.CreateDirectory(Path.GetDirectoryName(csb.DataSource)!);
        }
        csb.DefaultTimeout = 30;
        return csb.ToString();
    }

    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct); // readers do not block the writer
    }
}
