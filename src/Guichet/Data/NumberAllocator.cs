using Guichet.Domain;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Data;

/// <summary>Allocates portal numbers (SAS-A-2026-000123) from a database counter, safe across instances.</summary>
public static class NumberAllocator
{
    /// <summary>Reserves <paramref name="count"/> numbers; call inside the transaction that stores the requests.</summary>
    public static async Task<IReadOnlyList<string>> NextAsync(GuichetDbContext db, RequestType type, int year, int count, CancellationToken ct = default)
    {
        var prefix = $"SAS-{(type == RequestType.Avance ? "A" : "S")}-{year}";
        await db.Database.ExecuteSqlRawAsync(
            """INSERT INTO "Sequences" ("Key", "Value") VALUES ({0}, 0) ON CONFLICT DO NOTHING""", [prefix], ct);
        // The guarded increment takes the row lock: concurrent deposits get disjoint ranges.
        await db.Sequences.Where(s => s.Key == prefix).ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, x => x.Value + count), ct);
        var last = await db.Sequences.Where(s => s.Key == prefix).Select(s => s.Value).SingleAsync(ct);
        return Enumerable.Range(0, count).Select(i => $"{prefix}-{last - count + 1 + i:D6}").ToList();
    }
}
