namespace Guichet.Domain;

/// <summary>One French error: where (JSON path), for which request, what. The field names are the API contract.</summary>
public sealed record ErrorItem(string Chemin, string? ReferenceFournisseur, string Message);

/// <summary>Why an action was refused; the pages and the API each turn it into their answer in one place.</summary>
public enum RefusalKind
{
    /// <summary>Bad input: a missing comment, an invalid value, a malformed body.</summary>
    Invalid,
    /// <summary>Missing, or not visible to the caller (the same answer, so nothing leaks).</summary>
    NotFound,
    /// <summary>The caller's role does not allow the action.</summary>
    Forbidden,
    /// <summary>The request's state does not allow it, or it changed meanwhile.</summary>
    Conflict,
    /// <summary>A body or a file over its limit.</summary>
    TooLarge,
    /// <summary>A body of a type the address does not take (e.g. not a multipart form).</summary>
    Unsupported,
}

/// <summary>
/// The one way an action says no: a French message per error, with its JSON path. Nothing was changed.
/// Thrown by the entity's guards and by the request actions; never caught to be ignored.
/// </summary>
public sealed class Refusal : Exception
{
    public RefusalKind Kind { get; }
    public IReadOnlyList<ErrorItem> Errors { get; }

    public Refusal(RefusalKind kind, IReadOnlyList<ErrorItem> errors) : base(errors.Count > 0 ? errors[0].Message : "Action refusée.")
    {
        Kind = kind;
        Errors = errors.Count > 0 ? errors : [new ErrorItem("$", null, Message)];
    }

    public Refusal(RefusalKind kind, string message, string path = "$") : this(kind, [new ErrorItem(path, null, message)]) { }

    public static Refusal Invalid(string message, string path = "$") => new(RefusalKind.Invalid, message, path);
    public static Refusal Invalid(IReadOnlyList<ErrorItem> errors) => new(RefusalKind.Invalid, errors);
    public static Refusal Conflict(string message) => new(RefusalKind.Conflict, message);
    public static Refusal NotFound(string message) => new(RefusalKind.NotFound, message);
    public static Refusal Forbidden(string message) => new(RefusalKind.Forbidden, message);
    public static Refusal TooLarge(string message, string path = "$") => new(RefusalKind.TooLarge, message, path);
    public static Refusal Unsupported(string message) => new(RefusalKind.Unsupported, message);

    public static Refusal WrongStatus(RequestStatus current, string action, params RequestStatus[] wanted) =>
        Conflict($"Action « {action} » impossible : la demande est au statut « {current.Label()} » ; "
            + $"cette action exige le statut « {string.Join(" » ou « ", wanted.Select(w => w.Label()))} ».");
}

/// <summary>Who did something: a user (with the role they acted in) or the system.</summary>
public sealed record Actor(string Name, string Role, string? UserId)
{
    public static readonly Actor System = new("Système", "Système", null);
}
