namespace Guichet.Antivirus;

/// <summary>
/// Section « Antivirus »: the ClamAV daemon spoken to over INSTREAM, by TCP (<see cref="Host"/> and <see cref="Port"/>) or by
/// Unix socket (<see cref="Socket"/>). Neither set (the embedded default): files are not scanned, and the portal says so.
/// </summary>
public sealed class AntivirusOptions
{
    public const string Section = "Antivirus";

    public string? Host { get; set; }
    public int Port { get; set; } = 3310;
    public string? Socket { get; set; }
    /// <summary>How long one scan may take, connection included, before intake is refused with a 503.</summary>
    public int TimeoutSeconds { get; set; } = 30;
    /// <summary>Bytes sent per INSTREAM chunk (clamd's StreamMaxLength bounds the total, not this).</summary>
    public int ChunkBytes { get; set; } = 64 * 1024;

    public bool Enabled => !string.IsNullOrWhiteSpace(Host) || !string.IsNullOrWhiteSpace(Socket);

    /// <summary>The settings that cannot work together, in French; empty when they are sound.</summary>
    public IEnumerable<string> Errors()
    {
        if (!string.IsNullOrWhiteSpace(Host) && !string.IsNullOrWhiteSpace(Socket))
            yield return "Antivirus:Host et Antivirus:Socket s'excluent : choisissez TCP ou socket Unix.";
        if (Port is < 1 or > 65535) yield return "Antivirus:Port doit être compris entre 1 et 65535.";
        if (TimeoutSeconds < 1) yield return "Antivirus:TimeoutSeconds doit valoir au moins 1.";
        if (ChunkBytes is < 1024 or > 8 * 1024 * 1024) yield return "Antivirus:ChunkBytes doit être compris entre 1024 et 8388608.";
    }
}
