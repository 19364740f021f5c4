using System.Net;
using System.Text.RegularExpressions;

namespace Guichet.Tests.Support;

/// <summary>
/// What a French reader would stop at in a text of the portal (docs/glossaire.md#typographie): « de » or « le/la » not
/// elided before a vowel, an ordinary space before « ; : ! ? » or inside « », a placeholder left unreplaced.
/// </summary>
public static partial class FrenchCopy
{
    /// <summary>Words before which « de » is written in full, and why.</summary>
    private static readonly Dictionary<string, string> KeepsDe = new(StringComparer.OrdinalIgnoreCase)
    {
        ["onze"] = "« de onze » : pas d'élision devant onze, par usage",
        ["oui"] = "« de oui » : le mot oui cité ne s'élide pas",
    };

    /// <summary>The faults of <paramref name="text"/>; <paramref name="knownPlaceholders"/> are replaced later (e.g. « {{urlPortail}} »).</summary>
    public static List<string> Faults(string text, params string[] knownPlaceholders)
    {
        var faults = new List<string>();
        foreach (Match m in NoElision().Matches(text))
            if (!KeepsDe.ContainsKey(m.Groups["word"].Value))
                faults.Add($"élision manquante : « {Around(text, m.Index)} »");
        foreach (Match m in OrdinarySpaceBeforePunctuation().Matches(text))
            faults.Add($"espace ordinaire avant « {m.Value[^1]} » : « {Around(text, m.Index)} »");
        foreach (Match m in WideSpaceBeforePunctuation().Matches(text))
            faults.Add($"espace insécable large (U+00A0) au lieu de fine (U+202F) avant « {m.Value[^1]} » : « {Around(text, m.Index)} »");
        foreach (Match m in BadOpeningGuillemet().Matches(text))
            faults.Add($"« suivi d'une espace ordinaire ou d'aucune : « {Around(text, m.Index)} »");
        foreach (Match m in BadClosingGuillemet().Matches(text))
            faults.Add($"» précédé d'une espace ordinaire ou d'aucune : « {Around(text, m.Index)} »");
        foreach (Match m in Placeholder().Matches(text))
            if (!knownPlaceholders.Contains(m.Value))
                faults.Add($"marque non remplacée « {m.Value} » : « {Around(text, m.Index)} »");
        return faults;
    }

    /// <summary>Asserts that a text has no fault, naming where it comes from.</summary>
    public static void AssertReadsWell(string where, string text, params string[] knownPlaceholders)
    {
        var faults = Faults(text, knownPlaceholders);
        Assert.True(faults.Count == 0, $"{where} :\n  " + string.Join("\n  ", faults));
    }

    /// <summary>
    /// The text a reader meets in a page: without scripts, styles, code samples (pre, code) and tags, entities decoded, plus
    /// the alternative texts and labels read by screen readers (alt, title, aria-label, placeholder).
    /// </summary>
    public static string VisibleText(string html)
    {
        var body = ScriptOrStyle().Replace(html, "");
        var attributes = ReadAttribute().Matches(body).Select(m => WebUtility.HtmlDecode(m.Groups["text"].Value));
        var text = WebUtility.HtmlDecode(Tag().Replace(body, ""));
        return text + "\n" + string.Join("\n", attributes);
    }

    private static string Around(string text, int index)
    {
        var start = Math.Max(0, index - 30);
        return text[start..Math.Min(text.Length, index + 30)].ReplaceLineEndings(" ");
    }

    // « de », « le » or « la » as words, then a word starting with a vowel (y and h are not checked: « de yaourt », « le haut »).
    [GeneratedRegex(@"(?<![\p{L}\p{M}'’-])(?:[dD]e|[lL][ea])[ \u00A0\u202F]+(?<word>[aeiouàâäéèêëîïôöùûüAEIOUÀÂÄÉÈÊËÎÏÔÖÙÛÜ][\p{L}’']*)")]
    private static partial Regex NoElision();

    [GeneratedRegex(@"[\s-[\u00A0\u202F]]+[;:!?](?=\s|$|[»)<.,""])")]
    private static partial Regex OrdinarySpaceBeforePunctuation();

    [GeneratedRegex(@"\u00A0[;:!?](?=\s|$|[»)<.,""])")]
    private static partial Regex WideSpaceBeforePunctuation();

    [GeneratedRegex(@"«(?![\u00A0\u202F])")]
    private static partial Regex BadOpeningGuillemet();

    [GeneratedRegex(@"(?<![\u00A0\u202F])»")]
    private static partial Regex BadClosingGuillemet();

    // {{…}}, {name} or {a.b()} left from a template, or a Razor @expression printed as text (an e-mail address is fine).
    [GeneratedRegex(@"\{\{[^{}]*\}\}|\{[A-Za-z_][\w.]*(?:\(\))?\}|(?<![\w.+-])@[A-Za-z_(][\w.]*")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"<(script|style|pre|code)\b.*?</\1>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex ScriptOrStyle();

    [GeneratedRegex(@"<[^>]*>", RegexOptions.Singleline)]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s(?:alt|title|aria-label|placeholder)=""(?<text>[^""]*)""")]
    private static partial Regex ReadAttribute();
}
