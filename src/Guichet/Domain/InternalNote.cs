namespace Guichet.Domain;

public enum InternalNoteKind { Note, Assignment }

/// <summary>
/// A « note interne » on a request, between agency users: a written note, or a line recording an assignment. Kept apart
/// from the history that the vendor reads, so no vendor page, API answer or e-mail can show it.
/// </summary>
public class InternalNote
{
    public long Id { get; private set; }
    public long FundingRequestId { get; private set; }
    public DateTime At { get; private set; }
    public string AuthorName { get; private set; } = "";
    public string AuthorRole { get; private set; } = "";
    public string? AuthorUserId { get; private set; }
    public InternalNoteKind Kind { get; private set; }
    public string Text { get; private set; } = "";

    private InternalNote() { }

    internal static InternalNote Create(Actor author, DateTime at, InternalNoteKind kind, string text) => new()
    {
        At = at, AuthorName = author.Name, AuthorRole = author.Role, AuthorUserId = author.UserId, Kind = kind, Text = text,
    };
}
