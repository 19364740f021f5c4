namespace Guichet.Antivirus;

/// <summary>What the scanner said of one file: clean, not scanned (no scanner configured), or infected with a signature.</summary>
public sealed record ScanVerdict(bool Scanned, string? Signature)
{
    public static readonly ScanVerdict Clean = new(true, null);
    public static readonly ScanVerdict NotScanned = new(false, null);
    public bool Infected => Signature is not null;

    /// <summary>The French refusal of an infected file, naming it and the signature (deposit, completion, import).</summary>
    public static string InfectedMessage(string fileName, string signature) =>
        $"Le fichier « {fileName} » est infecté ({signature}) : il est refusé et rien n'a été enregistré.";
}

/// <summary>
/// The scanner is configured but did not answer (refused, closed, timed out, or said ERROR): intake is refused with a 503,
/// never accepted unscanned (<see cref="Hosting.ErrorHandling.Classify"/>).
/// </summary>
public sealed class ScannerUnavailableException(string detail, Exception? inner = null) : Exception(Text, inner)
{
    public const string Text = "Analyse antivirus indisponible, réessayez plus tard.";
    /// <summary>What went wrong, for the log (never shown to the user).</summary>
    public string Detail { get; } = detail;
}
