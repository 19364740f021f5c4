using Guichet.Telemetry;
using Microsoft.Extensions.Options;

namespace Guichet.Hosting;

/// <summary>
/// How the process ends, for a supervisor (systemd, Kubernetes) to act on: 0 after a requested stop; 1 when the portal
/// (or a command) cannot start — database unreachable for the migrations, invalid configuration…; 3 when a background
/// loop failed and stopped the host (<see cref="BackgroundServiceExceptionBehavior.StopHost"/>). Each failure is logged
/// in French, once, as a critical line.
/// </summary>
public static class Lifecycle
{
    public const int StartFailed = 1;
    public const int BackgroundFailed = 3;

    /// <summary>
    /// StopHost, stated rather than left to the default: every loop catches, logs and retries what it can meet (an outage
    /// included, <see cref="TransientFailures"/>), so an exception that still escapes one is a bug that left it stopped.
    /// Serving on without it (Ignore) would silently stop the e-mails or the J+10/J+20 deadlines; stopping the host with a
    /// non-zero code lets the supervisor restart the whole portal and shows the failure.
    /// </summary>
    public static void Configure(HostOptions options) =>
        options.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;

    /// <summary>Logs why the start (or the command <paramref name="verb"/>) failed, and returns the exit code.</summary>
    public static int StartFailure(IConfiguration configuration, Exception error, string? verb, bool started)
    {
        var reason = error switch
        {
            OptionsValidationException o => "configuration invalide : " + o.Message,
            Guichet.Storage.StorageUnavailableException s => "le stockage des pièces est injoignable (" + s.Detail + ")",
            _ when TransientFailures.Is(error) || error is System.Data.Common.DbException =>
                "la base de données est injoignable ou refuse la connexion (" + error.GetBaseException().Message + ")",
            _ => error.Message,
        };
        var what = verb is not null ? $"Commande « {verb} » impossible" : started ? "Arrêt du portail sur une erreur" : "Démarrage impossible";
        Log(configuration, error, "{What} : {Reason}. Code de sortie {Code}.", what, reason, StartFailed);
        return StartFailed;
    }

    /// <summary>After the host stopped: the exit code, <see cref="BackgroundFailed"/> if one of <paramref name="loops"/> failed.</summary>
    public static int AfterRun(IConfiguration configuration, IEnumerable<BackgroundService> loops)
    {
        var failed = loops.Where(l => l.ExecuteTask is { IsFaulted: true }).ToList();
        if (failed.Count == 0) return 0;
        Log(configuration, failed[0].ExecuteTask!.Exception, "Arrêt du portail : la tâche de fond {Loops} a échoué. Code de sortie {Code}.",
            string.Join(", ", failed.Select(l => l.GetType().Name)), BackgroundFailed);
        return BackgroundFailed;
    }

    // A logger of its own: the host's may already be disposed (a failed Run disposes it) and would drop the line.
    private static void Log(IConfiguration configuration, Exception? error, string message, params object?[] args)
    {
        using var factory = LoggerFactory.Create(b => b.AddConfiguration(configuration.GetSection("Logging"))
            .AddConsoleIn(configuration, configuration[HostDefaults.EnvironmentKey] ?? Environments.Production, lenient: true));
#pragma warning disable CA2254 // the templates are the constants above
        factory.CreateLogger("Guichet.Startup").LogCritical(error, message, args);
#pragma warning restore CA2254
    }
}
