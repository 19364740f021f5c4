using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Guichet.Hosting;

/// <summary>
/// Three doors for a supervisor: <c>/health</c> (the database, « Healthy »/« Unhealthy » in plain text, as always),
/// <c>/health/live</c> (the process answers: no dependency is asked, so a database outage never gets the process
/// restarted) and <c>/health/ready</c> (database, storage, scanner and SMTP server when configured: 503 naming what
/// fails, so the load balancer sends no traffic until they answer). Each check has <see cref="CheckTimeout"/>.
/// </summary>
public static class HealthEndpoints
{
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);
    private const string Ready = "ready";
    private const string Database = "base-de-donnees";

    public static IServiceCollection AddGuichetHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>(Database, tags: [Ready], timeout: CheckTimeout)
            .AddCheck<StorageHealthCheck>("stockage", tags: [Ready], timeout: CheckTimeout)
            .AddCheck<ScannerHealthCheck>("antivirus", tags: [Ready], timeout: CheckTimeout)
            .AddCheck<SmtpHealthCheck>("smtp", tags: [Ready], timeout: CheckTimeout);
        return services;
    }

    public static void MapGuichetHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = c => c.Name == Database, ResponseWriter = DatabaseHealthCheck.WriteAsync });
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJsonAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteJsonAsync });
    }

    /// <summary>{ statut, verifications: [{ nom, statut, description, dureeMs }] }; a 503 says when to look again.</summary>
    public static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        if (report.Status != HealthStatus.Healthy)
            context.Response.Headers.RetryAfter = TransientFailures.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            statut = report.Status.ToString(),
            verifications = report.Entries.Select(e => new
            {
                nom = e.Key,
                statut = e.Value.Status.ToString(),
                description = Describe(e.Value),
                dureeMs = (long)e.Value.Duration.TotalMilliseconds,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }

    // A check cut by its timeout has an English description from the framework: say it in French.
    private static string Describe(HealthReportEntry entry) => entry.Exception is OperationCanceledException
        ? $"Pas de réponse en {CheckTimeout.TotalSeconds:0} s."
        : entry.Description ?? (entry.Status == HealthStatus.Healthy ? "Disponible." : "Indisponible.");

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
