namespace Guichet.Domain;

public enum RoundOutcome { Confirmed, Declined, Cancelled, Expired }

/// <summary>
/// A modification round (« A modifier »): the manager's comment and items, the deadlines and the vendor's draft.
/// Day J is the Paris date the round opened; the reminder is due at J+10 00:00 and the closing at J+20 00:00 (Paris).
/// </summary>
public class ModificationRound
{
    public long Id { get; private set; }
    public long FundingRequestId { get; private set; }
    public DateTime OpenedAt { get; private set; }
    public string OpenedBy { get; private set; } = "";
    public string OpenedByRole { get; private set; } = "";
    /// <summary>Opened by support « à la demande du fournisseur ».</summary>
    public bool AtVendorRequest { get; private set; }
    public string Comment { get; private set; } = "";
    /// <summary>Items to modify: editable field paths and « piece:TYPE » codes.</summary>
    public List<string> Items { get; private set; } = [];
    public int ReminderDelayDays { get; private set; }
    public int ClosingDelayDays { get; private set; }
    public DateTime ReminderDueAt { get; private set; }
    public DateTime ClosingDueAt { get; private set; }
    public DateTime? ReminderSentAt { get; private set; }
    public DateTime? ClosedAt { get; private set; }
    public RoundOutcome? Outcome { get; private set; }
    /// <summary>The vendor's unconfirmed field values, by field path.</summary>
    public Dictionary<string, string> Draft { get; private set; } = [];
    public DateTime? DraftUpdatedAt { get; private set; }

    private ModificationRound() { }

    internal static ModificationRound Open(Actor actor, string comment, IEnumerable<string> items, FundingScheme scheme, DateTime now, bool atVendorRequest)
    {
        var day = ParisCalendar.DateOf(now);
        return new ModificationRound
        {
            OpenedAt = now, OpenedBy = actor.Name, OpenedByRole = actor.Role, AtVendorRequest = atVendorRequest,
            Comment = comment.Trim(), Items = items.Distinct().ToList(),
            ReminderDelayDays = scheme.ReminderDelayDays, ClosingDelayDays = scheme.ClosingDelayDays,
            ReminderDueAt = ParisCalendar.StartOfDayUtc(day.AddDays(scheme.ReminderDelayDays)),
            ClosingDueAt = ParisCalendar.StartOfDayUtc(day.AddDays(scheme.ClosingDelayDays)),
        };
    }

    public bool IsOpen => ClosedAt is null;

    public IEnumerable<string> FieldItems => Items.Where(i => !EditableField.IsDocumentItem(i));

    public IEnumerable<DocumentType> DocumentItems => Items
        .Select(i => EditableField.TryParseDocumentItem(i, out var t) ? (DocumentType?)t : null)
        .OfType<DocumentType>();

    /// <summary>The last Paris calendar day on which the vendor may still modify.</summary>
    public DateOnly LastDay => ParisCalendar.DateOf(ClosingDueAt).AddDays(-1);

    /// <summary>Whole Paris calendar days left before the closing, counting today; 0 once closed.</summary>
    public int DaysLeft(DateTime now) =>
        Math.Max(0, ParisCalendar.DateOf(ClosingDueAt).DayNumber - ParisCalendar.DateOf(now).DayNumber);

    internal void SetDraft(string field, string? value, DateTime now)
    {
        if (value is null) Draft.Remove(field); else Draft[field] = value;
        Draft = new Dictionary<string, string>(Draft); // new instance so the JSON column is seen as changed
        DraftUpdatedAt = now;
    }

    internal void Touch(DateTime now) => DraftUpdatedAt = now;

    internal void Close(RoundOutcome outcome, DateTime now)
    {
        Outcome = outcome;
        ClosedAt = now;
        if (outcome != RoundOutcome.Confirmed) Draft = [];
    }

    /// <summary>
    /// Records the reminder; the closing never comes sooner than (closing − reminder) days after it,
    /// so that a reminder delayed by an outage still leaves the vendor its full notice.
    /// </summary>
    internal void RecordReminder(DateTime now)
    {
        ReminderSentAt = now;
        var earliest = ParisCalendar.StartOfDayUtc(ParisCalendar.DateOf(now).AddDays(ClosingDelayDays - ReminderDelayDays));
        if (earliest > ClosingDueAt) ClosingDueAt = earliest;
    }
}
