namespace Guichet.Domain;

/// <summary>
/// A refused business operation; its message is French and shown to the user as is. A validation error (missing
/// comment, items or reason) is bad input (400); any other refusal conflicts with the request's state (409).
/// </summary>
public sealed class DomainException(string message, bool isValidationError = false) : Exception(message)
{
    public bool IsValidationError => isValidationError;

    public static DomainException Invalid(string message) => new(message, isValidationError: true);

    public static DomainException WrongStatus(RequestStatus current, string action, params RequestStatus[] wanted) =>
        new($"Action « {action} » impossible : la demande est au statut « {current.Label()} » ; "
            + $"cette action exige le statut « {string.Join(" » ou « ", wanted.Select(w => w.Label()))} ».");
}

/// <summary>Who did something: a user (with the role they acted in) or the system.</summary>
public sealed record Actor(string Name, string Role, string? UserId)
{
    public static readonly Actor System = new("Système", "Système", null);
}
