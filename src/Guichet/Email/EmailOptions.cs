using MimeKit;

namespace Guichet.Email;

/// <summary>
/// Section « Email ». Without <c>Email:Smtp:Host</c> the messages are written as .eml files to the pickup directory
/// (the default); with it they are sent over SMTP.
/// </summary>
public sealed class EmailOptions
{
    public string PickupDirectory { get; set; } = "data/mail";
    public string From { get; set; } = "Guichet Ségur numérique <ne-pas-repondre@guichet.localhost>";
    /// <summary>Base address of the portal, for the links in the messages.</summary>
    public string PortalUrl { get; set; } = "http://localhost:5000";
    public SmtpOptions Smtp { get; set; } = new();
    public EmailDispatchOptions Dispatch { get; set; } = new();

    public bool UsesSmtp => !string.IsNullOrWhiteSpace(Smtp.Host);

    /// <summary>French messages for every invalid value; empty when valid.</summary>
    public IEnumerable<string> Errors()
    {
        if (!MailboxAddress.TryParse(From, out _)) yield return $"Email:From n'est pas une adresse valide : « {From} ».";
        if (!Uri.TryCreate(PortalUrl, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
            yield return $"Email:PortalUrl doit être une adresse http(s) absolue : « {PortalUrl} ».";
        if (UsesSmtp && Smtp.Port is < 1 or > 65535) yield return "Email:Smtp:Port doit être compris entre 1 et 65535.";
        if (!UsesSmtp && string.IsNullOrWhiteSpace(PickupDirectory))
            yield return "Email:PickupDirectory est obligatoire quand Email:Smtp:Host n'est pas renseigné.";
        if (Dispatch.BatchSize is < 1 or > 1000) yield return "Email:Dispatch:BatchSize doit être compris entre 1 et 1 000.";
        if (Dispatch.LeaseSeconds is < 1 or > 86_400) yield return "Email:Dispatch:LeaseSeconds doit être compris entre 1 et 86 400.";
        if (Dispatch.PeriodSeconds is < 1 or > 3_600) yield return "Email:Dispatch:PeriodSeconds doit être compris entre 1 et 3 600.";
        if (Dispatch.Connections is < 1 or > 32) yield return "Email:Dispatch:Connections doit être compris entre 1 et 32.";
    }
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public string? UserName { get; set; }
    public string? Password { get; set; }
    /// <summary>None, Auto (STARTTLS when offered), StartTls or SslOnConnect.</summary>
    public MailKit.Security.SecureSocketOptions Security { get; set; } = MailKit.Security.SecureSocketOptions.Auto;
    public int TimeoutSeconds { get; set; } = 30;
}

/// <summary>Section « Email:Dispatch »: how the dispatcher takes messages from the outbox (docs/regles.md#e-mails).</summary>
public sealed class EmailDispatchOptions
{
    /// <summary>
    /// Messages claimed at a time. A claim costs two statements: in a batch of 10, each message paid a fifth of its own
    /// « sent » mark again. A broken server releases the rest of a batch at once; a crash holds at most this many per
    /// connection until their lease expires (docs/architecture.md#e-mails).
    /// </summary>
    public int BatchSize { get; set; } = 50;
    /// <summary>How long a claimed message stays reserved to its dispatcher without being renewed (renewed before and during its send).</summary>
    public int LeaseSeconds { get; set; } = 300;
    /// <summary>Pause of the background loop between two runs (doubled after each failure in a row, a minute at most).</summary>
    public int PeriodSeconds { get; set; } = 5;
    /// <summary>
    /// Dispatchers an instance runs side by side, each with its own SMTP connection and its own claims (as that many
    /// instances would): a crash resends at most one message per connection, the one the relay was accepting.
    /// </summary>
    public int Connections { get; set; } = 4;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);
    public TimeSpan Period => TimeSpan.FromSeconds(PeriodSeconds);
}
