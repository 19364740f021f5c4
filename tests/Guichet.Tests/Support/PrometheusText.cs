using System.Globalization;
using System.Text.RegularExpressions;

namespace Guichet.Tests.Support;

/// <summary>One scrape of <c>/metrics</c> read back from the Prometheus text format: series name, labels, value.</summary>
public sealed partial class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _series = [];

    public string Raw { get; }

    public PrometheusText(string text)
    {
        Raw = text;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var m = Line().Match(line);
            if (!m.Success) throw new FormatException($"Ligne Prometheus illisible : « {line} »");
            var labels = Label().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            var value = m.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            _series.Add((m.Groups["name"].Value, labels, value));
        }
    }

    /// <summary>The sum of the series named <paramref name="name"/> that carry these labels (0 when none was ever recorded).</summary>
    public double Sum(string name, params (string Label, string Value)[] labels) => _series
        .Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value))
        .Sum(s => s.Value);

    /// <summary>Whether at least one series of that name is present.</summary>
    public bool Has(string name) => _series.Any(s => s.Name == name);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex Line();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?""")]
    private static partial Regex Label();
}
