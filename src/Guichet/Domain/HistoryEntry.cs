namespace Guichet.Domain;

/// <summary>One line of a request's append-only history.</summary>
public class HistoryEntry
{
    public long Id { get; private set; }
    public long FundingRequestId { get; private set; }
    public DateTime At { get; private set; }
    public string ActorName { get; private set; } = "";
    public string ActorRole { get; private set; } = "";
    public string? ActorUserId { get; private set; }
    /// <summary>What happened, in French, e.g. « Demande de modification ».</summary>
    public string Event { get; private set; } = "";
    public RequestStatus? FromStatus { get; private set; }
    public RequestStatus? ToStatus { get; private set; }
    public string? Comment { get; private set; }
    public List<FieldChange> Changes { get; private set; } = [];
    /// <summary>File names of the attachments added by this event.</summary>
    public List<string> DocumentsAdded { get; private set; } = [];
    /// <summary>The event this line tells integrators of (not stored: read once, when the line is saved, to write its event).</summary>
    public RequestEvent? Kind { get; private set; }

    private HistoryEntry() { }

    internal static HistoryEntry Create(Actor actor, DateTime at, string evt, RequestStatus? from, RequestStatus? to,
        string? comment = null, IEnumerable<FieldChange>? changes = null, IEnumerable<string>? documents = null, RequestEvent? kind = null) => new()
    {
        Kind = kind,
        At = at, ActorName = actor.Name, ActorRole = actor.Role, ActorUserId = actor.UserId, Event = evt,
        FromStatus = from, ToStatus = to, Comment = comment,
        Changes = changes?.ToList() ?? [], DocumentsAdded = documents?.ToList() ?? [],
    };
}

public sealed record FieldChange(string Field, string? Before, string? After);
