using Guichet.Hosting;

namespace Guichet.Storage;

/// <summary>Section « Attachments »: accepted types and size limits (docs/regles.md#pieces-justificatives).</summary>
public sealed class AttachmentOptions
{
    public long MaxFileBytes { get; set; } = 20L * 1024 * 1024;
    public string[] AllowedExtensions { get; set; } = ["pdf", "jpg", "jpeg", "png"];
    public long MaxZipBytes { get; set; } = 5L * 1024 * 1024 * 1024;
    public int MaxZipEntries { get; set; } = 20_000;
    /// <summary>Largest accepted ratio of uncompressed to compressed size for one entry (ZIP bombs).</summary>
    public int MaxCompressionRatio { get; set; } = 100;
    public long MaxZipUncompressedBytes { get; set; } = 10L * 1024 * 1024 * 1024;
}

/// <summary>Checks of an attachment, the same at deposit, completion and modification: extension and content signature.</summary>
public static class FileRules
{
    /// <summary>Length at which a quoted file name or value is cut in a message.</summary>
    private const int MaxQuoted = 80;
    private static readonly byte[] Pdf = "%PDF-"u8.ToArray();
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF];
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly string[] Archives = ["zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "jar", "cab", "iso"];

    public const int HeadLength = 16;

    public static string Extension(string name) => Path.GetExtension(name).TrimStart('.').ToLowerInvariant();

    public static bool IsArchiveName(string name) => Archives.Contains(Extension(name));

    /// <summary>The French error for a file name whose type is not accepted, or null.</summary>
    public static string? NameError(string name, AttachmentOptions options)
    {
        var ext = Extension(name);
        if (IsArchiveName(name)) return $"« {Fr.Clip(name, MaxQuoted)} » est une archive : les archives imbriquées ne sont pas acceptées.";
        if (!options.AllowedExtensions.Contains(ext))
            return $"Le type du fichier « {Fr.Clip(name, MaxQuoted)} » n'est pas accepté (formats acceptés : {string.Join(", ", options.AllowedExtensions.Select(e => e.ToUpperInvariant()))}).";
        return null;
    }

    /// <summary>The French error when the first bytes do not match the extension (e.g. an executable renamed .pdf), or null.</summary>
    public static string? ContentError(string name, ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("PK"u8)) return $"« {Fr.Clip(name, MaxQuoted)} » est une archive : les archives imbriquées ne sont pas acceptées.";
        var ok = Extension(name) switch
        {
            "pdf" => head.StartsWith(Pdf),
            "jpg" or "jpeg" => head.StartsWith(Jpeg),
            "png" => head.StartsWith(Png),
            _ => false,
        };
        return ok ? null : $"Le contenu du fichier « {Fr.Clip(name, MaxQuoted)} » ne correspond pas à son extension : fichier refusé.";
    }

    public static string ContentType(string name) => Extension(name) switch
    {
        "pdf" => "application/pdf",
        "jpg" or "jpeg" => "image/jpeg",
        "png" => "image/png",
        _ => "application/octet-stream",
    };

    public static string SizeError(string name, AttachmentOptions options) =>
        $"Le fichier « {Fr.Clip(name, MaxQuoted)} » dépasse la taille maximale de {Fr.Size(options.MaxFileBytes)}.";

    /// <summary>Reads up to <see cref="HeadLength"/> bytes from the start of a stream.</summary>
    public static async Task<byte[]> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[HeadLength];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct)) > 0) total += read;
        return buffer[..total];
    }

}
