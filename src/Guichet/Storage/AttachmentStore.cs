using System.Security.Cryptography;

namespace Guichet.Storage;

public sealed record StoredFile(string Key, long Size, string Sha256);

/// <summary>
/// Where attachments are kept, under random keys, written once and never changed: on disk
/// (<see cref="FileSystemAttachmentStore"/>) or in an S3-compatible bucket (<see cref="S3AttachmentStore"/>), chosen by
/// Storage:Provider. <see cref="Root"/> is a local working folder in both (uploads being received, deposits being run).
/// </summary>
public abstract class AttachmentStore(string root, ILogger logger)
{
    /// <summary>The local working folder (Storage:Path): uploads and deposit folders, and the attachments themselves on disk.</summary>
    public string Root { get; } = root;

    /// <summary>Streams the content to a new file, hashing it on the way; returns its key, size and SHA-256.</summary>
    public abstract Task<StoredFile> SaveAsync(Stream content, long? maxBytes = null, CancellationToken ct = default);

    /// <summary>The stored file's content, streamed; null when there is no such file.</summary>
    public abstract Task<Stream?> OpenReadAsync(string key, CancellationToken ct = default);

    public abstract Task<bool> ExistsAsync(string key, CancellationToken ct = default);

    /// <summary>Deletes a stored file; nothing happens when it is already gone.</summary>
    public abstract Task DeleteAsync(string key, CancellationToken ct = default);

    /// <summary>
    /// The keys of the stored files last written before <paramref name="before"/>, read lazily (the purge of orphan
    /// files); working files (« _depots », « _envois ») are not attachments and are skipped.
    /// </summary>
    public abstract IAsyncEnumerable<string> KeysAsync(DateTime before, CancellationToken ct = default);

    /// <summary>Throws when the storage cannot be written and read (the readiness check and « storage-gc » call it).</summary>
    public abstract Task ProbeAsync(CancellationToken ct);

    /// <summary>
    /// Deletes the files of attachments dropped by a committed change (a discarded draft). A file left behind is harmless
    /// (nothing points to it, the purge takes it), so a failure is logged, not thrown after the change is saved.
    /// </summary>
    public async Task DeleteDroppedAsync(IEnumerable<SupportingDocument> documents)
    {
        foreach (var d in documents)
        {
            try { await DeleteAsync(d.StorageKey); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Pièce abandonnée {Key} non supprimée.", d.StorageKey);
            }
        }
    }

    // A deposit's uploaded files, for whichever instance runs or closes its job. On disk the deposit folder under Root is
    // already shared storage: nothing to copy.

    /// <summary>Copies a deposit's folder (<c>depot.json</c>, <c>depot.zip</c>) to shared storage, before its job is visible.</summary>
    public virtual Task StageAsync(Guid job, string folder, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Brings a staged deposit into <paramref name="folder"/> when this instance does not have it; false when there is none.</summary>
    public virtual Task<bool> FetchStagedAsync(Guid job, string folder, CancellationToken ct) => Task.FromResult(false);

    /// <summary>Deletes a deposit's staged copy (its job ended); nothing happens when there is none.</summary>
    public virtual Task DeleteStagedAsync(Guid job, CancellationToken ct) => Task.CompletedTask;

    /// <summary>The jobs whose staged copy was written before <paramref name="before"/> (the purge deletes those of finished jobs).</summary>
    public virtual IAsyncEnumerable<Guid> StagedJobsAsync(DateTime before, CancellationToken ct) => AsyncEnumerable.Empty<Guid>();

    /// <summary>A new random key: 32 lowercase hex characters.</summary>
    protected static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Keys are hex only, so a key can never name a path outside the root, nor another object of the bucket.</summary>
    protected static bool IsKey(string key) => key.Length == 32 && key.All(char.IsAsciiHexDigitLower);

    protected static void CheckKey(string key)
    {
        if (!IsKey(key)) throw new ArgumentException("Clé de stockage invalide.", nameof(key));
    }

    /// <summary>Copies <paramref name="content"/> to <paramref name="write"/> through one pooled buffer, counting and hashing.</summary>
    protected static async Task<(long Size, string Sha256)> CopyHashedAsync(Stream content, Func<ReadOnlyMemory<byte>, ValueTask> write,
        long? maxBytes, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer.AsMemory(0, 81920), ct)) > 0)
            {
                size += read;
                if (maxBytes is { } max && size > max) throw new FileTooLargeException(max);
                sha.AppendData(buffer, 0, read);
                await write(buffer.AsMemory(0, read));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return (size, Convert.ToHexStringLower(sha.GetHashAndReset()));
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
