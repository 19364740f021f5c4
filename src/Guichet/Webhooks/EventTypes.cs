using Guichet.Domain;

namespace Guichet.Webhooks;

/// <summary>The event codes integrators subscribe to (docs/integration.md).</summary>
public static class EventTypes
{
    public const string DepositFinished = "depot.termine";
    public const string Test = "test";

    public static string Code(RequestEvent kind) => kind switch
    {
        RequestEvent.Created => "demande.creee",
        RequestEvent.Completed => "demande.completee",
        RequestEvent.RoundOpened => "demande.a_modifier",
        RequestEvent.Reminded => "demande.relance",
        RequestEvent.ModificationConfirmed => "demande.modification_confirmee",
        RequestEvent.ModificationDeclined => "demande.modification_declinee",
        RequestEvent.RoundExpired => "demande.cloture_delai",
        RequestEvent.RoundCancelled => "demande.modification_annulee",
        RequestEvent.Validated => "demande.validee",
        RequestEvent.Rejected => "demande.rejetee",
        RequestEvent.Paid => "demande.payee",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Every type a subscription may ask for, in the order of a request's life.</summary>
    public static readonly IReadOnlyList<string> All = [DepositFinished, .. Enum.GetValues<RequestEvent>().Select(Code)];
}
