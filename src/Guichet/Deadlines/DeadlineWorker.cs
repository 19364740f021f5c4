using System.ComponentModel.DataAnnotations;
using Guichet.Hosting;
using Microsoft.Extensions.Options;

namespace Guichet.Deadlines;

/// <summary>Section « Deadlines »: how often the portal runs the deadline sweep, and by how many rounds at a time.</summary>
public sealed class DeadlinesOptions
{
    public const string Section = "Deadlines";

    /// <summary>Seconds between two sweeps (5 seconds to one day).</summary>
    [Range(5, 86_400, ErrorMessage = "Deadlines:IntervalSeconds doit être compris entre 5 et 86 400 secondes.")]
    public int IntervalSeconds { get; set; } = 60;

    /// <summary>Due rounds written per transaction (1 to 5 000): smaller batches hold their locks for less time, larger ones go faster.</summary>
    [Range(1, 5_000, ErrorMessage = "Deadlines:BatchSize doit être compris entre 1 et 5 000.")]
    public int BatchSize { get; set; } = DeadlineSweep.DefaultBatchSize;
}

/// <summary>
/// Runs the sweep every minute (Deadlines:IntervalSeconds) when Workers:Enabled; the cron-friendly verb is <c>sweep</c>.
/// Nothing escapes the loop but the host's stop: a failed sweep (the database away, a bug) is logged and tried again
/// after a backoff (<see cref="Backoff"/>), so an outage never stops the loop and the sweep resumes once the database is back.
/// </summary>
public sealed class DeadlineWorker(IServiceScopeFactory scopes, IOptions<WorkersOptions> workers, IOptions<DeadlinesOptions> options,
    ILogger<DeadlineWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workers.Value.Enabled) return;
        var interval = TimeSpan.FromSeconds(options.Value.IntervalSeconds);
        var failures = 0;
        while (true)
        {
            TimeSpan wait;
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<DeadlineSweep>().RunAsync(stoppingToken);
                if (failures > 0) logger.LogWarning("Traitement des échéances rétabli après {Failures} échec(s).", failures);
                failures = 0;
                wait = interval;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                wait = Backoff(failures, interval);
                if (TransientFailures.Is(e))
                    logger.LogWarning("Traitement des échéances impossible : base de données injoignable ou occupée ({Error}) ; "
                        + "nouvel essai dans {Delay} s (échec n° {Failures}).", e.GetBaseException().Message, wait.TotalSeconds, failures);
                else
                    logger.LogError(e, "Le traitement des échéances a échoué ; nouvel essai dans {Delay} s (échec n° {Failures}).",
                        wait.TotalSeconds, failures);
            }
            try { await Task.Delay(wait, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>
    /// The wait after <paramref name="failures"/> failures in a row: 5 s, then doubling, up to the interval and never more
    /// than 5 minutes, so a sweep that was due is not put off by a whole interval (a day at most) after a short outage.
    /// </summary>
    public static TimeSpan Backoff(int failures, TimeSpan interval)
    {
        var cap = Math.Min(interval.TotalSeconds, 300);
        return TimeSpan.FromSeconds(Math.Min(5 * Math.Pow(2, Math.Clamp(failures - 1, 0, 16)), cap));
    }
}
