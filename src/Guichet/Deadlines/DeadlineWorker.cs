using System.ComponentModel.DataAnnotations;
using Guichet.Hosting;
using Microsoft.Extensions.Options;

namespace Guichet.Deadlines;

/// <summary>Section « Deadlines »: how often the portal runs the deadline sweep.</summary>
public sealed class DeadlinesOptions
{
    public const string Section = "Deadlines";

    /// <summary>Seconds between two sweeps (5 seconds to one day).</summary>
    [Range(5, 86_400, ErrorMessage = "Deadlines:IntervalSeconds doit être compris entre 5 et 86 400 secondes.")]
    public int IntervalSeconds { get; set; } = 60;
}

/// <summary>Runs the sweep every minute (Deadlines:IntervalSeconds) when Workers:Enabled; the cron-friendly verb is <c>sweep</c>.</summary>
public sealed class DeadlineWorker(IServiceScopeFactory scopes, IOptions<WorkersOptions> workers, IOptions<DeadlinesOptions> options,
    ILogger<DeadlineWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workers.Value.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.IntervalSeconds));
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                await scope.ServiceProvider.GetRequiredService<DeadlineSweep>().RunAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Le traitement des échéances a échoué ; nouvel essai au prochain passage.");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
