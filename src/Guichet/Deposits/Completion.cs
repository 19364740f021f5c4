using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Storage;
using Guichet.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

public sealed record CompletionResult(int Status, string? Error, FundingRequest? Request);

/// <summary>Completing an incomplete request with a missing attachment: the page and <c>POST …/pieces</c> both call this.</summary>
public sealed class Completion(GuichetDbContext db, AttachmentStore store, TimeProvider clock, IOptions<AttachmentOptions> options)
{
    public async Task<CompletionResult> AddAsync(ClaimsPrincipal user, string numero, string? typeCode, IFormFile? file, CancellationToken ct)
    {
        var request = user.IsVendor() ? await RequestQuery.FindAsync(db, user, numero, ct) : null;
        if (request is null) return new(404, "Demande introuvable.", null);
        if (request.Status != RequestStatus.Incomplete)
            return new(409, Refusal.WrongStatus(request.Status, "Compléter la demande", RequestStatus.Incomplete).Message, request);
        if (!Codes.TryParseDocumentType(typeCode, out var type))
            return new(400, "Choisissez le type de la pièce justificative (BON_DE_COMMANDE, FACTURE, VERIFICATION_APTITUDE ou AUTRE).", request);
        var (stored, error) = await StoreCheckedAsync(store, options.Value, file, ct);
        if (error is not null) return new(400, error, request);

        var scheme = await db.Schemes.SingleAsync(s => s.Code == request.SchemeCode, ct);
        var now = clock.UtcNow();
        var document = SupportingDocument.Create(type, FileNames.Sanitize(file!.FileName), stored!.Key, FileRules.ContentType(file.FileName), stored.Size, stored.Sha256, now);
        try
        {
            request.Complete(user.Actor(Roles.Fournisseur), scheme, [document], now);
            await db.SaveChangesAsync(ct);
            return new(200, null, request);
        }
        catch (Exception e) when (e is Refusal or DbUpdateConcurrencyException)
        {
            store.Delete(stored.Key);
            return new(409, e is Refusal ? e.Message : ErrorHandling.Classify(e).Message, request);
        }
    }

    /// <summary>Checks an uploaded attachment (type, signature, size) and streams it to the store; the same checks as in a deposit ZIP.</summary>
    public static async Task<(StoredFile? Stored, string? Error)> StoreCheckedAsync(AttachmentStore store, AttachmentOptions options, IFormFile? file, CancellationToken ct)
    {
        if (file is null || file.Length == 0) return (null, "Choisissez un fichier à importer.");
        var name = FileNames.Sanitize(file.FileName);
        if (FileRules.NameError(name, options) is { } nameError) return (null, nameError);
        if (file.Length > options.MaxFileBytes) return (null, FileRules.SizeError(name, options));
        await using var stream = file.OpenReadStream();
        if (FileRules.ContentError(name, await FileRules.ReadHeadAsync(stream, ct)) is { } contentError) return (null, contentError);
        stream.Position = 0;
        try
        {
            return (await store.SaveAsync(stream, options.MaxFileBytes, ct), null);
        }
        catch (FileTooLargeException)
        {
            return (null, FileRules.SizeError(name, options));
        }
    }
}
