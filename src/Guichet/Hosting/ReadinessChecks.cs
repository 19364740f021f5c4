using System.Net.Sockets;
using Guichet.Antivirus;
using Guichet.Email;
using Guichet.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Guichet.Hosting;

/// <summary>The attachment store takes a file and gives it back (<see cref="AttachmentStore.ProbeAsync"/>).</summary>
public sealed class StorageHealthCheck(AttachmentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await store.ProbeAsync(ct);
            return HealthCheckResult.Healthy("Stockage des pièces accessible en écriture.");
        }
        catch (StorageUnavailableException e)
        {
            return HealthCheckResult.Unhealthy($"Stockage des pièces injoignable : {e.Detail}");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Stockage des pièces inaccessible : {e.Message}", e);
        }
    }
}

/// <summary>clamd answers PING, when a scanner is configured; without one there is nothing to wait for.</summary>
public sealed class ScannerHealthCheck(ClamAvScanner scanner) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (!scanner.Enabled) return HealthCheckResult.Healthy("Antivirus non configuré : rien à vérifier (les fichiers ne sont pas analysés).");
        try
        {
            await scanner.PingAsync(HealthEndpoints.CheckTimeout, ct);
            return HealthCheckResult.Healthy($"Antivirus joignable ({scanner.Endpoint}).");
        }
        catch (ScannerUnavailableException e)
        {
            return HealthCheckResult.Unhealthy($"Antivirus injoignable ({scanner.Endpoint}) : {e.Detail}.");
        }
    }
}

/// <summary>
/// The SMTP server accepts a TCP connection, when one is configured (no EHLO, no sign-in: nothing is said to it);
/// with the pickup directory there is no server to reach.
/// </summary>
public sealed class SmtpHealthCheck(IOptions<EmailOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var o = options.Value;
        if (!o.UsesSmtp) return HealthCheckResult.Healthy("Pas de serveur SMTP configuré : les e-mails sont écrits dans Email:PickupDirectory.");
        var endpoint = $"{o.Smtp.Host}:{o.Smtp.Port}";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(HealthEndpoints.CheckTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(o.Smtp.Host!, o.Smtp.Port, limit.Token);
            return HealthCheckResult.Healthy($"Serveur SMTP joignable ({endpoint}).");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Serveur SMTP injoignable ({endpoint}) : pas de réponse en {HealthEndpoints.CheckTimeout.TotalSeconds:0} s.");
        }
        catch (SocketException e)
        {
            return HealthCheckResult.Unhealthy($"Serveur SMTP injoignable ({endpoint}) : {e.Message}");
        }
    }
}
