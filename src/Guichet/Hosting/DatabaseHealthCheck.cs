using Guichet.Data;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Guichet.Hosting;

/// <summary>/health answers Healthy only when the database answers (503 « Unhealthy » with Retry-After otherwise).</summary>
public sealed class DatabaseHealthCheck(GuichetDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            return await db.Database.CanConnectAsync(ct) ? HealthCheckResult.Healthy("Base de données joignable.") : Unreachable(null);
        }
        catch (Exception e) when (TransientFailures.Is(e))
        {
            return Unreachable(e);
        }
    }

    private static HealthCheckResult Unreachable(Exception? e) => HealthCheckResult.Unhealthy("Base de données injoignable.", e);

    /// <summary>The body stays « Healthy »/« Unhealthy »; an unhealthy answer says when to look again.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        if (report.Status != HealthStatus.Healthy)
            context.Response.Headers.RetryAfter = TransientFailures.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(report.Status.ToString());
    }
}
