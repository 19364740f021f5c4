using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Deposits;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Storage;
using Guichet.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Modification;

/// <summary>The outcome of a modification step: 200, or a 4xx with French errors and nothing changed.</summary>
public sealed record StepResult(int Status, IReadOnlyList<ErrorItem> Errors, FundingRequest? Request = null, SupportingDocument? Document = null)
{
    public bool Ok => Status is >= 200 and < 300;
    public static StepResult Fail(int status, string message, string path = "$") => new(status, [new ErrorItem(path, null, message)]);
}

/// <summary>
/// The vendor's side of a modification round (the training deck): edit the draft with the deposit's rules, import or
/// remove draft attachments, « Confirmer » or « Ne pas modifier ». Pages and API call these same methods.
/// </summary>
public sealed class ModificationService(GuichetDbContext db, AttachmentStore store, TimeProvider clock, IOptions<AttachmentOptions> files)
{
    /// <summary>The vendor's own request with its open round; 404 for anyone else's, 409 when no round is open.</summary>
    public async Task<StepResult> LoadAsync(ClaimsPrincipal user, string numero, CancellationToken ct)
    {
        var request = user.IsVendor() ? await RequestQuery.FindAsync(db, user, numero, ct) : null;
        if (request is null) return StepResult.Fail(404, "Demande introuvable.");
        if (request.Status != RequestStatus.AModifier || request.OpenRound is null)
            return new StepResult(409, [new ErrorItem("$", null, Refusal.WrongStatus(request.Status, "Modifier", RequestStatus.AModifier).Message)], request);
        return new StepResult(200, [], request);
    }

    /// <summary>Checks a proposed value with the same rule as at deposit; null when valid.</summary>
    public static string? FieldError(string field, string? value) => field switch
    {
        EditableField.ContactSupport => RequestRules.ContactSupportError(value),
        _ => $"Le champ « {field} » n'est pas modifiable.",
    };

    /// <summary>Saves draft values; an invalid value or a field not asked for refuses the whole edit.</summary>
    public async Task<StepResult> EditAsync(ClaimsPrincipal user, string numero, IReadOnlyDictionary<string, string?> values, CancellationToken ct)
    {
        var loaded = await LoadAsync(user, numero, ct);
        if (!loaded.Ok) return loaded;
        var request = loaded.Request!;
        var round = request.OpenRound!;
        var errors = new List<ErrorItem>();
        foreach (var (field, value) in values)
        {
            var path = "$." + field;
            if (!round.FieldItems.Contains(field))
                errors.Add(new(path, request.VendorReference, $"Le champ « {EditableField.Labels.GetValueOrDefault(field, field)} » n'est pas modifiable dans cette demande de modification."));
            else if (FieldError(field, value) is { } error)
                errors.Add(new(path, request.VendorReference, error));
        }
        if (errors.Count > 0) return new StepResult(400, errors, request);
        var now = clock.UtcNow();
        foreach (var (field, value) in values) request.EditDraft(field, value?.Trim(), now);
        return await SaveAsync(request, ct);
    }

    /// <summary>« Importer »: the same file checks as a deposit; the file stays in the draft until « Confirmer ».</summary>
    public async Task<StepResult> AddDocumentAsync(ClaimsPrincipal user, string numero, string? typeCode, IFormFile? file, CancellationToken ct)
    {
        var loaded = await LoadAsync(user, numero, ct);
        if (!loaded.Ok) return loaded;
        var request = loaded.Request!;
        if (!Codes.TryParseDocumentType(typeCode, out var type))
            return new StepResult(400, [new ErrorItem("$.type", null, "Sélectionnez le type de la pièce justificative.")], request);
        var (stored, error) = await Completion.StoreCheckedAsync(store, files.Value, file, ct);
        if (error is not null) return new StepResult(400, [new ErrorItem("$.fichier", null, error)], request);
        var scheme = await db.Schemes.SingleAsync(s => s.Code == request.SchemeCode, ct);
        var document = SupportingDocument.Create(type, FileNames.Sanitize(file!.FileName), stored!.Key, FileRules.ContentType(file.FileName), stored.Size, stored.Sha256, clock.UtcNow());
        try
        {
            request.AddDraftDocument(document, scheme, clock.UtcNow());
        }
        catch (Refusal e)
        {
            store.Delete(stored.Key);
            return new StepResult(409, [new ErrorItem("$", null, e.Message)], request);
        }
        var saved = await SaveAsync(request, ct);
        if (!saved.Ok) store.Delete(stored.Key);
        return saved with { Document = document };
    }

    /// <summary>The bin icon: only an attachment imported during this round can be removed; its file is purged.</summary>
    public async Task<StepResult> RemoveDocumentAsync(ClaimsPrincipal user, string numero, Guid documentId, CancellationToken ct)
    {
        var loaded = await LoadAsync(user, numero, ct);
        if (!loaded.Ok) return loaded;
        var request = loaded.Request!;
        if (request.Documents.All(d => d.Id != documentId)) return StepResult.Fail(404, "Pièce justificative introuvable.");
        SupportingDocument removed;
        try
        {
            removed = request.RemoveDraftDocument(documentId, clock.UtcNow());
        }
        catch (Refusal e)
        {
            return new StepResult(409, [new ErrorItem("$", null, e.Message)], request);
        }
        var saved = await SaveAsync(request, ct);
        if (saved.Ok) store.Delete(removed.StorageKey);
        return saved;
    }

    /// <summary>« Confirmer »: the draft is checked again and applied at once; the request goes back « En cours ». The acknowledgement e-mail is written in the same SaveChanges.</summary>
    public async Task<StepResult> ConfirmAsync(ClaimsPrincipal user, string numero, CancellationToken ct)
    {
        var loaded = await LoadAsync(user, numero, ct);
        if (!loaded.Ok) return loaded;
        var request = loaded.Request!;
        var round = request.OpenRound!;
        var errors = round.Draft.Select(kv => (kv.Key, Error: FieldError(kv.Key, kv.Value)))
            .Where(x => x.Error is not null).Select(x => new ErrorItem("$." + x.Key, request.VendorReference, x.Error!)).ToList();
        if (errors.Count > 0) return new StepResult(400, errors, request);
        var now = clock.UtcNow();
        request.ConfirmModification(user.Actor(Roles.Fournisseur), now);
        await Outbox.EnqueueForRequestAsync(db, request, EmailKind.ModificationConfirmed, now, ct);
        return await SaveAsync(request, ct);
    }

    /// <summary>« Ne pas modifier »: the draft and its files are discarded; the request is instructed as it stands.</summary>
    public async Task<StepResult> DeclineAsync(ClaimsPrincipal user, string numero, CancellationToken ct)
    {
        var loaded = await LoadAsync(user, numero, ct);
        if (!loaded.Ok) return loaded;
        var request = loaded.Request!;
        var now = clock.UtcNow();
        var discarded = request.DeclineModification(user.Actor(Roles.Fournisseur), now);
        await Outbox.EnqueueForRequestAsync(db, request, EmailKind.ModificationDeclined, now, ct);
        var saved = await SaveAsync(request, ct);
        if (saved.Ok) foreach (var d in discarded) store.Delete(d.StorageKey);
        return saved;
    }

    private async Task<StepResult> SaveAsync(FundingRequest request, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return new StepResult(200, [], request);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return StepResult.Fail(409, "La demande a changé entre-temps (la demande de modification a peut-être été annulée ou clôturée). "
                + "Rechargez la page : rien n'a été enregistré.");
        }
    }
}
