namespace Guichet.Instruction.Bulk;

/// <summary>Section « BulkOperations »: the size of a selection and the lease of the operations being run.</summary>
public sealed class BulkOptions
{
    public const string Section = "BulkOperations";

    /// <summary>The largest selection one operation may hold (the issue asks for at least 20 000).</summary>
    public int MaxRequests { get; set; } = 100_000;
    /// <summary>How often the instance running an operation writes its heartbeat.</summary>
    public int HeartbeatSeconds { get; set; } = 5;
    /// <summary>An operation whose heartbeat is older than this lost its process: a live instance resumes it.</summary>
    public int StaleAfterSeconds { get; set; } = 60;
    /// <summary>How often each instance looks for operations to resume.</summary>
    public int CheckSeconds { get; set; } = 15;

    public IEnumerable<string> Errors()
    {
        if (MaxRequests < 1) yield return "BulkOperations:MaxRequests doit valoir au moins 1.";
        if (HeartbeatSeconds < 1) yield return "BulkOperations:HeartbeatSeconds doit valoir au moins 1.";
        if (StaleAfterSeconds < 2 * HeartbeatSeconds) yield return "BulkOperations:StaleAfterSeconds doit valoir au moins deux fois BulkOperations:HeartbeatSeconds.";
        if (CheckSeconds < 1) yield return "BulkOperations:CheckSeconds doit valoir au moins 1.";
    }
}
