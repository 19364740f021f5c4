using System.Net;

namespace Guichet.Telemetry;

/// <summary>
/// Section « Telemetry »: the Prometheus scrape endpoint <c>/metrics</c> (off by default, and served only to the
/// networks of <see cref="PrometheusAllowedNetworks"/>), the OTLP export of traces and metrics when an endpoint is set.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Maps <c>/metrics</c> (Prometheus text format).</summary>
    public bool Prometheus { get; set; }
    /// <summary>
    /// Client networks (CIDR) that may read <c>/metrics</c>; others get a 403. The client is the one the proxy settings
    /// (ReverseProxy:*) make known, so a scraper outside the proxy sees its own address. Empty: loopback only.
    /// </summary>
    public List<string> PrometheusAllowedNetworks { get; set; } = [];
    /// <summary>OTLP collector (e.g. http://otel-collector:4317); traces and metrics are exported there when set.</summary>
    public string? OtlpEndpoint { get; set; }
    /// <summary>« grpc » (port 4317, the default) or « http » (HTTP/protobuf, port 4318).</summary>
    public string OtlpProtocol { get; set; } = "grpc";
    /// <summary>service.name of the traces and metrics.</summary>
    public string ServiceName { get; set; } = "guichet";

    public bool Otlp => !string.IsNullOrWhiteSpace(OtlpEndpoint);
    public bool Enabled => Prometheus || Otlp;

    // A default list would be appended to, not replaced, by the configuration binder: empty means loopback.
    public IReadOnlyList<IPNetwork> AllowedNetworks() => PrometheusAllowedNetworks.Count == 0
        ? [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")]
        : PrometheusAllowedNetworks.Select(IPNetwork.Parse).ToList();

    /// <summary>French messages for every invalid value; empty when valid.</summary>
    public IEnumerable<string> Errors()
    {
        foreach (var n in PrometheusAllowedNetworks.Where(n => !IPNetwork.TryParse(n, out _)))
            yield return $"Telemetry:PrometheusAllowedNetworks : « {n} » n'est pas un réseau CIDR (ex. 10.0.0.0/24).";
        if (Otlp && (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https")))
            yield return $"Telemetry:OtlpEndpoint doit être une adresse http(s) absolue : « {OtlpEndpoint} ».";
        if (OtlpProtocol is not ("grpc" or "http"))
            yield return $"Telemetry:OtlpProtocol doit valoir « grpc » ou « http » : « {OtlpProtocol} ».";
        if (string.IsNullOrWhiteSpace(ServiceName)) yield return "Telemetry:ServiceName ne peut pas être vide.";
    }
}
