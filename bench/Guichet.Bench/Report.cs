using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Guichet.Bench;

/// <summary>The Markdown table of one run, written between markers in BENCHMARKS.md so that the text around it stays.</summary>
public sealed class Report(BenchOptions o)
{
    private readonly List<string[]> _rows = [];
    public string DatabaseVersion { get; set; } = "";
    public string? RuntimeNote { get; set; }
    public TimeSpan GenerationTime { get; set; }
    public TimeSpan TotalTime { get; set; }
    // Other work on the machine skews every figure: the load average at the start and at the end says whether there was any.
    private readonly string _loadAtStart = LoadAverage();

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public void AddLoad(string scenario, string size, Stats s, Stats bare, double? targetP95, string baselineLabel = "nu")
    {
        var errors = s.Errors > 0 ? $" ({s.Errors} erreurs)" : "";
        _rows.Add([scenario, size, Ms(s.P50), Ms(s.P95), Ms(s.P99), $"{s.Throughput:F0}/s{errors}",
            $"{baselineLabel} : p50 {Ms(bare.P50)}, p95 {Ms(bare.P95)}, {bare.Throughput:F0}/s", $"× {s.P95 / bare.P95:F1} (p95)",
            targetP95 is { } t ? $"p95 ≤ {t:F0} ms" : "—", targetP95 is { } t2 ? Verdict(s.Errors == 0 && s.P95 <= t2) : "—"]);
    }

    public void Add(string scenario, string size, double? p50, double? p95, double? p99, double? throughput, double? valueMs, string baseline,
        double? baselineMs, string target, bool? verdict, string? valueText = null, double? throughputBaseline = null)
    {
        var ratio = valueMs is { } v && baselineMs is { } b && b > 0 ? $"× {v / b:F1}"
            : throughput is { } t && throughputBaseline is { } tb && t > 0 ? $"× {tb / t:F1} plus lent"
            : p95 is { } p && baselineMs is { } b2 && b2 > 0 ? $"× {p / b2:F1}" : "—";
        _rows.Add([scenario, size,
            p50 is { } a ? Ms(a) : valueText ?? (valueMs is { } m ? Ms(m) + " (1 mesure)" : "—"),
            p95 is { } c ? Ms(c) : "—", p99 is { } d ? Ms(d) : "—",
            throughput is { } e ? $"{e:F0}/s" : "—", baseline, ratio, target, verdict is null ? "—" : Verdict(verdict.Value)]);
    }

    private static string Verdict(bool ok) => ok ? "tenu" : "**non tenu**";

    private static string Ms(double ms) => double.IsNaN(ms) ? "—" : ms >= 10_000 ? $"{ms / 1000:F1} s" : ms >= 100 ? $"{ms:F0} ms" : $"{ms:F1} ms";

    public string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Scénario | Taille | p50 | p95 | p99 | Débit | Référence nue (même run) | Rapport | Cible (docs/regles.md#performances) | Verdict |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in _rows) sb.AppendLine("| " + string.Join(" | ", r.Select(c => c.Replace("|", "\\|"))) + " |");
        return sb.ToString();
    }

    public static string Machine()
    {
        string Read(string file, string key) =>
            File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?";
        var memKb = long.TryParse(Read("/proc/meminfo", "MemTotal").Split(' ')[0], out var kb) ? kb : 0;
        return $"{Environment.ProcessorCount} cœurs ({Read("/proc/cpuinfo", "model name")}), {memKb / 1048576.0:F0} Go de mémoire, "
            + $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
    }

    public void Write(string path)
    {
        var mode = o.Quick ? "quick" : "full";
        var section = new StringBuilder();
        section.AppendLine($"<!-- bench:{mode}:start -->");
        section.AppendLine($"### {(o.Quick ? "Mode rapide (`--quick`)" : "Run complet")} — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        section.AppendLine();
        section.AppendLine($"- Machine : {Machine()}");
        section.AppendLine($"- Base : {DatabaseVersion} ; {o.Requests:N0} demandes, {o.Vendors} fournisseurs dont un de {o.BigVendorRequests:N0}, "
            + $"{o.DueRounds:N0} tours de modification échus ; données générées en {GenerationTime.TotalSeconds:F0} s ; run complet en {TotalTime.TotalMinutes:F1} min");
        section.AppendLine(o.Published ? "- Portail : publié ReadyToRun, comme on le livre (docs/exploitation.md)"
            : "- Portail : sortie de `dotnet build` (code compilé au premier appel, sans ReadyToRun)");
        if (RuntimeNote is not null) section.AppendLine($"- Réglage du runtime, pour le portail et l'hôte nu : {RuntimeNote}");
        section.AppendLine($"- Charge : {o.Concurrency} clients simultanés (boucle fermée HttpClient, processus séparé, 127.0.0.1), au plus {o.LoadRequests:N0} requêtes "
            + $"ou {o.LoadTime.TotalSeconds:F0} s par mesure, après un échauffement à la même charge (réponses écartées) de {o.WarmupTime.TotalSeconds:F0} s"
            + (o.Quick ? $", prolongé par fenêtres de 5 s jusqu'à un débit stable : de {Load.FirstServerWarmup.TotalSeconds:F0} à {Load.FirstServerWarmupMax.TotalSeconds:F0} s environ pour la première mesure de chaque processus, portail ou hôte nu, {Load.FirstWarmupMax.TotalSeconds:F0} s environ au plus pour la première mesure de chaque autre adresse"
                : ", prolongé par fenêtres de 5 s jusqu'à un débit stable (au moins 30 s pour la première mesure d'un processus, 90 s au plus)") + $" ; le portail et l'hôte nu partagent les {Environment.ProcessorCount} cœurs avec le générateur de charge et la base.");
        section.AppendLine($"- Charge moyenne de la machine (1 / 5 / 15 min) au début : {_loadAtStart} ; à la fin : {LoadAverage()} (au-delà de ~0,5 au début, un autre travail tournait).");
        section.AppendLine();
        section.Append(Table());
        section.AppendLine($"<!-- bench:{mode}:end -->");

        var text = File.Exists(path) ? File.ReadAllText(path) : "# Performances de Guichet\n\n";
        var start = text.IndexOf($"<!-- bench:{mode}:start -->", StringComparison.Ordinal);
        var end = text.IndexOf($"<!-- bench:{mode}:end -->", StringComparison.Ordinal);
        text = start >= 0 && end > start
            ? text[..start] + section + text[(end + $"<!-- bench:{mode}:end -->".Length + 1)..]
            : text.TrimEnd() + "\n\n" + section;
        File.WriteAllText(path, text);
    }
}
