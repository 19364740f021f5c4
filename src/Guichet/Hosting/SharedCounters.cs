using System.Security.Cryptography;
using System.Text;
using Guichet.Data;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Hosting;

/// <summary>One fixed window of one counter: how many hits <see cref="Key"/> had since <see cref="WindowStart"/> (Unix seconds).</summary>
public sealed class RateCounter
{
    public const int KeyLength = 200;

    public string Key { get; set; } = "";
    public long WindowStart { get; set; }
    public int Count { get; set; }
    /// <summary>When the window is over (Unix seconds): the row may then be purged.</summary>
    public long ExpiresAt { get; set; }
}

/// <summary>A hit counted: the window's count so far, including this hit, and the seconds until the window is over.</summary>
public readonly record struct CounterHit(int Count, int SecondsLeft);

/// <summary>
/// Fixed-window counters in the database, shared by every instance on it: one atomic upsert-increment per hit
/// (<c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>, alike on SQLite and PostgreSQL), windows aligned on the Unix epoch so
/// that every instance agrees on them (their clocks synchronised). Expired rows are purged now and then by whoever hits.
/// </summary>
public sealed class SharedCounters(GuichetDbContext db, TimeProvider clock, SharedCounters.PurgeSchedule schedule)
{
    /// <summary>Per instance: the purge of expired windows runs at most once a minute here (any instance may run it).</summary>
    public sealed class PurgeSchedule
    {
        private long _next;

        public bool IsDue(long now)
        {
            var next = Interlocked.Read(ref _next);
            return now >= next && Interlocked.CompareExchange(ref _next, now + 60, next) == next;
        }
    }

    public async Task<CounterHit> HitAsync(string key, RateLimit limit, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var start = now - now % limit.WindowSeconds;
        var end = start + limit.WindowSeconds;
        var stored = Stored(key);
        var counts = await db.Database.SqlQuery<int>($"""
            INSERT INTO "RateCounters" ("Key", "WindowStart", "Count", "ExpiresAt") VALUES ({stored}, {start}, 1, {end})
            ON CONFLICT ("Key", "WindowStart") DO UPDATE SET "Count" = "RateCounters"."Count" + 1
            RETURNING "Count" AS "Value"
            """).ToListAsync(ct);
        if (counts[0] == 1) await PurgeNowAndThenAsync(now, ct);
        return new CounterHit(counts[0], (int)Math.Max(1, end - now));
    }

    private async Task PurgeNowAndThenAsync(long now, CancellationToken ct)
    {
        if (!schedule.IsDue(now)) return;
        await db.RateCounters.Where(c => c.ExpiresAt < now).ExecuteDeleteAsync(ct);
    }

    // A typed address may be of any length: a long key is kept as its beginning and a hash of the whole.
    private static string Stored(string key) => key.Length <= RateCounter.KeyLength ? key
        : key[..(RateCounter.KeyLength - 65)] + "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
