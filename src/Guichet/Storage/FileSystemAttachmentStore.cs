using Guichet.Hosting;
using Microsoft.Extensions.Options;

namespace Guichet.Storage;

/// <summary>Attachments on disk under Storage:Path, one folder per first two characters of the key.</summary>
public sealed class FileSystemAttachmentStore : AttachmentStore
{
    public FileSystemAttachmentStore(IOptions<StorageOptions> options, IHostEnvironment env, ILogger<FileSystemAttachmentStore> logger)
        : base(StorageRoot.Of(options.Value, env), logger) { }

    public override async Task<StoredFile> SaveAsync(Stream content, long? maxBytes = null, CancellationToken ct = default)
    {
        var key = NewKey();
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            // An unbuffered file and the one pooled buffer of the copy: a deposit of 10 000 files allocates no 10 000 pairs of 80 KB buffers.
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
            var (size, sha) = await CopyHashedAsync(content, chunk => file.WriteAsync(chunk, ct), maxBytes, ct);
            return new StoredFile(key, size, sha);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    public override Task<Stream?> OpenReadAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        return Task.FromResult<Stream?>(File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true) : null);
    }

    public override Task<bool> ExistsAsync(string key, CancellationToken ct = default) => Task.FromResult(File.Exists(PathOf(key)));

    public override Task DeleteAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        if (File.Exists(path)) File.Delete(path);
        return Task.CompletedTask;
    }

    public override async IAsyncEnumerable<string> KeysAsync(DateTime before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var folder in new DirectoryInfo(Root).EnumerateDirectories())
        {
            if (folder.Name.Length != 2 || !folder.Name.All(char.IsAsciiHexDigitLower)) continue;
            ct.ThrowIfCancellationRequested();
            IEnumerable<FileInfo> files;
            try { files = folder.EnumerateFiles().ToList(); }
            catch (DirectoryNotFoundException) { continue; }
            foreach (var file in files)
                if (IsKey(file.Name) && file.Name.StartsWith(folder.Name, StringComparison.Ordinal) && file.LastWriteTimeUtc < before)
                    yield return file.Name;
            await Task.Yield();
        }
    }

    public override async Task ProbeAsync(CancellationToken ct)
    {
        var probe = Path.Combine(Root, $".sonde-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(probe, "sonde"u8.ToArray(), ct);
        File.Delete(probe);
    }

    private string PathOf(string key)
    {
        CheckKey(key);
        return Path.Combine(Root, key[..2], key);
    }
}

/// <summary>The local working folder: Storage:Path, relative to the content root unless absolute, created at start.</summary>
public static class StorageRoot
{
    public static string Of(StorageOptions options, IHostEnvironment env)
    {
        var path = options.Path;
        var root = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(env.ContentRootPath, path));
        Directory.CreateDirectory(root);
        return root;
    }
}
