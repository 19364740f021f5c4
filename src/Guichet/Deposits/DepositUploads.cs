using System.Buffers;
using System.Text;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Guichet.Deposits;

/// <summary>A file of the deposit form: the name the vendor gave it and its length as sent.</summary>
public sealed record UploadedFile(string FileName, long Length);

/// <summary>
/// The files of one deposit or simulation form, written straight from the request into their own folder. Disposing
/// deletes the folder, unless a deposit job took it over.
/// </summary>
public sealed class DepositUpload(string folder) : IDisposable
{
    public const string JsonFile = "demandes.json";
    public const string ZipFile = "pieces.zip";

    private bool _moved;

    public string Folder { get; } = folder;
    public UploadedFile? Json { get; internal set; }
    /// <summary>Null when the form has no ZIP or an empty one.</summary>
    public UploadedFile? Zip { get; internal set; }
    /// <summary>The text fields kept from the form: the antiforgery token of the pages, nothing else.</summary>
    public IFormCollection Fields { get; internal set; } = FormCollection.Empty;

    public string JsonPath => Path.Combine(Folder, JsonFile);
    public string ZipPath => Path.Combine(Folder, ZipFile);

    /// <summary>SHA-256 of the JSON then of the ZIP (if any), in hex: two retries of one deposit give the same value.</summary>
    public async Task<string> ContentSha256Async(CancellationToken ct)
    {
        using var all = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var path in Zip is null ? new[] { JsonPath } : [JsonPath, ZipPath])
        {
            await using var file = File.OpenRead(path);
            all.AppendData(await System.Security.Cryptography.SHA256.HashDataAsync(file, ct));
        }
        return Convert.ToHexStringLower(all.GetHashAndReset());
    }

    /// <summary>Renames the folder (same disk, no copy); from then on it belongs to whoever asked.</summary>
    public void MoveTo(string target)
    {
        Directory.Move(Folder, target);
        _moved = true;
    }

    public void Dispose()
    {
        if (_moved) return;
        try { Directory.Delete(Folder, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
    }
}

/// <summary>Reading and checking the deposit form, common to the pages and the API, before the JSON is read.</summary>
public static class DepositUploads
{
    /// <summary>Where forms are written while they arrive, under the store (so that a deposit's files move, not copy).</summary>
    public const string UploadsFolder = "_envois";
    private const int BufferSize = 64 * 1024;
    // An antiforgery token is a few hundred characters: a longer value is not one, and is never held in memory.
    private const int MaxTokenChars = 4096;

    /// <summary>
    /// Checks the files of the form before the JSON is read. Null when they may be read; otherwise a refusal listing
    /// every error, of kind <see cref="RefusalKind.TooLarge"/> when a file is over its size limit (413), else
    /// <see cref="RefusalKind.Invalid"/> (400).
    /// </summary>
    public static Refusal? Check(DepositUpload upload, DepositOptions deposits, AttachmentOptions files)
    {
        var errors = new List<ErrorItem>();
        var tooLarge = false;
        var json = upload.Json;
        if (json is null || json.Length == 0)
            errors.Add(new("json", null, "Joignez le fichier JSON des demandes (champ « json »)."));
        else if (json.Length > deposits.MaxJsonBytes)
        {
            errors.Add(new("json", null, $"Le fichier JSON dépasse la taille maximale de {Fr.Size(deposits.MaxJsonBytes)}."));
            tooLarge = true;
        }
        else if (!json.FileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            errors.Add(new("json", null, "Le fichier des demandes doit être un fichier .json."));
        if (upload.Zip is { } zip)
        {
            if (zip.Length > files.MaxZipBytes)
            {
                errors.Add(new("zip", null, $"L'archive ZIP dépasse la taille maximale de {Fr.Size(files.MaxZipBytes)}."));
                tooLarge = true;
            }
            else if (!zip.FileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                errors.Add(new("zip", null, "Les pièces justificatives doivent être réunies dans une archive .zip."));
        }
        return errors.Count == 0 ? null : new Refusal(tooLarge ? RefusalKind.TooLarge : RefusalKind.Invalid, errors);
    }

    /// <summary>The answer to a body over <see cref="MaxBody(DepositOptions, AttachmentOptions)"/> or to one of the form's limits.</summary>
    public static Refusal BodyTooLarge() => Refusal.TooLarge("Le dépôt dépasse la taille maximale autorisée.");

    /// <summary>The answer to a form that cannot be read (cut off, no boundary, broken section).</summary>
    public static Refusal Malformed() => Refusal.Invalid("Le formulaire multipart est mal formé.");

    /// <summary>The largest body a deposit may have: the ZIP, the JSON and some room for the multipart framing.</summary>
    public static long MaxBody(IConfiguration configuration) => MaxBody(
        configuration.GetSection("Deposits").Get<DepositOptions>() ?? new DepositOptions(),
        configuration.GetSection("Attachments").Get<AttachmentOptions>() ?? new AttachmentOptions());

    public static long MaxBody(DepositOptions deposits, AttachmentOptions files) => files.MaxZipBytes + deposits.MaxJsonBytes + 1024 * 1024;

    /// <summary>
    /// Streams the form into a new folder, section by section: the first file of the field « json » and of the field
    /// « zip » (field names compared ignoring case, as for IFormFile), and the field <paramref name="keepField"/>; other
    /// sections are skipped unread. A body that cannot be read throws a <see cref="Refusal"/>: TooLarge past
    /// <see cref="MaxBody(DepositOptions, AttachmentOptions)"/> (or the server's own limit), past the form's boundary
    /// length or section count limits; Invalid when it is malformed — the folder is then already deleted. A request
    /// that is not a form gives an empty upload.
    /// </summary>
    public static async Task<DepositUpload> ReadAsync(HttpRequest request, AttachmentStore store, DepositOptions deposits,
        AttachmentOptions files, string? keepField, CancellationToken ct)
    {
        var upload = new DepositUpload(Path.Combine(store.Root, UploadsFolder, Guid.NewGuid().ToString("N")));
        try
        {
            return await ReadFormAsync(request, upload, deposits, files, keepField, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            upload.Dispose();
            throw BodyTooLarge();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            upload.Dispose();
            throw Malformed();
        }
        catch
        {
            upload.Dispose();
            throw;
        }
    }

    private static async Task<DepositUpload> ReadFormAsync(HttpRequest request, DepositUpload upload, DepositOptions deposits,
        AttachmentOptions files, string? keepField, CancellationToken ct)
    {
        Directory.CreateDirectory(upload.Folder);
        if (!request.HasFormContentType || request.ContentLength == 0) return upload;
        var contentType = MediaTypeHeaderValue.Parse(request.ContentType);
        if (!contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            // A URL-encoded form has no files: only its (small, limited) fields matter.
            upload.Fields = await request.ReadFormAsync(ct);
            return upload;
        }
        var limits = new FormOptions();
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary);
        // The limits of ReadFormAsync: a form over one of them is too large (413), a broken one is malformed (400).
        if (StringSegment.IsNullOrEmpty(boundary)) throw Malformed();
        if (boundary.Length > limits.MultipartBoundaryLengthLimit) throw BodyTooLarge();
        // The body is counted as it is read, so that a body over the limit is told apart from a malformed one.
        var body = new LimitedStream(request.Body, MaxBody(deposits, files));
        var reader = new MultipartReader(boundary.ToString(), body, BufferSize)
        {
            HeadersCountLimit = limits.MultipartHeadersCountLimit,
            HeadersLengthLimit = limits.MultipartHeadersLengthLimit,
            BodyLengthLimit = MaxBody(deposits, files),
        };
        var fields = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        var count = 0;
        // Reading the next section skips whatever was not read of the previous one.
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (++count > limits.ValueCountLimit) throw BodyTooLarge();
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) throw Malformed();
            // A parameter without a value (« filename* » of a header cut short) passes TryParse but makes the file name decoder throw.
            if (disposition.Parameters.Any(p => !p.Value.HasValue)) throw Malformed();
            if (disposition.IsFileDisposition())
            {
                var file = new FileMultipartSection(section, disposition);
                if (upload.Json is null && file.Name.Equals("json", StringComparison.OrdinalIgnoreCase))
                    upload.Json = await SaveAsync(section, file.FileName, upload.JsonPath, deposits.MaxJsonBytes, ct);
                else if (upload.Zip is null && file.Name.Equals("zip", StringComparison.OrdinalIgnoreCase))
                    upload.Zip = await SaveAsync(section, file.FileName, upload.ZipPath, files.MaxZipBytes, ct);
            }
            else if (keepField is not null && disposition.IsFormDisposition()
                && new FormMultipartSection(section, disposition).Name.Equals(keepField, StringComparison.OrdinalIgnoreCase))
                fields[keepField] = StringValues.Concat(fields.GetValueOrDefault(keepField), await ReadValueAsync(section.Body, ct));
        }
        if (upload.Zip is { Length: 0 })
        {
            File.Delete(upload.ZipPath);
            upload.Zip = null;
        }
        upload.Fields = new FormCollection(fields);
        return upload;
    }

    /// <summary>
    /// The deposit and simulator pages: reads the form, then checks its antiforgery token (which comes after the files,
    /// so the page cannot let MVC check it first without a buffered copy of the whole body). Null when the form is
    /// unreadable or the token is wrong: a 400, as MVC's own check answers.
    /// </summary>
    public static async Task<DepositUpload?> ReadPageFormAsync(HttpContext http, IAntiforgery antiforgery, string tokenField,
        AttachmentStore store, DepositOptions deposits, AttachmentOptions files, CancellationToken ct)
    {
        DepositUpload upload;
        try
        {
            upload = await ReadAsync(http.Request, store, deposits, files, tokenField, ct);
        }
        catch (Refusal)
        {
            // The French 400 page is rendered by re-executing the request: it must not try to read the malformed body again.
            http.Features.Set<IFormFeature>(new FormFeature(FormCollection.Empty));
            return null;
        }
        http.Features.Set<IFormFeature>(new FormFeature(upload.Fields));
        if (await antiforgery.IsRequestValidAsync(http)) return upload;
        upload.Dispose();
        return null;
    }

    /// <summary>Writes a file section to <paramref name="path"/>; past <paramref name="max"/> bytes it only counts them, so that the checks can give the size.</summary>
    private static async Task<UploadedFile> SaveAsync(MultipartSection section, string fileName, string path, long max, CancellationToken ct)
    {
        long length = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
            int read;
            while ((read = await section.Body.ReadAsync(buffer.AsMemory(0, BufferSize), ct)) > 0)
            {
                if (length < max) await file.WriteAsync(buffer.AsMemory(0, (int)Math.Min(read, max - length)), ct);
                length += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new UploadedFile(fileName, length);
    }

    private static async Task<string> ReadValueAsync(Stream body, CancellationToken ct)
    {
        using var reader = new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        var chars = new char[MaxTokenChars + 1];
        var read = await reader.ReadBlockAsync(chars.AsMemory(), ct);
        return read > MaxTokenChars ? "" : new string(chars, 0, read);
    }

    /// <summary>Reads a request body and throws <see cref="BodyTooLarge"/> once more than <c>max</c> bytes came in.</summary>
    private sealed class LimitedStream(Stream inner, long max) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read > max) throw BodyTooLarge();
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The depositor's organisation, tracked (requests are attached to it).</summary>
    public static Task<Domain.Organisation?> OrganisationAsync(GuichetDbContext db, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct) =>
        user.OrganisationId() is { } id && user.IsVendor()
            ? db.Organisations.FirstOrDefaultAsync(o => o.Id == id, ct)
            : Task.FromResult<Domain.Organisation?>(null);

    /// <summary>Deletes the folders of uploads cut off by a restart: none of their files was written for an hour.</summary>
    public static int DeleteAbandoned(AttachmentStore store, DateTime before)
    {
        var root = Path.Combine(store.Root, UploadsFolder);
        if (!Directory.Exists(root)) return 0;
        var deleted = 0;
        foreach (var folder in new DirectoryInfo(root).EnumerateDirectories())
        {
            var lastWrite = folder.EnumerateFiles().Select(f => f.LastWriteTimeUtc).Append(folder.LastWriteTimeUtc).Max();
            if (lastWrite >= before) continue;
            try { folder.Delete(recursive: true); deleted++; }
            catch (IOException) { }
        }
        return deleted;
    }
}
