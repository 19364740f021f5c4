using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace Guichet.Storage;

/// <summary>
/// The attachment storage (an S3-compatible service) is away for a moment: down, refusing connections, silent past its
/// timeout, or answering 5xx / « SlowDown ». Answered 503 with <c>Retry-After</c> and this French message, never 500
/// (<see cref="Hosting.ErrorHandling.Classify"/>); nothing of the action is saved, and the next request tries again.
/// </summary>
public sealed class StorageUnavailableException(string detail, Exception? inner = null) : Exception(Text, inner)
{
    public const string Text = "Le stockage des pièces est momentanément indisponible. Réessayez dans quelques instants.";

    /// <summary>What went wrong, for the log and the readiness check (never shown on a page).</summary>
    public string Detail { get; } = detail;

    /// <summary>
    /// True when <paramref name="error"/>, thrown by the S3 client, says the service is unreachable or unwell rather than
    /// that the request was wrong (403, 404… stay what they are). A cancellation counts only when the caller did not cancel:
    /// it is then the client's own timeout.
    /// </summary>
    public static bool IsOutage(Exception error, CancellationToken ct)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AmazonServiceException s when (int)s.StatusCode >= 500 || s.StatusCode == HttpStatusCode.TooManyRequests
                                                   || s.ErrorCode is "SlowDown" or "ServiceUnavailable" or "RequestTimeout" or "InternalError":
                case HttpRequestException:
                case HttpIOException:
                case SocketException:
                case TimeoutException:
                case OperationCanceledException when !ct.IsCancellationRequested:
                    return true;
            }
        }
        return false;
    }

    /// <summary>The exception and what it wraps, one line, for <see cref="Detail"/>.</summary>
    public static string Describe(Exception error)
    {
        var parts = new List<string>();
        for (Exception? e = error; e is not null && parts.Count < 3; e = e.InnerException)
            parts.Add(e is AmazonServiceException s ? $"{e.GetType().Name} ({(int)s.StatusCode} {s.ErrorCode}): {e.Message}" : $"{e.GetType().Name}: {e.Message}");
        return string.Join(" ← ", parts);
    }
}
