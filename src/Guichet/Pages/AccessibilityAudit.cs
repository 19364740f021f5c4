using System.Globalization;
using System.Text.RegularExpressions;

namespace Guichet.Pages;

/// <summary>
/// The RGAA 4.1 self-audit of docs/accessibilite.md, read from its table (embedded at build): the declaration page and the
/// footer show what it establishes, so that they cannot say more than the audit.
/// </summary>
public sealed partial class AccessibilityAudit
{
    public sealed record Criterion(string Number, string Title, string Status, string Pages, string Reason);

    public IReadOnlyList<Criterion> Criteria { get; }
    public string Date { get; }

    // Counted once: the footer of every page shows the status.
    private AccessibilityAudit(IReadOnlyList<Criterion> criteria, string date)
    {
        (Criteria, Date) = (criteria, date);
        Conform = criteria.Count(c => c.Status == "C");
        NotConform = criteria.Count(c => c.Status == "NC");
        NotApplicable = criteria.Count(c => c.Status == "NA");
    }

    public static AccessibilityAudit Current { get; } = Read();

    /// <summary>Reads the audit document's criteria rows (« | 1.1 | intitulé | C | pages | justification | ») and its date.</summary>
    public static AccessibilityAudit Parse(string markdown) => new(
        Row().Matches(markdown).Select(m => new Criterion(m.Groups[1].Value, m.Groups[2].Value.Trim(), m.Groups[3].Value,
            m.Groups[4].Value.Trim(), m.Groups[5].Value.Trim())).ToList(),
        AuditDate().Match(markdown) is { Success: true } d ? d.Groups[1].Value.Trim() : "date inconnue");

    public int Conform { get; }
    public int NotConform { get; }
    public int NotApplicable { get; }

    /// <summary>The RGAA's global rate: conform criteria over applicable ones, in percent.</summary>
    public decimal Rate => Conform + NotConform == 0 ? 0 : Math.Round(100m * Conform / (Conform + NotConform), 1);

    /// <summary>« 95,7 % », as the declaration and the tests write it.</summary>
    public string RateText => Rate.ToString("0.#", CultureInfo.GetCultureInfo("fr-FR")) + "\u00a0%";

    /// <summary>The legal status: « totalement » at 100 %, « partiellement » from 50 %, otherwise « non conforme ».</summary>
    public string Status => Rate >= 100 ? "totalement conforme" : Rate >= 50 ? "partiellement conforme" : "non conforme";

    public IEnumerable<Criterion> NonConformities => Criteria.Where(c => c.Status == "NC");

    private static AccessibilityAudit Read()
    {
        using var stream = typeof(AccessibilityAudit).Assembly.GetManifestResourceStream("accessibilite.md")
            ?? throw new InvalidOperationException("L'audit d'accessibilité (docs/accessibilite.md) n'est pas embarqué.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    [GeneratedRegex(@"^\| (\d{1,2}\.\d{1,2}) \| ([^|]+) \| (C|NC|NA) \| ([^|]*) \| ([^|]*) \|\s*$", RegexOptions.Multiline)]
    private static partial Regex Row();

    [GeneratedRegex(@"^Date de l'audit : (.+)$", RegexOptions.Multiline)]
    private static partial Regex AuditDate();
}
