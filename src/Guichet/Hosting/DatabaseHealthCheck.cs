using Guichet.Data;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Guichet.Hosting;

/// <summary>/health answers Healthy only when the database answers.</summary>
public sealed class DatabaseHealthCheck(GuichetDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        await db.Database.CanConnectAsync(ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("Base de données injoignable.");
}
