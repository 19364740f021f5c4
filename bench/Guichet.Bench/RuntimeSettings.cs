namespace Guichet.Bench;

/// <summary>
/// The .NET runtime settings docs/exploitation.md asks of an operator for this kind of machine, applied to the portal and
/// to the bare host so that both run as deployed.
/// </summary>
public static class RuntimeSettings
{
    // Where Linux publishes the sizes of the processor's caches; some virtual machines publish none.
    private const string CacheFolder = "/sys/devices/system/cpu/cpu0/cache";

    /// <summary>
    /// On a machine that publishes no cache size, the workstation GC keeps a generation 0 of about 2 MB and collects every
    /// twenty pages or so; docs/exploitation.md sets 16 MB there (« Machine virtuelle sans taille de cache »).
    /// </summary>
    public static Dictionary<string, string> ForThisMachine() =>
        OperatingSystem.IsLinux() && !Directory.Exists(CacheFolder)
            ? new() { ["DOTNET_GCgen0size"] = "0x1000000" }
            : [];

    public static string? Describe(Dictionary<string, string> env) => env.Count == 0 ? null
        : string.Join(", ", env.Select(e => $"`{e.Key}={e.Value}`"))
          + " (la machine ne publie pas la taille de ses caches : docs/exploitation.md, « Machine virtuelle sans taille de cache »)";
}
