using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Guichet.Hosting;

/// <summary>
/// The one place that says whether an error is the database being away or busy for a moment (server stopped or
/// restarting, connection refused or broken, pool exhausted, lock or command timeout, SQLite busy/locked, deadlock)
/// rather than a bug. Such an error is answered 503 « réessayez » with <c>Retry-After</c>, never 500
/// (<see cref="ErrorHandling.Classify"/>), and the background loops retry it with a backoff instead of failing
/// (docs/regles.md#erreurs).
/// </summary>
public static class TransientFailures
{
    public const string Message = "Le service est momentanément indisponible. Réessayez dans quelques instants.";

    /// <summary>The <c>Retry-After</c> of a 503, in seconds.</summary>
    public const int RetryAfterSeconds = 10;

    // PostgreSQL codes beyond Npgsql's own transient list: the server shutting down or starting (57P0x), a statement
    // cancelled by statement_timeout (57014), a lock not obtained within lock_timeout (55P03).
    private static readonly HashSet<string> PostgresCodes = ["57P01", "57P02", "57P03", "57014", "55P03"];

    // SQLITE_BUSY and SQLITE_LOCKED: another connection holds the lock past the busy timeout.
    private const int SqliteBusy = 5, SqliteLocked = 6;

    /// <summary>True when <paramref name="error"/>, or an exception it wraps (EF's DbUpdateException…), is transient.</summary>
    public static bool Is(Exception? error)
    {
        for (var depth = 0; error is not null && depth < 16; error = error.InnerException, depth++)
        {
            switch (error)
            {
                case TimeoutException:
                case RetryLimitExceededException:
                case PostgresException p when p.IsTransient || PostgresCodes.Contains(p.SqlState):
                case NpgsqlException { IsTransient: true }:
                case SqliteException s when (s.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked:
                    return true;
                case AggregateException a when a.InnerExceptions.Any(Is):
                    return true;
            }
        }
        return false;
    }
}
