using System.Globalization;
using System.Text;

namespace Guichet.Bench;

/// <summary>
/// The growth run's plot as a standalone SVG, drawn here (no plotting tool): on the left each measure's value against the
/// number of requests, on the right its growth since the smallest size beside the two ideals (flat, linear); both axes
/// logarithmic, one polyline per measure, a French legend, and a title and description for screen readers.
/// </summary>
public static class GrowthPlot
{
    private static readonly CultureInfo Fr = CultureInfo.GetCultureInfo("fr-FR");
    // Eight colours readable on white (Okabe–Ito and darker tones), each used plain, dashed then dotted: 24 distinct lines.
    private static readonly string[] Colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B"];
    private const int PanelWidth = 470, PanelHeight = 330, Left = 78, Top = 70, Gap = 110, LegendRow = 19;

    public static string Svg(int[] sizes, IReadOnlyList<Growth.Measure> measures)
    {
        var legendRows = (measures.Count + 1) / 2;
        var width = Left + 2 * PanelWidth + Gap + 30;
        var height = Top + PanelHeight + 70 + legendRows * LegendRow + 20;
        var sb = new StringBuilder();
        var desc = new StringBuilder("Pour chaque mesure, valeur à ");
        desc.Append(string.Join(", ", sizes.Select(s => s.ToString("N0", Fr)))).Append(" demandes : ");
        desc.Append(string.Join(" ; ", measures.Select(m => $"{m.Name} : " + string.Join(", ",
            sizes.Select(s => m.Points.TryGetValue(s, out var p) ? Growth.Ms(p.Value) : "non mesuré")))));
        desc.Append(". Idéal : plat pour les pages, linéaire pour l'export et les échéances.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="titre description" font-family="Marianne, Arial, sans-serif" font-size="12">""");
        sb.AppendLine("""<title id="titre">Croissance du coût de Guichet avec le nombre de demandes</title>""");
        sb.AppendLine(CultureInfo.InvariantCulture, $"""<desc id="description">{Xml(desc.ToString())}</desc>""");
        sb.AppendLine(CultureInfo.InvariantCulture, $"""<rect width="{width}" height="{height}" fill="#ffffff"/>""");
        sb.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="24" font-size="16" font-weight="bold">Croissance du coût avec le nombre de demandes (échelles logarithmiques)</text>""");

        // Left: the values (ms); p95 for a page, wall time for a batch.
        var values = measures.SelectMany(m => m.Points.Values.Select(p => p.Value)).Where(v => v > 0).DefaultIfEmpty(1).ToList();
        Panel(sb, Left, sizes, measures, m => sizes.Select(s => m.Points.TryGetValue(s, out var p) ? p.Value : double.NaN).ToArray(),
            values.Min(), values.Max(), "Valeur mesurée (p95 d'une page, durée d'un traitement)", Duration, guides: false);
        // Right: each value divided by its value at the smallest size, beside « plat » (× 1) and « linéaire » (× size ratio).
        var ratios = measures.SelectMany(m => Ratios(sizes, m)).Where(v => v > 0 && !double.IsNaN(v)).Append(1).Append(sizes[^1] / (double)sizes[0]).ToList();
        Panel(sb, Left + PanelWidth + Gap, sizes, measures, m => Ratios(sizes, m), ratios.Min(), ratios.Max(),
            $"Croissance depuis {sizes[0].ToString("N0", Fr)} demandes", r => "× " + r.ToString(r < 10 ? "0.##" : "N0", Fr), guides: true);

        // The legend, two columns under the panels; a name is clipped to its column (76 characters ran into the next one).
        var legendTop = Top + PanelHeight + 62;
        for (var i = 0; i < measures.Count; i++)
        {
            var x = Left + i % 2 * (PanelWidth + Gap / 2);
            var y = legendTop + i / 2 * LegendRow;
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{x}" y1="{y}" x2="{x + 30}" y2="{y}" {Stroke(i)}/><circle cx="{x + 15}" cy="{y}" r="3" fill="{Colours[i % Colours.Length]}"/>""");
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{x + 38}" y="{y + 4}">{Xml(Clip(measures[i].Name.Replace("`", "", StringComparison.Ordinal), 70))}</text>""");
        }
        sb.AppendLine("</svg>");
        return sb.ToString();
    }

    private static double[] Ratios(int[] sizes, Growth.Measure m) =>
        m.Points.TryGetValue(sizes[0], out var first) && first.Value > 0
            ? sizes.Select(s => m.Points.TryGetValue(s, out var p) ? p.Value / first.Value : double.NaN).ToArray()
            : sizes.Select(_ => double.NaN).ToArray();

    private static void Panel(StringBuilder sb, int left, int[] sizes, IReadOnlyList<Growth.Measure> measures, Func<Growth.Measure, double[]> series,
        double min, double max, string yLabel, Func<double, string> tickLabel, bool guides)
    {
        // Whole decades around the data, so that the ticks fall on 1, 10, 100…
        var lo = Math.Floor(Math.Log10(min));
        var hi = Math.Max(lo + 1, Math.Ceiling(Math.Log10(max)));
        var xlo = Math.Log10(sizes[0]);
        var xhi = Math.Log10(sizes[^1]);
        double X(double size) => left + 10 + (Math.Log10(size) - xlo) / (xhi - xlo) * (PanelWidth - 20);
        double Y(double v) => Top + PanelHeight - (Math.Log10(v) - lo) / (hi - lo) * PanelHeight;
        string F(double d) => d.ToString("F1", CultureInfo.InvariantCulture);

        sb.AppendLine(CultureInfo.InvariantCulture, $"""<g aria-hidden="true"><rect x="{left}" y="{Top}" width="{PanelWidth}" height="{PanelHeight}" fill="none" stroke="#666"/>""");
        for (var d = lo; d <= hi; d++)
        {
            var v = Math.Pow(10, d);
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{F(Y(v))}" x2="{left + PanelWidth}" y2="{F(Y(v))}" stroke="#ddd"/><text x="{left - 6}" y="{F(Y(v) + 4)}" text-anchor="end">{Xml(tickLabel(v))}</text>""");
        }
        foreach (var s in sizes)
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{F(X(s))}" y1="{Top}" x2="{F(X(s))}" y2="{Top + PanelHeight}" stroke="#ddd"/><text x="{F(X(s))}" y="{Top + PanelHeight + 18}" text-anchor="middle">{s.ToString("N0", Fr)}</text>""");
        sb.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{left + PanelWidth / 2}" y="{Top + PanelHeight + 38}" text-anchor="middle">Nombre de demandes dans la base</text>""");
        sb.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{left}" y="{Top - 12}" font-weight="bold">{Xml(yLabel)}</text>""");
        if (guides)
        {
            // The two ideals: a page stays flat, a batch grows as the data.
            var ratio = sizes[^1] / (double)sizes[0];
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{F(X(sizes[0]))}" y1="{F(Y(1))}" x2="{F(X(sizes[^1]))}" y2="{F(Y(1))}" stroke="#999" stroke-width="6" stroke-opacity="0.35"/>""");
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{F(X(sizes[^1]) - 4)}" y="{F(Y(1) + 16)}" text-anchor="end" fill="#555">idéal d'une page : plat</text>""");
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{F(X(sizes[0]))}" y1="{F(Y(1))}" x2="{F(X(sizes[^1]))}" y2="{F(Y(ratio))}" stroke="#999" stroke-width="6" stroke-opacity="0.35"/>""");
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{F(X(sizes[^1]) - 4)}" y="{F(Y(ratio) - 8)}" text-anchor="end" fill="#555">idéal d'un traitement : linéaire</text>""");
        }
        sb.AppendLine("</g>");
        for (var i = 0; i < measures.Count; i++)
        {
            var ys = series(measures[i]);
            var points = sizes.Select((s, j) => (s, v: ys[j])).Where(p => p.v > 0 && !double.IsNaN(p.v)).ToList();
            if (points.Count == 0) continue;
            sb.AppendLine(CultureInfo.InvariantCulture, $"""<polyline fill="none" {Stroke(i)} points="{string.Join(" ", points.Select(p => $"{F(X(p.s))},{F(Y(p.v))}"))}"><title>{Xml(measures[i].Name.Replace("`", "", StringComparison.Ordinal))}</title></polyline>""");
            foreach (var p in points)
                sb.AppendLine(CultureInfo.InvariantCulture, $"""<circle cx="{F(X(p.s))}" cy="{F(Y(p.v))}" r="3" fill="{Colours[i % Colours.Length]}"/>""");
        }
    }

    private static string Stroke(int i) =>
        $"stroke=\"{Colours[i % Colours.Length]}\" stroke-width=\"2\"{(i / Colours.Length % 3) switch { 1 => " stroke-dasharray=\"6 4\"", 2 => " stroke-dasharray=\"2 3\"", _ => "" }}";

    /// <summary>A decade's label: « 0,1 ms », « 10 ms », « 1 s », « 100 s ».</summary>
    private static string Duration(double ms) => ms < 1000 ? ms.ToString("0.###", Fr) + " ms" : (ms / 1000).ToString("0.###", Fr) + " s";

    private static string Xml(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
