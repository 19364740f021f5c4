using System.Text.Json;

namespace Guichet.Webhooks;

/// <summary>The request an event is about, in the API's French field names.</summary>
public sealed record DemandeEvenementDto(string Numero, string ReferenceFournisseur, string? StatutAvant, string? StatutApres);

/// <summary>
/// An event as integrators see it, the same in the feed and in a webhook's body: <c>id</c> (stable across retries and
/// replays), <c>type</c>, <c>date</c>, <c>curseur</c> (the feed's position; null for a test event), the request, and <c>details</c>.
/// </summary>
public sealed record EvenementIntegrationDto(string Id, string Type, DateTime Date, string? Curseur, DemandeEvenementDto? Demande, JsonElement Details);

public static class EventBody
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string IdOf(PortalEvent e) => $"evt_{e.Id}";

    public static EvenementIntegrationDto ToDto(this PortalEvent e)
    {
        using var details = JsonDocument.Parse(e.Details);
        return new(IdOf(e), e.Type, e.At, e.Position?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            e.RequestNumber is null ? null : new DemandeEvenementDto(e.RequestNumber, e.VendorReference ?? "", e.FromStatus, e.ToStatus),
            details.RootElement.Clone());
    }

    /// <summary>The exact bytes a webhook posts (and signs).</summary>
    public static byte[] Serialize(PortalEvent e) => JsonSerializer.SerializeToUtf8Bytes(e.ToDto(), Json);
}
