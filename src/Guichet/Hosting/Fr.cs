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
        < 1024 => $"{bytes}\u00A0o",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.GetCultureInfo("fr-FR")) + "\u00A0Ko",
        _ => (bytes / 1024.0 / 1024.0).ToString("0.#", CultureInfo.GetCultureInfo("fr-FR")) + "\u00A0Mo",
    };

    /// <summary>The short label of a scheme code (<see cref="FundingScheme.LabelOf"/>).</summary>
    public static string SchemeLabel(string code) => FundingScheme.LabelOf(code);

    /// <summary>CSS class of a status badge (theme.css).</summary>
    public static string BadgeClass(RequestStatus s) => BadgeClasses[s];

    private static readonly System.Collections.Frozen.FrozenDictionary<RequestStatus, string> BadgeClasses =
        System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(Enum.GetValues<RequestStatus>(),
            s => s, s => "statut statut-" + s.Code().ToLowerInvariant().Replace('_', '-'));

    public static string Days(int n) => n <= 1 ? $"{n} jour" : $"{n} jours";

    /// <summary>« de » before a word, elided before a vowel or a mute h: « demande d'avance », « demande de solde ».</summary>
    public static string De(string word) => Elides(word) ? "d'" + word : "de " + word;

    /// <summary>The definite article, elided before a vowel or a mute h: « l'avance », « le solde », « la facture ».</summary>
    public static string Le(string word, Gender gender) => Elides(word) ? "l'" + word : (gender == Gender.Feminine ? "la " : "le ") + word;

    /// <summary>« demande d'avance » or « demande de solde »: a request named by its type, as the e-mails and errors say it.</summary>
    public static string RequestOf(RequestType type) => "demande " + De(type.Label().ToLowerInvariant());

    // Words starting with an aspirated h keep « de » and « le » (« de haut en bas », « le hasard »).
    private static readonly string[] AspiratedH = ["haut", "hasard", "hors", "hâte", "hausse", "honte", "héros", "hiérarchi", "hangar", "handicap"];

    /// <summary>Whether « de » and « le/la » elide before this word: a vowel, or an h that is not aspirated.</summary>
    public static bool Elides(string word)
    {
        if (word.Length == 0) return false;
        var first = char.ToLowerInvariant(word[0]);
        if ("aàâäeéèêëiîïoôöuùûü".Contains(first)) return true;
        return first == 'h' && !AspiratedH.Any(h => word.StartsWith(h, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Grammatical gender of a label, for the article before it (<see cref="Fr.Le"/>).</summary>
public enum Gender
{
    Masculine,
    Feminine,
}
