using System.Diagnostics;
using System.Net;

namespace Guichet.Bench;

public sealed record Stats(int Count, int Errors, double P50, double P95, double P99, double Throughput, TimeSpan Elapsed)
{
    public static Stats Of(List<double> ms, int errors, TimeSpan elapsed)
    {
        ms.Sort();
        double P(double q) => ms.Count == 0 ? double.NaN : ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
        return new Stats(ms.Count, errors, P(0.50), P(0.95), P(0.99), ms.Count / elapsed.TotalSeconds, elapsed);
    }
}

/// <summary>Closed-loop HTTP load from this process: N workers, each sending its next request when the previous answered; bounded in count and time.</summary>
public static class Load
{
    public static HttpClient Client(CookieContainer? cookies = null, int connections = 64) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        UseCookies = cookies is not null,
        CookieContainer = cookies ?? new CookieContainer(),
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
    }) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Closed-loop warm-up before each measure (answers dropped); set from <c>--warmup-seconds</c>.</summary>
    public static TimeSpan WarmupTime { get; set; } = TimeSpan.Zero;

    public static async Task<Stats> RunAsync(string name, HttpClient client, Func<int, HttpRequestMessage> request, int concurrency, int total, TimeSpan maxTime, int warmup = 50)
    {
        // First a few requests one by one, each required to succeed (a wrong setup stops here), then the same load as the
        // measure for WarmupTime: tiered compilation promotes the hot paths to optimised code after some thousands of
        // calls, and a server in production runs warm. Both the portal and the bare host get the same warm-up.
        for (var i = 0; i < warmup; i++)
        {
            using var r = await client.SendAsync(request(i));
            await r.Content.ReadAsByteArrayAsync();
            if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"{name} : HTTP {(int)r.StatusCode} à l'échauffement : {await r.Content.ReadAsStringAsync()}");
        }
        if (WarmupTime > TimeSpan.Zero && warmup > 0) await WarmUpAsync(name, client, request, concurrency);
        var (samples, errors, elapsed) = await LoopAsync(client, request, concurrency, total, maxTime);
        var stats = Stats.Of(samples, errors, elapsed);
        Console.WriteLine($"  {name} : {stats.Count} requêtes en {stats.Elapsed.TotalSeconds:F1} s, p50 {stats.P50:F1} ms, p95 {stats.P95:F1} ms, p99 {stats.P99:F1} ms, {stats.Throughput:F0}/s, {stats.Errors} erreurs");
        return stats;
    }

    // The servers (host:port) whose first measure has had its long warm-up, and the paths (host:port/path) already measured.
    private static readonly HashSet<string> Warmed = [];
    private static readonly HashSet<string> WarmedPaths = [];

    /// <summary>
    /// The least warm-up of the first measure of each server process, portal or bare host (its longest is then at least
    /// 15 s more): 30 s in the one-size runs, quick included (*since 01/12 16 h*: with none, a quick run's first page stopped
    /// its warm-up at the first 5-s window that did not gain 3 %, and served 445 to 967 pages/s still half-compiled, against
    /// 1 527 to 1 734/s warm); none in the growth run, whose warm-up is a fixed 2 s.
    /// </summary>
    public static TimeSpan FirstServerWarmup { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest warm-up of a server process's first measure, when it has a least (Report.cs says the same).</summary>
    public static TimeSpan FirstServerWarmupMax =>
        TimeSpan.FromTicks(Math.Max(FirstWarmupMax.Ticks, (FirstServerWarmup + TimeSpan.FromSeconds(15)).Ticks));

    /// <summary>The longest warm-up: past it the measure starts even if the throughput still climbs.</summary>
    public static TimeSpan WarmupMax { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The longest warm-up of the first measure of a path on a server. The quick run keeps <see cref="WarmupMax"/> at its
    /// fixed 2 s but lets each new path warm up to <c>--first-warmup-seconds</c> (15 s): measured at 2 s, the tracking page
    /// served 626 pages/s, at 20 s 1 975/s (its code still at the JIT's first tier, not what a running server serves).
    /// </summary>
    public static TimeSpan FirstWarmupMax { get; set; } = TimeSpan.FromSeconds(90);

    // WarmupTime, then windows of 5 s while each serves 3 % more than the one before: on 2 cores shared with the load and the
    // database, .NET's tiered JIT takes tens of seconds to optimise a page's path (measured: 190 -> 580 pages/s over 50 s),
    // and a server in production runs warm. The portal and the bare host follow the same rule.
    private static async Task WarmUpAsync(string name, HttpClient client, Func<int, HttpRequestMessage> request, int concurrency)
    {
        var watch = Stopwatch.StartNew();
        var (first, _, firstElapsed) = await LoopAsync(client, request, concurrency, int.MaxValue, WarmupTime);
        var previous = first.Count / firstElapsed.TotalSeconds;
        // The first measure of a server process gets at least 30 s: one slow window (a checkpoint, the database's own
        // warm-up) must not end a run-in that has barely started (seen in the full run of 30/11 23:35: stopped at 10 s).
        using var probe = request(0);
        var (server, path) = probe.RequestUri is { IsAbsoluteUri: true } uri ? (uri.Authority, uri.AbsolutePath)
            : ("", probe.RequestUri?.OriginalString.Split('?')[0] ?? "");
        var firstOfServer = Warmed.Add(server);
        var least = firstOfServer ? FirstServerWarmup : TimeSpan.Zero;
        var max = WarmedPaths.Add(server + path) ? FirstWarmupMax : WarmupMax;
        if (firstOfServer && least > TimeSpan.Zero) max = FirstServerWarmupMax;
        while (watch.Elapsed < max)
        {
            var (samples, _, elapsed) = await LoopAsync(client, request, concurrency, int.MaxValue, TimeSpan.FromSeconds(5));
            var rate = samples.Count / elapsed.TotalSeconds;
            if (rate < previous * 1.03 && watch.Elapsed >= least) break;
            previous = Math.Max(previous, rate);
        }
        Console.WriteLine($"  {name} : échauffement de {watch.Elapsed.TotalSeconds:F0} s");
    }

    private static async Task<(List<double> Samples, int Errors, TimeSpan Elapsed)> LoopAsync(HttpClient client, Func<int, HttpRequestMessage> request,
        int concurrency, int total, TimeSpan maxTime)
    {
        var next = -1;
        var errors = 0;
        var samples = new List<double>[concurrency];
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = samples[w] = new List<double>(Math.Min(total, 100_000) / concurrency + 1);
            int i;
            while ((i = Interlocked.Increment(ref next)) < total && watch.Elapsed < maxTime)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var r = await client.SendAsync(request(i));
                    await r.Content.ReadAsByteArrayAsync();
                    if (r.IsSuccessStatusCode) mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    else if (Interlocked.Increment(ref errors) == 1)
                    {
                        var body = await r.Content.ReadAsStringAsync();
                        Console.WriteLine($"    première erreur : HTTP {(int)r.StatusCode} {body[..Math.Min(body.Length, 300)]}");
                    }
                }
                catch (HttpRequestException) { Interlocked.Increment(ref errors); }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return (samples.SelectMany(s => s).ToList(), errors, watch.Elapsed);
    }
}
