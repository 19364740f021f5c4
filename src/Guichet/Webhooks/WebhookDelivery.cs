namespace Guichet.Webhooks;

public enum DeliveryState { Pending, Delivered, Failed }

/// <summary>
/// One event to deliver to one subscription, written with the event (or by « Rejouer », « Envoyer un événement de test »).
/// The dispatcher claims it by lease, as the e-mail one does, and only the lease's holder marks it.
/// </summary>
public class WebhookDelivery
{
    public long Id { get; private set; }
    public long EventId { get; private set; }
    public PortalEvent? Event { get; private set; }
    public long SubscriptionId { get; private set; }
    public WebhookSubscription? Subscription { get; private set; }
    /// <summary>Copied from the event: a request's later delivery waits while an earlier one (lower <see cref="Order"/>) is pending.</summary>
    public string? RequestNumber { get; private set; }
    public long Order { get; private set; }
    public DeliveryState State { get; private set; }
    public int Attempts { get; private set; }
    public DateTime CreatedAt { get; private set; }
    public DateTime NextAttemptAt { get; private set; }
    public DateTime? DeliveredAt { get; private set; }
    /// <summary>When the first attempt was made: retries stop <c>Webhooks:RetryDays</c> after it.</summary>
    public DateTime? FirstAttemptAt { get; private set; }
    public int? LastStatusCode { get; private set; }
    public Guid? LeaseToken { get; private set; }
    public DateTime? LeaseUntil { get; private set; }

    private WebhookDelivery() { }

    public static WebhookDelivery For(PortalEvent evt, long subscriptionId, DateTime now) => new()
    {
        Event = evt, EventId = evt.Id, SubscriptionId = subscriptionId, RequestNumber = evt.RequestNumber,
        Order = evt.Position ?? 0, State = DeliveryState.Pending, CreatedAt = now, NextAttemptAt = now,
    };

    public string StateCode => State switch
    {
        DeliveryState.Pending => "EN_ATTENTE",
        DeliveryState.Delivered => "LIVREE",
        _ => "ECHEC_DEFINITIF",
    };
}

/// <summary>One try of a delivery: when, the HTTP status (null when none came), how long, the first bytes of the answer.</summary>
public class WebhookAttempt
{
    public long Id { get; private set; }
    public long DeliveryId { get; private set; }
    public long SubscriptionId { get; private set; }
    public long EventId { get; private set; }
    public DateTime At { get; private set; }
    public int? StatusCode { get; private set; }
    public int DurationMs { get; private set; }
    public string? Response { get; private set; }
    public string? Error { get; private set; }

    private WebhookAttempt() { }

    public const int ResponseExcerpt = 500;

    public static WebhookAttempt Of(WebhookDelivery delivery, DateTime at, int? status, TimeSpan duration, string? response, string? error) => new()
    {
        DeliveryId = delivery.Id, SubscriptionId = delivery.SubscriptionId, EventId = delivery.EventId, At = at, StatusCode = status,
        DurationMs = (int)Math.Min(int.MaxValue, duration.TotalMilliseconds),
        Response = response is { Length: > ResponseExcerpt } ? response[..ResponseExcerpt] : response,
        Error = error is { Length: > 1000 } ? error[..1000] : error,
    };

    public bool Succeeded => StatusCode is >= 200 and < 300;
}
