using System.Text.Encodings.Web;

namespace Guichet.Telemetry;

/// <summary>
/// « Logging:Format »: « json » (one JSON object per line, for a log collector) or « text » (the console's usual lines).
/// Unset: json in Production, text elsewhere; an explicit Logging:Console:FormatterName still wins. Used by the host and by
/// the start-failure log (Hosting/Lifecycle.cs).
/// </summary>
public static class LogFormat
{
    public const string Key = "Logging:Format";

    /// <summary>Whether the console writes JSON; an unknown value throws (at start) unless <paramref name="lenient"/>.</summary>
    public static bool IsJson(IConfiguration configuration, string environment, bool lenient = false)
    {
        if (!string.IsNullOrWhiteSpace(configuration["Logging:Console:FormatterName"])) return false;
        return configuration[Key]?.Trim().ToLowerInvariant() switch
        {
            null or "" => environment == Environments.Production,
            "json" => true,
            "text" => false,
            _ when lenient => false,
            var other => throw new InvalidOperationException($"Logging:Format doit valoir « json » ou « text » : « {other} »."),
        };
    }

    /// <summary>The console in the chosen format; in JSON: UTC timestamps, scopes (trace and request ids), accents as is.</summary>
    public static ILoggingBuilder AddConsoleIn(this ILoggingBuilder logging, IConfiguration configuration, string environment, bool lenient = false)
    {
        if (!IsJson(configuration, environment, lenient)) return logging.AddConsole();
        return logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            o.IncludeScopes = true;
            o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        });
    }
}
