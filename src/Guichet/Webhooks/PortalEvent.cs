using System.Text.Json;
using Guichet.Domain;

namespace Guichet.Webhooks;

/// <summary>
/// One event told to a vendor's systems (webhooks and the feed <c>/api/v1/evenements</c>), written in the same transaction
/// as the change it tells of. <see cref="Position"/> is the organisation's cursor: allocated under a row lock just before
/// the commit, so positions become visible in order and a reader of « after N » never skips one. A test event has none.
/// </summary>
public class PortalEvent
{
    public long Id { get; private set; }
    public int OrganisationId { get; private set; }
    /// <summary>1, 2, 3… per organisation, in commit order; null for a test event (never in the feed).</summary>
    public long? Position { get; internal set; }
    /// <summary>Its code, e.g. « demande.a_modifier » (<see cref="EventTypes"/>).</summary>
    public string Type { get; private set; } = "";
    public string? RequestNumber { get; private set; }
    public string? VendorReference { get; private set; }
    public string? FromStatus { get; private set; }
    public string? ToStatus { get; private set; }
    public DateTime At { get; private set; }
    /// <summary>What the event is about, as a JSON object with French field names.</summary>
    public string Details { get; private set; } = "{}";

    private PortalEvent() { }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The event of a history line, with what an integrator needs to act on it without asking again.</summary>
    internal static PortalEvent Of(FundingRequest request, HistoryEntry line, RequestEvent kind)
    {
        var details = new Dictionary<string, object?>();
        var round = kind is RequestEvent.RoundOpened or RequestEvent.Reminded
            ? request.OpenRound
            : request.LastClosedRound;
        switch (kind)
        {
            case RequestEvent.Created:
                details["type"] = request.Type.Code();
                details["dispositif"] = request.SchemeCode;
                details["montant"] = request.Amount;
                break;
            case RequestEvent.Completed:
                details["piecesAjoutees"] = line.DocumentsAdded;
                break;
            case RequestEvent.RoundOpened or RequestEvent.Reminded:
                details["commentaire"] = round?.Comment;
                details["elements"] = round?.Items;
                details["dateRelance"] = round?.ReminderDueAt;
                details["dateLimite"] = round?.ClosingDueAt;
                break;
            case RequestEvent.ModificationConfirmed:
                details["champsModifies"] = line.Changes.Select(c => new { champ = c.Field, avant = c.Before, apres = c.After }).ToList();
                details["piecesAjoutees"] = line.DocumentsAdded;
                break;
            case RequestEvent.RoundCancelled:
                details["commentaire"] = line.Comment;
                break;
            case RequestEvent.Rejected:
                details["motif"] = line.Comment;
                break;
        }
        return new PortalEvent
        {
            OrganisationId = request.OrganisationId, Type = EventTypes.Code(kind), RequestNumber = request.Number,
            VendorReference = request.VendorReference, FromStatus = line.FromStatus?.Code(), ToStatus = line.ToStatus?.Code(),
            At = line.At, Details = JsonSerializer.Serialize(details, Json),
        };
    }

    /// <summary>« depot.termine »: a deposit of the organisation was stored, with its counts.</summary>
    public static PortalEvent DepositFinished(int organisationId, int count, int enCours, int incompletes, DateTime at) => new()
    {
        OrganisationId = organisationId, Type = EventTypes.DepositFinished, At = at,
        Details = JsonSerializer.Serialize(new { nombreDemandes = count, enCours, incompletes }, Json),
    };

    /// <summary>« test »: what « Envoyer un événement de test » sends; it is never in the feed.</summary>
    public static PortalEvent Test(int organisationId, DateTime at) => new()
    {
        OrganisationId = organisationId, Type = EventTypes.Test, At = at,
        Details = JsonSerializer.Serialize(new { message = "Événement de test envoyé depuis Guichet." }, Json),
    };
}
