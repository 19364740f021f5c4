using System.IO.Compression;
using Guichet.Hosting;
using Guichet.Storage;

namespace Guichet.Deposits;

/// <summary>
/// The ZIP of a deposit, read from a file on disk entry by entry (never the whole archive in memory). Opening checks the
/// central directory: entry count, paths escaping the archive, nested archives, sizes and compression ratios.
/// </summary>
public sealed class ZipPackage : IDisposable
{
    /// <summary>Length at which a quoted file name or value is cut in a message.</summary>
    private const int MaxQuoted = 80;
    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);

    private ZipPackage(ZipArchive zip) => _zip = zip;

    public IReadOnlyCollection<string> Names => _entries.Keys;

    public static ZipPackage? Open(string path, AttachmentOptions options, List<ErrorItem> errors)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920), ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            errors.Add(new("zip", null, "Le fichier ZIP est illisible ou n'est pas une archive ZIP."));
            return null;
        }
        var package = new ZipPackage(zip);
        try
        {
            if (zip.Entries.Count > options.MaxZipEntries)
            {
                errors.Add(new("zip", null, $"Le ZIP contient {zip.Entries.Count} fichiers : {options.MaxZipEntries} au plus."));
                return package;
            }
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName;
                if (name.EndsWith('/') && entry.Length == 0) continue; // a folder
                var where = $"zip:{Fr.Clip(name, MaxQuoted)}";
                if (!IsSafePath(name))
                {
                    errors.Add(new(where, null, $"Chemin interdit dans le ZIP : « {Fr.Clip(name, MaxQuoted)} » (chemins absolus et « .. » refusés)."));
                    continue;
                }
                if (FileRules.IsArchiveName(name))
                {
                    errors.Add(new(where, null, $"« {Fr.Clip(name, MaxQuoted)} » est une archive : les archives imbriquées ne sont pas acceptées."));
                    continue;
                }
                if (entry.Length > options.MaxFileBytes)
                {
                    errors.Add(new(where, null, FileRules.SizeError(name, options)));
                    continue;
                }
                if (entry.CompressedLength > 0 && entry.Length / entry.CompressedLength > options.MaxCompressionRatio
                    || entry.CompressedLength == 0 && entry.Length > 0)
                {
                    errors.Add(new(where, null, $"« {Fr.Clip(name, MaxQuoted)} » a un taux de compression anormal : archive refusée (bombe ZIP ?)."));
                    continue;
                }
                total += entry.Length;
                if (!package._entries.TryAdd(name, entry))
                    errors.Add(new(where, null, $"Le fichier « {Fr.Clip(name, MaxQuoted)} » figure deux fois dans le ZIP."));
            }
            if (total > options.MaxZipUncompressedBytes)
                errors.Add(new("zip", null, $"Le contenu décompressé du ZIP dépasse {Fr.Size(options.MaxZipUncompressedBytes)}."));
            return package;
        }
        catch (InvalidDataException)
        {
            errors.Add(new("zip", null, "Le fichier ZIP est corrompu."));
            return package;
        }
    }

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>Checks the named entry's first bytes against its extension.</summary>
    public async Task<string?> ContentErrorAsync(string name, CancellationToken ct)
    {
        try
        {
            await using var stream = await _entries[name].OpenAsync(ct);
            return FileRules.ContentError(name, await FileRules.ReadHeadAsync(stream, ct));
        }
        catch (InvalidDataException)
        {
            return $"Le fichier « {Fr.Clip(name, MaxQuoted)} » est illisible dans le ZIP.";
        }
    }

    /// <summary>Streams the entry to the scanner (nothing read when none is configured).</summary>
    public async Task<Guichet.Antivirus.ScanVerdict> ScanAsync(string name, Guichet.Antivirus.ClamAvScanner scanner, CancellationToken ct)
    {
        if (!scanner.Enabled) return Guichet.Antivirus.ScanVerdict.NotScanned;
        await using var stream = await _entries[name].OpenAsync(ct);
        return await scanner.ScanAsync(stream, ct);
    }

    /// <summary>Streams the entry to the attachment store, hashing it; refuses it past the size limit.</summary>
    public async Task<StoredFile> StoreAsync(string name, AttachmentStore store, long maxBytes, CancellationToken ct)
    {
        await using var stream = await _entries[name].OpenAsync(ct);
        return await store.SaveAsync(stream, maxBytes, ct);
    }

    private static bool IsSafePath(string name) =>
        name.Length is > 0 and <= 400
        && !name.StartsWith('/') && !name.Contains('\\') && !name.Contains(':') && !name.Any(char.IsControl)
        && name.Split('/').All(part => part is not ("" or "." or ".."));


    public void Dispose() => _zip.Dispose();
}
