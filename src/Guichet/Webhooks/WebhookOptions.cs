using System.ComponentModel.DataAnnotations;

namespace Guichet.Webhooks;

/// <summary>The <c>Webhooks</c> section (README, configuration table).</summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    /// <summary>Allows http:// and loopback addresses (development and tests only); private and link-local addresses stay refused.</summary>
    public bool AllowLoopback { get; set; }

    [Range(1, 30, ErrorMessage = "Webhooks:TimeoutSeconds doit être compris entre 1 et 30 secondes.")]
    public int TimeoutSeconds { get; set; } = 10;

    [Range(1, 720, ErrorMessage = "Webhooks:RotationHours doit être compris entre 1 et 720 heures.")]
    public int RotationHours { get; set; } = 24;

    [Range(3, 30, ErrorMessage = "Webhooks:RetryDays doit être compris entre 3 et 30 jours.")]
    public int RetryDays { get; set; } = 3;

    [Range(1, 720, ErrorMessage = "Webhooks:PauseAfterHours doit être compris entre 1 et 720 heures.")]
    public int PauseAfterHours { get; set; } = 72;

    [Range(1, 500, ErrorMessage = "Webhooks:BatchSize doit être compris entre 1 et 500.")]
    public int BatchSize { get; set; } = 20;

    [Range(10, 3600, ErrorMessage = "Webhooks:LeaseSeconds doit être compris entre 10 et 3 600 secondes.")]
    public int LeaseSeconds { get; set; } = 120;

    [Range(1, 3600, ErrorMessage = "Webhooks:PeriodSeconds doit être compris entre 1 et 3 600 secondes.")]
    public int PeriodSeconds { get; set; } = 5;

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);
    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A send never outlives its lease: the lease is taken before the post and not renewed during it.
        if (LeaseSeconds < 3 * TimeoutSeconds)
            yield return new ValidationResult("Webhooks:LeaseSeconds doit valoir au moins trois fois Webhooks:TimeoutSeconds.");
    }
}
