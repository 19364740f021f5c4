namespace Guichet.Domain;

/// <summary>
/// The fields of « Informations de la demande » that a modification round may open, and the round's items: those field
/// paths and « piece:TYPE » codes (an attachment type to add). Each field is read, checked (with the deposit's rule) and
/// written here only; the rules are in docs/regles.md#modification.
/// </summary>
public static class EditableField
{
    public const string ContactSupport = "informations.contactSupport";
    private const string DocumentPrefix = "piece:";

    public static readonly IReadOnlyDictionary<string, string> Labels = new Dictionary<string, string>
    {
        [ContactSupport] = "Coordonnées de contact ou lien vers la plateforme de support à destination des Régulateurs ou Effecteurs",
    };

    public static bool Exists(string field) => Labels.ContainsKey(field);

    /// <summary>The field's name inside its JSON block, e.g. « contactSupport ».</summary>
    public static string JsonName(string field) => field[(field.IndexOf('.') + 1)..];

    public static string Read(FundingRequest request, string field) => field switch
    {
        ContactSupport => request.ContactSupport,
        _ => throw Refusal.Invalid(NotEditable(field), "$." + field),
    };

    /// <summary>The French error for a proposed value (the same rule as at deposit), or null when it is valid.</summary>
    public static string? Error(string field, string? value) => field switch
    {
        ContactSupport => RequestRules.ContactSupportError(value),
        _ => NotEditable(field),
    };

    internal static void Write(FundingRequest request, string field, string value)
    {
        switch (field)
        {
            case ContactSupport: request.ContactSupport = value; break;
            default: throw Refusal.Invalid(NotEditable(field), "$." + field);
        }
    }

    public static string NotEditable(string field) =>
        $"Le champ « {Labels.GetValueOrDefault(field, field)} » n'est pas modifiable dans cette demande de modification.";

    /// <summary>Item code for an attachment type that a round asks the vendor to add.</summary>
    public static string DocumentItem(DocumentType type) => DocumentPrefix + type.Code();

    public static bool TryParseDocumentItem(string item, out DocumentType type)
    {
        type = default;
        return item.StartsWith(DocumentPrefix, StringComparison.Ordinal) && Codes.TryParseDocumentType(item[DocumentPrefix.Length..], out type);
    }

    public static bool IsDocumentItem(string item) => item.StartsWith(DocumentPrefix, StringComparison.Ordinal);

    public static string ItemLabel(string item) =>
        Labels.TryGetValue(item, out var label) ? label
        : TryParseDocumentItem(item, out var t) ? "Pièce justificative à ajouter : " + t.Label()
        : item;
}
