using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Guichet.Telemetry;

/// <summary>
/// Guichet's own traces and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both « Guichet », and the
/// instruments the code paths record into (docs/exploitation.md#métriques-et-alertes lists them). Static, so that the
/// deposit, the dispatcher, the sweep and the scanner record in one line whoever built them; nothing is kept when no
/// exporter listens. The gauges that read the database are per app (<see cref="StateGauges"/>).
/// </summary>
public static class GuichetTelemetry
{
    public const string Name = "Guichet";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> DepositsCompleted = Meter.CreateCounter<long>("guichet.deposits.completed", "{deposit}",
        "Dépôts terminés, par issue (ok, refused, failed).");
    private static readonly Histogram<int> DepositRequests = Meter.CreateHistogram("guichet.deposits.requests", "{request}",
        "Demandes par dépôt traité (accepté ou refusé).", tags: null,
        new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000] });
    private static readonly Histogram<double> DepositDuration = Meter.CreateHistogram("guichet.deposits.duration", "s",
        "Durée de traitement d'un dépôt, par issue.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] });
    private static readonly Counter<long> EmailsSent = Meter.CreateCounter<long>("guichet.emails.sent", "{email}", "E-mails envoyés.");
    private static readonly Counter<long> EmailsFailed = Meter.CreateCounter<long>("guichet.emails.failed", "{email}",
        "Envois d'e-mails échoués (chaque tentative ; le message sera retenté).");
    private static readonly Counter<long> Reminders = Meter.CreateCounter<long>("guichet.deadlines.reminders", "{request}", "Relances J+10 faites.");
    private static readonly Counter<long> Closings = Meter.CreateCounter<long>("guichet.deadlines.closings", "{request}", "Clôtures J+20 faites.");
    private static readonly Counter<long> Scans = Meter.CreateCounter<long>("guichet.scans", "{file}",
        "Fichiers soumis à l'antivirus, par résultat (clean, infected, unavailable).");

    private static readonly Counter<long> WebhookAttempts = Meter.CreateCounter<long>("guichet.webhooks.attempts", "{attempt}",
        "Tentatives de livraison de webhooks, par résultat (delivered, retry, failed : échec définitif).");

    /// <summary>A deposit ended with a verdict: « ok » (written) or « refused » (errors, nothing written).</summary>
    public static void DepositDone(bool valid, int requests, long startedAt)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", valid ? "ok" : "refused");
        DepositsCompleted.Add(1, outcome);
        DepositRequests.Record(requests, outcome);
        DepositDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, outcome);
    }

    /// <summary>A deposit ended without a verdict (scanner away, database error…): nothing was written.</summary>
    public static void DepositFailed(long startedAt)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", "failed");
        DepositsCompleted.Add(1, outcome);
        DepositDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, outcome);
    }

    /// <summary>Deposits whose process died (or lost them) closed as failed by the takeover: their duration is unknown.</summary>
    public static void DepositsInterrupted(int count)
    {
        if (count > 0) DepositsCompleted.Add(count, new KeyValuePair<string, object?>("outcome", "failed"));
    }

    public static void EmailSent() => EmailsSent.Add(1);
    public static void EmailFailed() => EmailsFailed.Add(1);

    /// <summary>One sweep run; zeros too, so that the series exist from the first run.</summary>
    public static void Swept(int reminders, int closings)
    {
        Reminders.Add(reminders);
        Closings.Add(closings);
    }

    /// <summary>One file scanned: « clean », « infected », or « unavailable » when clamd gave no verdict.</summary>
    public static void Scanned(string result) => Scans.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>One delivery attempt: « delivered » (2xx), « retry » (will be tried again) or « failed » (« échec définitif »).</summary>
    public static void WebhookAttempted(string result) => WebhookAttempts.Add(1, new KeyValuePair<string, object?>("result", result));
}
