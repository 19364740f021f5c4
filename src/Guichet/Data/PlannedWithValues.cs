using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Guichet.Data;

/// <summary>
/// Statements that PostgreSQL plans with the values they are given, not with the generic plan it settles on after five runs
/// of a prepared statement (docs/architecture.md « Performances »). Looking up 10 000 references among one vendor's rows is,
/// planned with the list, a read of the vendor's rows against a hash of the list (9 ms at 1 000 000 requests); the generic
/// plan cannot hash a list it has not seen: it probes the index 10 000 times (26 ms) or, made for a vendor of average size,
/// compares each row of a large one with the whole list (3 s at 100 000 requests). A transaction whose
/// <c>SET LOCAL plan_cache_mode</c> ends with it: nothing is left on the pooled connection. Nothing happens on SQLite, nor
/// inside a caller's own transaction (its other statements keep their plans).
/// </summary>
public sealed class PlannedWithValues : IAsyncDisposable
{
    private readonly IDbContextTransaction? _transaction;

    private PlannedWithValues(IDbContextTransaction? transaction) => _transaction = transaction;

    public static async Task<PlannedWithValues> BeginAsync(GuichetDbContext db, CancellationToken ct)
    {
        if (!db.Database.IsNpgsql() || db.Database.CurrentTransaction is not null) return new(null);
        var transaction = await db.Database.BeginTransactionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SET LOCAL plan_cache_mode = force_custom_plan", ct);
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
        return new(transaction);
    }

    /// <summary>Ends the transaction (it only read) and with it the setting.</summary>
    public Task EndAsync(CancellationToken ct) => _transaction?.CommitAsync(ct) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => _transaction?.DisposeAsync() ?? ValueTask.CompletedTask;
}
