using System.Security.Cryptography;
using Guichet.Domain;

namespace Guichet.Webhooks;

/// <summary>
/// An endpoint of a vendor organisation: its URL, the event types it wants, active or paused, and its signing secret
/// (Standard Webhooks « whsec_… »). A rotation keeps the previous secret valid, and signed with, until <see cref="PreviousSecretUntil"/>.
/// </summary>
public class WebhookSubscription
{
    public long Id { get; private set; }
    public int OrganisationId { get; private set; }
    public string Url { get; private set; } = "";
    public List<string> Types { get; private set; } = [];
    public bool Active { get; private set; }
    public string Secret { get; private set; } = "";
    public string? PreviousSecret { get; private set; }
    public DateTime? PreviousSecretUntil { get; private set; }
    public DateTime CreatedAt { get; private set; }
    public DateTime UpdatedAt { get; private set; }
    /// <summary>Since when every attempt has failed; null after a success.</summary>
    public DateTime? FailingSince { get; private set; }
    /// <summary>Why the portal paused it (long failure); null when a person did, or when active.</summary>
    public string? PauseReason { get; private set; }

    private WebhookSubscription() { }

    public static WebhookSubscription Create(int organisationId, string url, IReadOnlyCollection<string>? types, bool active, DateTime now) => new()
    {
        OrganisationId = organisationId, Url = url, Types = CheckTypes(types), Active = active, Secret = NewSecret(),
        CreatedAt = now, UpdatedAt = now,
    };

    public void Change(string? url, IReadOnlyCollection<string>? types, bool? active, DateTime now)
    {
        if (url is not null) Url = url;
        if (types is not null) Types = CheckTypes(types);
        if (active is { } a && a != Active)
        {
            Active = a;
            PauseReason = null;
            FailingSince = null;
        }
        UpdatedAt = now;
    }

    /// <summary>A new secret; the current one stays valid (and signed with) for <paramref name="overlap"/>.</summary>
    public void RotateSecret(TimeSpan overlap, DateTime now)
    {
        PreviousSecret = Secret;
        PreviousSecretUntil = now + overlap;
        Secret = NewSecret();
        UpdatedAt = now;
    }

    /// <summary>The secrets a delivery is signed with now: the current one, and the previous one during a rotation.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTime now) =>
        PreviousSecret is not null && PreviousSecretUntil > now ? [Secret, PreviousSecret] : [Secret];

    public bool Wants(string type) => Types.Contains(type);

    // The streak ends with the next success, marked in bulk by WebhookDispatcher.RecordDeliveredAsync.
    internal void RecordFailure(DateTime now) => FailingSince ??= now;

    internal void PauseAfterFailures(string reason, DateTime now)
    {
        Active = false;
        PauseReason = reason;
        UpdatedAt = now;
    }

    /// <summary>The types asked for, refused in French when empty or unknown.</summary>
    public static List<string> CheckTypes(IReadOnlyCollection<string>? types)
    {
        if (types is null || types.Count == 0)
            throw Refusal.Invalid("Choisissez au moins un type d'événement.", "$.types");
        foreach (var t in types)
            if (!EventTypes.All.Contains(t))
                throw Refusal.Invalid($"Le type d'événement « {Hosting.Fr.Clip(t ?? "", 60)} » n'existe pas. Types possibles : {string.Join(", ", EventTypes.All)}.", "$.types");
        return types.Distinct().ToList();
    }

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
