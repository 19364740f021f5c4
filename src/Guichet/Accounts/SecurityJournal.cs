using System.ComponentModel.DataAnnotations;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Guichet.Accounts;

/// <summary>Section « SecurityJournal »: how long the security journal keeps its rows.</summary>
public sealed class SecurityJournalOptions
{
    public const string Section = "SecurityJournal";

    [Range(1, 36_500, ErrorMessage = "SecurityJournal:RetentionDays doit être compris entre 1 et 36 500 jours.")]
    public int RetentionDays { get; set; } = 400;
}

/// <summary>An account as the journal names it: its id when it exists, its address (possibly as typed).</summary>
public sealed record JournalAccount(string? Id, string? Email)
{
    public static JournalAccount Of(GuichetUser user) => new(user.Id, user.Email);
    public static JournalAccount Typed(string? email) => new(null, email);
}

/// <summary>
/// Writes the security journal. <see cref="Add"/> puts the row in the current context, so that it is saved by the same
/// SaveChanges as the change it records; <see cref="RecordAsync"/> saves at once, for an event that changes nothing else
/// (a failed sign-in) and never throws: a journal that cannot be written is logged, the user's answer stays the same.
/// The actor is the signed-in user unless given; the source is the client's address as ASP.NET Core sees it.
/// </summary>
public sealed class SecurityJournal(GuichetDbContext db, IHttpContextAccessor http, TimeProvider clock, SharedCounters counters,
    ILogger<SecurityJournal> logger)
{
    /// <summary>The source of events written outside a web request: « système », or « ligne de commande » in a verb.</summary>
    public static string OutsideRequests { get; set; } = SecurityEvent.System;

    public SecurityEvent Add(SecurityEventKind kind, JournalAccount? subject = null, string? detail = null, JournalAccount? actor = null)
    {
        var context = http.HttpContext;
        var user = context?.User;
        actor ??= user?.Identity?.IsAuthenticated == true ? new JournalAccount(user.Id(), user.Identity.Name) : null;
        var e = new SecurityEvent
        {
            At = clock.UtcNow(), Kind = kind,
            ActorId = actor?.Id, ActorEmail = Cut(actor?.Email, SecurityEvent.EmailLength),
            SubjectId = subject?.Id, SubjectEmail = Cut(subject?.Email?.Trim(), SecurityEvent.EmailLength),
            Source = context is null ? OutsideRequests : Cut(context.Connection.RemoteIpAddress?.ToString() ?? "inconnue", SecurityEvent.SourceLength),
            UserAgent = Cut(context?.Request.Headers.UserAgent.ToString(), SecurityEvent.UserAgentLength),
            Detail = Cut(detail, SecurityEvent.DetailLength),
        };
        db.SecurityEvents.Add(e);
        return e;
    }

    /// <summary>Adds and saves at once (the context's other pending changes, if any, go with it).</summary>
    public async Task RecordAsync(SecurityEventKind kind, JournalAccount? subject = null, string? detail = null, JournalAccount? actor = null,
        CancellationToken ct = default)
    {
        var e = Add(kind, subject, detail, actor);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (Exception error)
        {
            // Not left pending for a later save of the same request.
            db.Entry(e).State = EntityState.Detached;
            logger.LogWarning(error, "Journal de sécurité : événement {Kind} non enregistré.", kind.Code());
        }
    }

    /// <summary>
    /// A 429 on « Se connecter » or « Mot de passe oublié »: one row per limiter partition and window at most, across
    /// instances (a shared counter marks the first), so that a flood of refused requests cannot fill the table.
    /// </summary>
    public async Task RecordThrottledAsync(string page, string partition, RateLimit limit, string? typedAddress)
    {
        try
        {
            if ((await counters.HitAsync("journal|" + page + "|" + partition, limit)).Count != 1) return;
        }
        catch (Exception error)
        {
            logger.LogWarning(error, "Journal de sécurité : refus {Page} non enregistré.", page);
            return;
        }
        var per = partition.StartsWith("address:", StringComparison.Ordinal) ? "par adresse saisie" : "par adresse IP";
        var detail = $"{page} : limite {per} atteinte ({limit.Permits} essais en {RateLimits.Wait(limit.WindowSeconds)}) ; "
            + "les refus suivants de la même fenêtre ne sont pas journalisés.";
        await RecordAsync(SecurityEventKind.SignInThrottled,
            string.IsNullOrEmpty(typedAddress) ? null : JournalAccount.Typed(typedAddress.ToLowerInvariant()), detail);
    }

    private static string? Cut(string? value, int max) => string.IsNullOrEmpty(value) ? null : value.Length > max ? value[..max] : value;
}

/// <summary>
/// The retention purge: rows older than <c>SecurityJournal:RetentionDays</c> are deleted by one guarded delete, which
/// several instances may run at once (a row deleted by one is simply not found by the other).
/// </summary>
public sealed class SecurityJournalPurge(GuichetDbContext db, TimeProvider clock, IOptions<SecurityJournalOptions> options)
{
    public Task<int> RunAsync(CancellationToken ct = default)
    {
        var cutoff = clock.UtcNow().AddDays(-options.Value.RetentionDays);
        return db.SecurityEvents.Where(e => e.At < cutoff).ExecuteDeleteAsync(ct);
    }
}

/// <summary>Runs the purge at start and every hour when Workers:Enabled; a failure is logged and tried again next time.</summary>
public sealed class SecurityJournalPurgeWorker(IServiceScopeFactory scopes, IOptions<WorkersOptions> workers, ILogger<SecurityJournalPurgeWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workers.Value.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                var deleted = await scope.ServiceProvider.GetRequiredService<SecurityJournalPurge>().RunAsync(stoppingToken);
                if (deleted > 0) logger.LogInformation("Journal de sécurité : {Count} événement(s) au-delà de la durée de conservation supprimé(s).", deleted);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Purge du journal de sécurité impossible ; nouvel essai dans une heure.");
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}

public static class SecurityJournalServices
{
    /// <summary>The journal, the shared counters that mark its first 429 per window, and its purge; <c>SecurityJournal:RetentionDays</c> validated at start.</summary>
    public static IServiceCollection AddSecurityJournal(this IServiceCollection services)
    {
        services.AddOptions<SecurityJournalOptions>().BindConfiguration(SecurityJournalOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpContextAccessor();
        services.AddScoped<SecurityJournal>();
        services.AddScoped<SecurityJournalPurge>();
        services.TryAddScoped<SharedCounters>();
        services.TryAddSingleton<SharedCounters.PurgeSchedule>();
        services.AddHostedService<SecurityJournalPurgeWorker>();
        return services;
    }
}
