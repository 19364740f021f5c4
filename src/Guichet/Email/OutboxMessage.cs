namespace Guichet.Email;

/// <summary>The e-mails of docs/regles.md#e-mails. Account e-mails are not tied to a request.</summary>
public enum EmailKind
{
    RoundOpened, Reminder, RoundClosed, ModificationConfirmed, ModificationDeclined, RoundCancelled, Validated, Rejected, Paid,
    AccountCreated, PasswordReset,
    AttachmentQuarantined,
    WebhookPaused,
}

/// <summary>
/// One e-mail waiting in (or sent from) the outbox. Written in the same SaveChanges as the state change it tells of;
/// the dispatcher only claims it (lease), sends it and marks it. Its Message-ID is fixed at enqueue time, so a resend
/// after a crash is recognisable as the same message.
/// </summary>
public class OutboxMessage
{
    public long Id { get; private set; }
    public string MessageId { get; private set; } = "";
    public EmailKind Kind { get; private set; }
    public long? FundingRequestId { get; private set; }
    /// <summary>Set at enqueue so that a request saved in the same SaveChanges gets its id filled in.</summary>
    public Domain.FundingRequest? Request { get; private set; }
    /// <summary>Addresses separated by commas.</summary>
    public string Recipients { get; private set; } = "";
    public string Subject { get; private set; } = "";
    public string HtmlBody { get; private set; } = "";
    public string TextBody { get; private set; } = "";
    public DateTime CreatedAt { get; private set; }
    public int Attempts { get; private set; }
    public DateTime NextAttemptAt { get; private set; }
    public DateTime? SentAt { get; private set; }
    public string? LastError { get; private set; }
    /// <summary>The dispatcher run that holds this message until <see cref="LeaseUntil"/>; null when free.</summary>
    public Guid? LeaseToken { get; private set; }
    public DateTime? LeaseUntil { get; private set; }

    private OutboxMessage() { }

    internal static OutboxMessage Create(EmailKind kind, Domain.FundingRequest? request, IEnumerable<string> recipients, RenderedEmail email, DateTime now) => new()
    {
        MessageId = $"{Guid.NewGuid():N}@guichet.segur-numerique",
        Kind = kind, Request = request, Recipients = string.Join(",", recipients),
        Subject = email.Subject, HtmlBody = email.Html, TextBody = email.Text,
        CreatedAt = now, NextAttemptAt = now,
    };

    public IReadOnlyList<string> RecipientList => Recipients.Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>French label of the sending state, for the support desk.</summary>
    public string StateLabel => SentAt is not null ? "Envoyé"
        : Attempts == 0 ? "En attente d'envoi"
        : $"Échec ({Attempts} tentative{(Attempts > 1 ? "s" : "")}), nouvel essai prévu";

    /// <summary>Retry delay after a failed attempt: 1 min × 2^(attempts − 1), at most one hour.</summary>
    public static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromMinutes(Math.Min(60, Math.Pow(2, Math.Clamp(attempts - 1, 0, 10))));
}

public sealed record RenderedEmail(string Subject, string Html, string Text);
