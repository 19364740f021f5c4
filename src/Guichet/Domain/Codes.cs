namespace Guichet.Domain;

public enum RequestStatus { Incomplete, EnCours, AModifier, Validee, Rejetee, DecideeEtPayee }

public enum RequestType { Avance, Solde }

public enum DocumentType { BonDeCommande, Facture, VerificationAptitude, Autre }

/// <summary>The API codes and UI labels of the domain enums: the codes are part of the format v1 contract.</summary>
public static class Codes
{
    public static string Code(this RequestStatus s) => s switch
    {
        RequestStatus.Incomplete => "INCOMPLETE",
        RequestStatus.EnCours => "EN_COURS",
        RequestStatus.AModifier => "A_MODIFIER",
        RequestStatus.Validee => "VALIDEE",
        RequestStatus.Rejetee => "REJETEE",
        RequestStatus.DecideeEtPayee => "DECIDEE_ET_PAYEE",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static string Label(this RequestStatus s) => s switch
    {
        RequestStatus.Incomplete => "Incomplète",
        RequestStatus.EnCours => "En cours",
        RequestStatus.AModifier => "A modifier",
        RequestStatus.Validee => "Validée",
        RequestStatus.Rejetee => "Rejetée",
        RequestStatus.DecideeEtPayee => "Décidée et payée",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static string Code(this RequestType t) => t == RequestType.Avance ? "AVANCE" : "SOLDE";
    public static string Label(this RequestType t) => t == RequestType.Avance ? "Avance" : "Solde";

    public static string Code(this ClientIdType t) => t switch
    {
        ClientIdType.Finess => "FINESS",
        ClientIdType.Siret => "SIRET",
        ClientIdType.Rpps => "RPPS",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static string Code(this DocumentType t) => t switch
    {
        DocumentType.BonDeCommande => "BON_DE_COMMANDE",
        DocumentType.Facture => "FACTURE",
        DocumentType.VerificationAptitude => "VERIFICATION_APTITUDE",
        DocumentType.Autre => "AUTRE",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static string Label(this DocumentType t) => t switch
    {
        DocumentType.BonDeCommande => "Bon de commande",
        DocumentType.Facture => "Facture",
        DocumentType.VerificationAptitude => "Vérification d'aptitude (VA) ou mise en ordre de marche (MOM)",
        DocumentType.Autre => "Autre pièce",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static readonly RequestStatus[] AllStatuses = Enum.GetValues<RequestStatus>();

    public static bool TryParseStatus(string? code, out RequestStatus status) => TryParse(code, AllStatuses, Code, out status);
    // Read once: a deposit parses three codes per request, and Enum.GetValues allocates a new array at each call.
    private static readonly RequestType[] AllTypes = Enum.GetValues<RequestType>();
    private static readonly ClientIdType[] AllClientIdTypes = Enum.GetValues<ClientIdType>();
    private static readonly DocumentType[] AllDocumentTypes = Enum.GetValues<DocumentType>();

    public static bool TryParseType(string? code, out RequestType type) => TryParse(code, AllTypes, Code, out type);
    public static bool TryParseClientIdType(string? code, out ClientIdType type) => TryParse(code, AllClientIdTypes, Code, out type);
    public static bool TryParseDocumentType(string? code, out DocumentType type) => TryParse(code, AllDocumentTypes, Code, out type);

    public static RequestStatus ParseStatus(string code) => TryParseStatus(code, out var s) ? s : throw new FormatException(code);
    public static RequestType ParseType(string code) => TryParseType(code, out var s) ? s : throw new FormatException(code);
    public static ClientIdType ParseClientIdType(string code) => TryParseClientIdType(code, out var s) ? s : throw new FormatException(code);
    public static DocumentType ParseDocumentType(string code) => TryParseDocumentType(code, out var s) ? s : throw new FormatException(code);

    private static bool TryParse<T>(string? code, T[] values, Func<T, string> toCode, out T result) where T : struct
    {
        foreach (var v in values)
        {
            if (string.Equals(toCode(v), code, StringComparison.Ordinal)) { result = v; return true; }
        }
        result = default;
        return false;
    }
}
