using System.Globalization;
using Guichet.Domain;

namespace Guichet.Hosting;

/// <summary>French display formats: dates dd/MM/yyyy in Paris time, amounts « 1 234,56 € ».</summary>
public static class Fr
{
    private static readonly NumberFormatInfo Money = new()
    {
        NumberDecimalSeparator = ",", NumberGroupSeparator = "\u00A0", NumberGroupSizes = [3],
    };

    /// <summary>User text quoted in a message, cut to <paramref name="max"/> characters.</summary>
    public static string Clip(string text, int max) => text.Length > max ? text[..max] + "…" : text;

    public static string Amount(decimal value) => value.ToString("#,##0.00", Money) + "\u00A0€";

    public static string Date(DateOnly value) => value.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture);

    public static string Date(DateOnly? value) => value is { } v ? Date(v) : "—";

    public static string Date(DateTime utc) => ParisCalendar.ToParis(utc).ToString("dd/MM/yyyy", CultureInfo.InvariantCulture);

    public static string DateTime(DateTime utc) => ParisCalendar.ToParis(utc).ToString("dd/MM/yyyy 'à' HH'h'mm", CultureInfo.InvariantCulture);

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} o",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.GetCultureInfo("fr-FR")) + " Ko",
        _ => (bytes / 1024.0 / 1024.0).ToString("0.#", CultureInfo.GetCultureInfo("fr-FR")) + " Mo",
    };

    /// <summary>The short label of a scheme code (<see cref="FundingScheme.LabelOf"/>).</summary>
    public static string SchemeLabel(string code) => FundingScheme.LabelOf(code);

    /// <summary>CSS class of a status badge (theme.css).</summary>
    public static string BadgeClass(RequestStatus s) => "statut statut-" + s.Code().ToLowerInvariant().Replace('_', '-');

    public static string Days(int n) => n <= 1 ? $"{n} jour" : $"{n} jours";
}
