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

    public static bool IsKnown(string? code) => code is not null && KnownLabels.ContainsKey(code); // read for each request of a file

    /// <summary>The short label of a known code; an unknown code is shown as is.</summary>
    public static string LabelOf(string code) => KnownLabels.GetValueOrDefault(code) ?? code;

    private static readonly System.Collections.Frozen.FrozenDictionary<string, string> KnownLabels =
        System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(Known, k => k.Code, k => k.Label, StringComparer.Ordinal);

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

    /// <summary>
    /// The settings an administrator writes (page « Dispositifs »): windows in Paris local time, the advance share in
    /// percent; a null amount or share is one that could not be read.
    /// </summary>
    public sealed record Settings(
        string? Label, decimal? FlatAmount, decimal? AdvanceSharePercent,
        DateTime? AdvanceOpensAt, DateTime? AdvanceClosesAt, DateTime? BalanceOpensAt, DateTime? BalanceClosesAt,
        IReadOnlyCollection<string> ClientIdTypes, int? ReminderDelayDays, int? ClosingDelayDays,
        bool ContactEditable, bool AttachmentsMayBeAdded);

    public const int MaxLabelLength = 200;
    public const int MinReminderDelayDays = 1;
    public const int MaxReminderDelayDays = 60;
    public const int MaxClosingDelayDays = 120;

    /// <summary>The French errors of these settings, in the order of the form; empty when they are valid.</summary>
    public static IReadOnlyList<ErrorItem> Check(Settings s)
    {
        var errors = new List<ErrorItem>();
        void Error(string path, string message) => errors.Add(new ErrorItem(path, null, message));
        if (string.IsNullOrWhiteSpace(s.Label) || s.Label.Length > MaxLabelLength)
            Error("label", $"Indiquez le libellé ({MaxLabelLength} caractères au plus).");
        if (s.FlatAmount is not { } amount || amount <= 0 || decimal.Round(amount, 2) != amount)
            Error("flatAmount", "Le forfait doit être un montant positif au centime.");
        if (s.AdvanceSharePercent is not { } share || share <= 0 || share >= 100)
            Error("advanceShare", "La part d'avance doit être un pourcentage entre 0 et 100.");
        if (s.AdvanceOpensAt is null || s.AdvanceClosesAt is null || s.AdvanceOpensAt >= s.AdvanceClosesAt)
            Error("advanceWindow", "La fenêtre des avances doit s'ouvrir avant de se fermer.");
        if (s.BalanceOpensAt is null || s.BalanceClosesAt is null || s.BalanceOpensAt >= s.BalanceClosesAt)
            Error("balanceWindow", "La fenêtre des soldes doit s'ouvrir avant de se fermer.");
        if (ValidClientIdTypes(s.ClientIdTypes).Count == 0)
            Error("clientIdTypes", "Acceptez au moins un type d'identifiant client.");
        if (s.ReminderDelayDays is not { } reminder || reminder < MinReminderDelayDays || reminder > MaxReminderDelayDays)
            Error("reminderDelayDays", $"Le délai de relance doit être compris entre {MinReminderDelayDays} et {MaxReminderDelayDays} jours.");
        if (s.ClosingDelayDays is null || s.ClosingDelayDays <= s.ReminderDelayDays || s.ClosingDelayDays > MaxClosingDelayDays)
            Error("closingDelayDays", $"Le délai de clôture doit dépasser celui de la relance ({MaxClosingDelayDays} jours au plus).");
        if (!s.ContactEditable && !s.AttachmentsMayBeAdded)
            Error("editable", "Une demande de modification doit pouvoir porter sur au moins un élément.");
        return errors;
    }

    /// <summary>
    /// Applies checked settings (windows converted from Paris time); the values are no longer demonstration values.
    /// Throws <see cref="Refusal"/> (Invalid, every error) and changes nothing when they are not valid.
    /// Rounds already open keep the delays they were opened with.
    /// </summary>
    public void Apply(Settings s)
    {
        var errors = Check(s);
        if (errors.Count > 0) throw Refusal.Invalid(errors);
        Label = s.Label!.Trim();
        FlatAmount = s.FlatAmount!.Value;
        AdvanceShare = s.AdvanceSharePercent!.Value / 100m;
        AdvanceOpensAt = ParisCalendar.ParisToUtc(s.AdvanceOpensAt!.Value);
        AdvanceClosesAt = ParisCalendar.ParisToUtc(s.AdvanceClosesAt!.Value);
        BalanceOpensAt = ParisCalendar.ParisToUtc(s.BalanceOpensAt!.Value);
        BalanceClosesAt = ParisCalendar.ParisToUtc(s.BalanceClosesAt!.Value);
        AcceptedClientIdTypes = string.Join(",", ValidClientIdTypes(s.ClientIdTypes));
        ReminderDelayDays = s.ReminderDelayDays!.Value;
        ClosingDelayDays = s.ClosingDelayDays!.Value;
        EditableFields = s.ContactEditable ? EditableField.ContactSupport : "";
        AttachmentsMayBeAdded = s.AttachmentsMayBeAdded;
        IsDemoValues = false;
    }

    /// <summary>The known client identifier codes among those given, once each, in the order given.</summary>
    private static List<string> ValidClientIdTypes(IEnumerable<string> codes) =>
        codes.Where(t => Codes.TryParseClientIdType(t, out _)).Distinct().ToList();

    private static IEnumerable<string> Split(string csv) =>
        csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
