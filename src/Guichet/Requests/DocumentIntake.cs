using Guichet.Antivirus;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.Extensions.Options;

namespace Guichet.Requests;

/// <summary>
/// One attachment sent alone (completing a request, « Importer » during a modification): its type, the same file checks as in
/// a deposit ZIP (name, signature, size), the antivirus, then the file streamed to the store. The caller deletes it if its action is refused.
/// </summary>
public sealed class DocumentIntake(AttachmentStore store, ClamAvScanner scanner, TimeProvider clock, IOptions<AttachmentOptions> options)
{
    public async Task<SupportingDocument> ReceiveAsync(string? typeCode, IFormFile? file, CancellationToken ct)
    {
        if (!Codes.TryParseDocumentType(typeCode, out var type))
            throw Refusal.Invalid("Choisissez le type de la pièce justificative (BON_DE_COMMANDE, FACTURE, VERIFICATION_APTITUDE ou AUTRE).", "$.type");
        if (file is null || file.Length == 0) throw Refusal.Invalid("Choisissez un fichier à importer.", "$.fichier");
        var rules = options.Value;
        var name = FileNames.Sanitize(file.FileName);
        if (FileRules.NameError(name, rules) is { } nameError) throw Refusal.Invalid(nameError, "$.fichier");
        if (file.Length > rules.MaxFileBytes) throw Refusal.Invalid(FileRules.SizeError(name, rules), "$.fichier");
        await using var stream = file.OpenReadStream();
        if (FileRules.ContentError(name, await FileRules.ReadHeadAsync(stream, ct)) is { } contentError)
            throw Refusal.Invalid(contentError, "$.fichier");
        // Never stored before the scanner's verdict; a scanner away throws ScannerUnavailableException (503).
        if (await scanner.ScanAndRewindAsync(stream, ct) is { Infected: true } verdict)
            throw Refusal.Invalid(ScanVerdict.InfectedMessage(name, verdict.Signature!), "$.fichier");
        StoredFile stored;
        try
        {
            stored = await store.SaveAsync(stream, rules.MaxFileBytes, ct);
        }
        catch (FileTooLargeException)
        {
            throw Refusal.Invalid(FileRules.SizeError(name, rules), "$.fichier");
        }
        return SupportingDocument.Create(type, name, stored.Key, FileRules.ContentType(name), stored.Size, stored.Sha256, clock.UtcNow());
    }

    /// <summary>Runs <paramref name="action"/> with the received document; if it is refused or fails, the stored file is deleted.</summary>
    public async Task<T> WithDocumentAsync<T>(string? typeCode, IFormFile? file, Func<SupportingDocument, Task<T>> action, CancellationToken ct)
    {
        var document = await ReceiveAsync(typeCode, file, ct);
        try
        {
            return await action(document);
        }
        catch
        {
            // Best effort: the refusal is the answer; a file left behind (storage away) is the purge's.
            try { await store.DeleteAsync(document.StorageKey, CancellationToken.None); }
            catch (Exception e) when (e is not OperationCanceledException) { }
            throw;
        }
    }
}
