namespace Guichet.Pages.Shared;

/// <summary>
/// The errors of a failed submit, listed at the top of the form as the State's design system does (RGAA 11.10):
/// a heading with the count, one link per error to its field, focus moved there on load (js/error-summary.js).
/// A field in error carries <c>aria-invalid="true"</c> and points at its line with <see cref="LineId"/>.
/// </summary>
public sealed record ErrorSummary(IReadOnlyList<ErrorSummary.Line> Lines, string? Intro = null)
{
    /// <summary>One error; <paramref name="FieldId"/> is the id of the field to fix, null when no single field is at fault.</summary>
    public sealed record Line(string Message, string? FieldId);

    public static ErrorSummary None { get; } = new([]);

    /// <summary>A summary of the errors that are not null, each tied to its field.</summary>
    public static ErrorSummary Of(string? intro, params (string? Message, string? FieldId)[] lines) =>
        new(lines.Where(l => !string.IsNullOrEmpty(l.Message)).Select(l => new Line(l.Message!, l.FieldId)).ToList(), intro);

    /// <summary>The refusals of a form read from the query string: « $.key » points at the field whose id is that key, if the form has it.</summary>
    public static ErrorSummary OfPaths(IEnumerable<ErrorItem> errors, string? intro, params string[] fieldIds) =>
        new(errors.Select(e => new Line(e.Message, e.Chemin.StartsWith("$.", StringComparison.Ordinal) && fieldIds.Contains(e.Chemin[2..]) ? e.Chemin[2..] : null)).ToList(), intro);

    /// <summary>Several messages about one form, all pointing at the field to fix first.</summary>
    public static ErrorSummary AllAt(string? fieldId, IEnumerable<string> messages, string? intro = null) =>
        new(messages.Select(m => new Line(m, fieldId)).ToList(), intro);

    /// <summary>The field to fix after a refused decision on the agency's request pages: the unticked box, else the form's first field.</summary>
    public static string? FieldOfDecision(string? form, string? message) => form is null || message is null ? null
        : message.StartsWith("Cochez la case de confirmation", StringComparison.Ordinal) ? "confirme-" + form
        : form switch { "modification" => "commentaire", "rejeter" => "motif", "attribution" => "attributaire", "note" => "note", _ => "confirme-" + form };

    public string Title => Lines.Count == 1 ? "Le formulaire contient 1 erreur" : $"Le formulaire contient {Lines.Count} erreurs";

    /// <summary>The id of the summary line about a field, for that field's <c>aria-describedby</c>.</summary>
    public static string LineId(string fieldId) => "erreur-" + fieldId;

    public bool Concerns(string fieldId) => Lines.Any(l => l.FieldId == fieldId);

    /// <summary>The field's <c>aria-describedby</c>: its hint, then its summary line when it is in error (null when empty).</summary>
    public string? DescribedBy(string fieldId, string? hintId = null) =>
        string.Join(' ', new[] { hintId, Concerns(fieldId) ? LineId(fieldId) : null }.Where(s => s is not null)) is { Length: > 0 } ids ? ids : null;

    /// <summary>The field's <c>aria-invalid</c>: "true" when it is in error, otherwise absent.</summary>
    public string? Invalid(string fieldId) => Concerns(fieldId) ? "true" : null;
}
