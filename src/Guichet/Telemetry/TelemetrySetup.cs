using System.Net;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Guichet.Telemetry;

/// <summary>
/// OpenTelemetry for the portal: ASP.NET Core, HttpClient and Npgsql traces and metrics, .NET runtime metrics, and
/// Guichet's own (<see cref="GuichetTelemetry"/>, <see cref="StateGauges"/>). Nothing is registered unless Telemetry:Prometheus
/// or Telemetry:OtlpEndpoint asks for it.
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddGuichetTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => !o.Errors().Any(), "Configuration Telemetry invalide (PrometheusAllowedNetworks, OtlpEndpoint, OtlpProtocol ou ServiceName).")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new();
        if (!options.Enabled || options.Errors().Any()) return builder; // invalid: the validation on start says why

        builder.Services.AddSingleton<StateGauges>();
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName))
            .WithMetrics(m =>
            {
                m.AddMeter(GuichetTelemetry.Name, "System.Runtime")
                    .AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddNpgsqlInstrumentation();
                // Each scrape reads the values of now (the exporter would otherwise serve the same answer for 300 ms).
                if (options.Prometheus) m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (options.Otlp) m.AddOtlpExporter(o => Otlp(o, options, "v1/metrics"));
            });
        // Traces have no Prometheus form: they are collected only for an OTLP collector.
        if (options.Otlp)
            otel.WithTracing(t => t.AddSource(GuichetTelemetry.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !IsSupervision(c.Request.Path))
                .AddHttpClientInstrumentation().AddNpgsql()
                .AddOtlpExporter(o => Otlp(o, options, "v1/traces")));
        return builder;
    }

    /// <summary>Maps <c>/metrics</c> when Telemetry:Prometheus is on, served only to the allowed networks; starts the gauges.</summary>
    public static void MapGuichetMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value;
        if (!options.Enabled) return;
        app.Services.GetRequiredService<StateGauges>();
        if (!options.Prometheus) return;
        var allowed = options.AllowedNetworks();
        app.MapPrometheusScrapingEndpoint(MetricsPath).AddEndpointFilter(async (context, next) =>
            Allowed(context.HttpContext.Connection.RemoteIpAddress, allowed) ? await next(context)
                : Results.Text("Les métriques ne sont servies qu'aux réseaux de Telemetry:PrometheusAllowedNetworks.", "text/plain; charset=utf-8",
                    statusCode: StatusCodes.Status403Forbidden));
    }

    /// <summary>The client address (after the proxy settings) belongs to one of the allowed networks; an unknown address does not.</summary>
    public static bool Allowed(IPAddress? client, IReadOnlyList<IPNetwork> allowed)
    {
        if (client is null) return false;
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        return allowed.Any(n => n.Contains(client));
    }

    private static bool IsSupervision(PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/health");

    private static void Otlp(OtlpExporterOptions o, TelemetryOptions options, string signalPath)
    {
        var http = options.OtlpProtocol == "http";
        o.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        // Over HTTP each signal has its own path under the collector's address; gRPC takes the address as is.
        o.Endpoint = http ? new Uri(new Uri(options.OtlpEndpoint!.TrimEnd('/') + "/"), signalPath) : new Uri(options.OtlpEndpoint!);
    }
}
