using System.Globalization;

namespace Guichet.Bench;

/// <summary>Sizes and switches of one run; <c>--quick</c> is SQLite at small sizes, the default is the run of docs/regles.md#performances on PostgreSQL.</summary>
public sealed record BenchOptions
{
    public bool Quick { get; init; }
    public string Provider { get; init; } = "Postgres";
    public int Requests { get; init; } = 1_000_000;
    public int Vendors { get; init; } = 500;
    public int BigVendorRequests { get; init; } = 10_000;
    public int DueRounds { get; init; } = 10_000;
    public int DepositRequests { get; init; } = 10_000;
    public int FileKb { get; init; } = 100;
    public int Emails { get; init; } = 2_000;
    /// <summary>Requests of the operation groupée (<c>--only bulk</c>); unless --requests is given, the data holds exactly that many in its selection.</summary>
    public int BulkRequests { get; init; } = 20_000;
    /// <summary>The sizes of a growth run (<c>--growth</c> or <c>--sizes</c>); null for a run at one size.</summary>
    public int[]? Sizes { get; init; }
    public int LoadRequests { get; init; } = 3_000;
    public TimeSpan LoadTime { get; init; } = TimeSpan.FromSeconds(40);
    public int Concurrency { get; init; } = 16;
    /// <summary>Closed-loop load before each measure whose answers are dropped: the JIT reaches its optimised code (tiering).</summary>
    public TimeSpan WarmupTime { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// The quick run's longest warm-up for the first measure of a new address other than a server process's first
    /// (which gets <see cref="Load.FirstServerWarmupMax"/>); <c>--first-warmup-seconds</c>, ignored outside <c>--quick</c>.
    /// </summary>
    public TimeSpan QuickFirstWarmupMax { get; init; } = TimeSpan.FromSeconds(15);
    public string? Output { get; init; }
    public string? Only { get; init; }
    /// <summary>Leaves the database (and the PostgreSQL cluster) running at the end, to look at query plans.</summary>
    public bool Keep { get; init; }
    /// <summary>
    /// Measures the portal as docs/exploitation.md has it delivered (<c>dotnet publish</c> ReadyToRun); the quick run
    /// (unless <c>--publish</c>) and <c>--build</c> measure the build output instead (no publish step, but the portal's and its NuGet libraries' methods
    /// JIT-compiled on their first call).
    /// </summary>
    public bool Published { get; init; } = true;

    public static BenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var o = quick
            ? new BenchOptions
            {
                Quick = true, Provider = "Sqlite", Requests = 2_000, Vendors = 20, BigVendorRequests = 500, DueRounds = 100,
                DepositRequests = 200, FileKb = 20, Emails = 200, BulkRequests = 200, LoadRequests = 3_000, LoadTime = TimeSpan.FromSeconds(8),
                WarmupTime = TimeSpan.FromSeconds(2), Published = false,
            }
            : new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} attend une valeur.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--quick" => o,
                "--provider" => o with { Provider = Next() },
                "--requests" => o with { Requests = Int() },
                "--vendors" => o with { Vendors = Int() },
                "--big-vendor" => o with { BigVendorRequests = Int() },
                "--due-rounds" => o with { DueRounds = Int() },
                "--deposit" => o with { DepositRequests = Int() },
                "--file-kb" => o with { FileKb = Int() },
                "--emails" => o with { Emails = Int() },
                "--bulk" => o with { BulkRequests = Int() },
                "--growth" => o with { Sizes = o.Quick ? [1_000, 10_000, 100_000] : [10_000, 100_000, 1_000_000] },
                "--sizes" => o with { Sizes = Next().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() },
                "--load" => o with { LoadRequests = Int() },
                "--load-seconds" => o with { LoadTime = TimeSpan.FromSeconds(Int()) },
                "--concurrency" => o with { Concurrency = Int() },
                "--warmup-seconds" => o with { WarmupTime = TimeSpan.FromSeconds(Int()) },
                "--first-warmup-seconds" => o with { QuickFirstWarmupMax = TimeSpan.FromSeconds(Int()) },
                "--out" => o with { Output = Next() },
                "--only" => o with { Only = Next() },
                "--keep" => o with { Keep = true },
                "--build" => o with { Published = false },
                "--publish" => o with { Published = true },
                _ => throw new ArgumentException($"Option inconnue : {args[i]}"),
            };
        }
        if (o.Names("bulk") && !args.Contains("--requests"))
            o = o with { Requests = DataGenerator.RequestsWithRegulatorsInProgress(o.BulkRequests) };
        // Alone, the bulk part has no due rounds: otherwise its portal's workers would run their reminders during the operation.
        if (o.Names("bulk") && !o.Names("sweep") && !args.Contains("--due-rounds")) o = o with { DueRounds = 0 };
        if (o.Sizes is { } sizes && (sizes.Length < 2 || sizes.Any(n => n < 1_000 || n % 500 != 0) || !sizes.SequenceEqual(sizes.Order())))
            throw new ArgumentException("--sizes : au moins deux tailles croissantes, chacune un multiple de 500 d'au moins 1 000 (ex. 10000,100000,1000000).");
        if (o.Provider is not ("Sqlite" or "Postgres")) throw new ArgumentException("--provider Sqlite ou Postgres.");
        if (o.BigVendorRequests % 5 != 0 || o.BigVendorRequests >= o.Requests) throw new ArgumentException("--big-vendor : un multiple de 5, inférieur à --requests.");
        return o;
    }

    /// <summary>Scenario switch: every scenario runs unless --only names others (comma-separated).</summary>
    public bool Runs(string scenario) => Only is null || Only.Split(',').Contains(scenario);

    /// <summary>Scenarios that run only when --only names them (the bulk part changes 20 000 requests and lasts minutes).</summary>
    public bool Names(string scenario) => Only is not null && Only.Split(',').Contains(scenario);
}
