using System.Security.Cryptography;
using Guichet.Hosting;
using Microsoft.Extensions.Options;

namespace Guichet.Storage;

public sealed record StoredFile(string Key, long Size, string Sha256);

/// <summary>Attachments on disk, outside the web root, under random keys; written once, never changed.</summary>
public sealed class AttachmentStore
{
    private readonly string _root;
    private readonly ILogger<AttachmentStore> _logger;

    public AttachmentStore(IOptions<StorageOptions> options, IHostEnvironment env, ILogger<AttachmentStore> logger)
    {
        var path = options.Value.Path;
        _root = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(env.ContentRootPath, path));
        Directory.CreateDirectory(_root);
        _logger = logger;
    }

    public string Root => _root;

    /// <summary>Streams the content to a new file, hashing it on the way; returns its key, size and SHA-256.</summary>
    public async Task<StoredFile> SaveAsync(Stream content, long? maxBytes = null, CancellationToken ct = default)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        try
        {
            // One pooled buffer and an unbuffered file: a deposit of 10 000 files allocates no 10 000 pairs of 80 KB buffers.
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
            try
            {
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, 81920), ct)) > 0)
                {
                    size += read;
                    if (maxBytes is { } max && size > max) throw new FileTooLargeException(max);
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        return new StoredFile(key, size, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    public Stream OpenRead(string key) => new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);

    public bool Exists(string key) => File.Exists(PathOf(key));

    /// <summary>
    /// Deletes the files of attachments dropped by a committed change (a discarded draft). A file left behind is harmless
    /// (nothing points to it), so a failure is logged, not thrown after the change is saved.
    /// </summary>
    public void DeleteDropped(IEnumerable<SupportingDocument> documents)
    {
        foreach (var d in documents)
        {
            try { Delete(d.StorageKey); }
            catch (IOException e) { _logger.LogWarning(e, "Pièce abandonnée {Key} non supprimée.", d.StorageKey); }
        }
    }

    /// <summary>
    /// The keys of the stored files last written before <paramref name="before"/>, read lazily folder by folder (the
    /// purge of orphan files); the working folders (« _depots », « _envois ») are not attachments and are skipped.
    /// </summary>
    public IEnumerable<string> Keys(DateTime before)
    {
        foreach (var folder in new DirectoryInfo(_root).EnumerateDirectories())
        {
            if (folder.Name.Length != 2 || !folder.Name.All(char.IsAsciiHexDigitLower)) continue;
            IEnumerable<FileInfo> files;
            try { files = folder.EnumerateFiles().ToList(); }
            catch (DirectoryNotFoundException) { continue; }
            foreach (var file in files)
                if (file.Name.Length == 32 && file.Name.StartsWith(folder.Name, StringComparison.Ordinal)
                    && file.Name.All(char.IsAsciiHexDigitLower) && file.LastWriteTimeUtc < before)
                    yield return file.Name;
        }
    }

    /// <summary>
    /// Writes, reads back and deletes a small file at the root (the readiness check); throws when the store cannot.
    /// The file is outside the key folders, so the purge of orphan files never sees it.
    /// </summary>
    public async Task ProbeAsync(CancellationToken ct)
    {
        var path = Path.Combine(_root, ".sonde-" + Guid.NewGuid().ToString("N"));
        try
        {
            await File.WriteAllBytesAsync(path, "sonde"u8.ToArray(), ct);
            if ((await File.ReadAllBytesAsync(path, ct)).Length != 5) throw new IOException("Fichier de sonde relu incomplet.");
        }
        finally
        {
            File.Delete(path);
        }
    }

    public void Delete(string key)
    {
        var path = PathOf(key);
        if (File.Exists(path)) File.Delete(path);
    }

    // Keys are hex only, so a key can never name a path outside the root.
    private string PathOf(string key)
    {
        if (key.Length != 32 || !key.All(char.IsAsciiHexDigitLower)) throw new ArgumentException("Clé de stockage invalide.", nameof(key));
        return Path.Combine(_root, key[..2], key);
    }
}

public sealed class FileTooLargeException(long max) : Exception($"Le fichier dépasse la taille maximale autorisée ({max / 1024 / 1024} Mo).");

public static class FileNames
{
    /// <summary>Keeps the base name only, without control or path characters, at most 255 characters.</summary>
    public static string Sanitize(string? name)
    {
        var baseName = Path.GetFileName((name ?? "").Replace('\\', '/'));
        var cleaned = new string(baseName.Where(c => !char.IsControl(c) && c is not ('/' or '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|')).ToArray()).Trim(' ', '.');
        if (cleaned.Length == 0) cleaned = "piece";
        return cleaned.Length <= 255 ? cleaned : cleaned[^255..];
    }
}
