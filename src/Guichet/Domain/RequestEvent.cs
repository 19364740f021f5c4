namespace Guichet.Domain;

/// <summary>
/// What happened to a request, as integrators are told of it (webhooks and the events feed). Each transition of
/// <see cref="FundingRequest"/> names its event on the history line it writes; a line without one tells nobody.
/// </summary>
public enum RequestEvent
{
    Created, Completed, RoundOpened, Reminded, ModificationConfirmed, ModificationDeclined, RoundExpired, RoundCancelled,
    Validated, Rejected, Paid,
}
