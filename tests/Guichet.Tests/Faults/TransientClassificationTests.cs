using Guichet.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tests.Faults;

/// <summary>Real SQLite lock contention (a second writer on a file another connection holds) is classified as transient.</summary>
[Trait("Category", "Faults")]
public sealed class TransientClassificationTests
{
    [Fact]
    public async Task A_busy_SQLite_database_is_a_503_not_a_500()
    {
        var folder = Path.Combine(Path.GetTempPath(), "guichet-busy-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "busy.db");
        try
        {
            await using var holder = new SqliteConnection($"Data Source={file};Pooling=False");
            await holder.OpenAsync();
            await using (var create = holder.CreateCommand())
            {
                create.CommandText = "CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);";
                await create.ExecuteNonQueryAsync();
            }
            await using var writer = new SqliteConnection($"Data Source={file};Pooling=False;Default Timeout=1");
            await writer.OpenAsync();
            await using var insert = writer.CreateCommand();
            insert.CommandText = "INSERT INTO t VALUES (2);";
            var error = await Assert.ThrowsAsync<SqliteException>(() => insert.ExecuteNonQueryAsync());
            Assert.Equal(5, error.SqliteErrorCode); // SQLITE_BUSY

            var (status, message) = ErrorHandling.Classify(error);
            Assert.Equal(503, status);
            Assert.Equal("Le service est momentanément indisponible. Réessayez dans quelques instants.", message);
            // As EF Core reports it from SaveChanges.
            Assert.Equal(503, ErrorHandling.Classify(new DbUpdateException("save", error)).Status);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }
}
