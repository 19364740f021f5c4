namespace Guichet.Domain;

/// <summary>A funding scheme (dispositif): configuration data, seeded and editable by administrators.</summary>
public class FundingScheme
{
    public const string SasRegulateur = "SAS_REGULATEUR";
    public const string SasEffecteur = "SAS_EFFECTEUR";

    /// <summary>A scheme code the portal knows, with its short display label.</summary>
    public sealed record KnownScheme(string Code, string Label);

    /// <summary>
    /// The scheme codes of format v1, in display order, with their short labels (lists, filters, e-mails). The one list:
    /// the deposit, the filters and the administration pages read it. The editable <see cref="Label"/> is the scheme's long name.
    /// </summary>
    public static readonly IReadOnlyList<KnownScheme> Known =
    [
        new(SasEffecteur, "SAS — Effecteurs"),
        new(SasRegulateur, "SAS — Régulateurs"),
    ];

    /// <summary>The known codes, in display order.</summary>
    public static readonly IReadOnlyList<string> KnownCodes = Known.Select(k => k.Code).ToList();

    public static bool IsKnown(string? code) => code is not null && Known.Any(k => k.Code == code);

    /// <summary>The short label of a known code; an unknown code is shown as is.</summary>
    public static string LabelOf(string code) => Known.FirstOrDefault(k => k.Code == code)?.Label ?? code;

    public required string Code { get; init; }
    public required string Label { get; set; }
    /// <summary>Client identifier types accepted, as codes separated by commas (e.g. "FINESS,SIRET").</summary>
    public required string AcceptedClientIdTypes { get; set; }
    public DateTime AdvanceOpensAt { get; set; }
    public DateTime AdvanceClosesAt { get; set; }
    public DateTime BalanceOpensAt { get; set; }
    public DateTime BalanceClosesAt { get; set; }
    /// <summary>Flat amount per client (forfait), in euros.</summary>
    public decimal FlatAmount { get; set; }
    /// <summary>Share of the flat amount paid as advance, e.g. 0.30.</summary>
    public decimal AdvanceShare { get; set; } = 0.30m;
    public string RequiredDocumentsAdvance { get; set; } = "BON_DE_COMMANDE";
    public string RequiredDocumentsBalance { get; set; } = "FACTURE,VERIFICATION_APTITUDE";
    /// <summary>Fields a vendor may change during a modification round (format v1 paths).</summary>
    public string EditableFields { get; set; } = EditableField.ContactSupport;
    public bool AttachmentsMayBeAdded { get; set; } = true;
    public int ReminderDelayDays { get; set; } = 10;
    public int ClosingDelayDays { get; set; } = 20;
    /// <summary>True when the amounts and dates are demonstration values, not facts of the programme.</summary>
    public bool IsDemoValues { get; set; }

    public IReadOnlyList<ClientIdType> ClientIdTypes =>
        Split(AcceptedClientIdTypes).Select(Codes.ParseClientIdType).ToList();

    public IReadOnlyList<DocumentType> RequiredDocuments(RequestType type) =>
        Split(type == RequestType.Avance ? RequiredDocumentsAdvance : RequiredDocumentsBalance).Select(Codes.ParseDocumentType).ToList();

    public IReadOnlyList<string> EditableFieldList => Split(EditableFields).ToList();

    public decimal AdvanceAmount => decimal.Round(FlatAmount * AdvanceShare, 2, MidpointRounding.AwayFromZero);

    public (DateTime Opens, DateTime Closes) Window(RequestType type) =>
        type == RequestType.Avance ? (AdvanceOpensAt, AdvanceClosesAt) : (BalanceOpensAt, BalanceClosesAt);

    private static IEnumerable<string> Split(string csv) =>
        csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
