using System.Text.Json;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Requests;

namespace Guichet.Api;

/// <summary>The vendor's « Modifier » over the API: read and edit the draft, add or remove draft attachments, confirm or decline.</summary>
public static class ModificationApi
{
    public sealed record ModificationDto(string Numero, string Commentaire, IReadOnlyList<string> Elements, DateTime OuverteLe, DateTime RelanceLe,
        DateTime ClotureLe, DateOnly DateLimite, int JoursRestants, Dictionary<string, string> ValeursOrigine, BrouillonDto Brouillon);

    public static void MapModificationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapApiV1().MapGroup("/demandes/{numero}/modification").WithTags("Modification").RequireRoles(Roles.Fournisseur);

        api.MapGet("/", async (string numero, HttpContext http, GuichetDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            var request = await RequestAccess.LoadAsync(db, http.User, numero, ct);
            return Results.Ok(ToDto(request, clock.GetUtcNow().UtcDateTime));
        }).WithName("GetModification").Answers<ModificationDto>().Refuses(403, 404, 409)
          .WithSummary("Lire la demande de modification ouverte")
          .WithDescription("Commentaire du gestionnaire, éléments à modifier, échéances J+10 et J+20, valeurs d'origine et brouillon ; 409 si aucune modification n'est ouverte.");

        api.MapMethods("/", ["PATCH"], async (string numero, HttpContext http, SaveDraft save, TimeProvider clock, CancellationToken ct) =>
        {
            var values = await ReadPatchAsync(http, ct);
            return Results.Ok(ToDto(await save.RunAsync(http.User, numero, values, ct), clock.GetUtcNow().UtcDateTime));
        }).WithName("EditDraft").Accepts<BrouillonModifieDto>("application/json").Answers<ModificationDto>().Refuses(400, 403, 404, 409, 413, 415)
          .WithSummary("Modifier le brouillon")
          .WithDescription("Corps { \"informations\": { \"contactSupport\": \"…\" } } : seuls les champs ouverts par la modification, vérifiés avec les règles du dépôt. Rien n'est visible du gestionnaire avant « Confirmer ».");

        api.MapPost("/pieces", async (string numero, HttpContext http, ImportDraftDocument import, CancellationToken ct) =>
        {
            var form = await ApiV1.ReadFormAsync(http.Request, ct);
            var document = await import.RunAsync(http.User, numero, form["type"], form.Files.GetFile("fichier"), ct);
            return Results.Created($"/api/v1/demandes/{numero}/modification/pieces/{document.Id}", document.ToDto());
        }).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ApiV1.MaxAttachmentBody))
          .WithName("ImportDraftDocument").Accepts<PieceFormulaire>("multipart/form-data").Answers<PieceJointeDto>(StatusCodes.Status201Created)
          .Refuses(400, 403, 404, 409, 413, 415)
          .WithSummary("Importer une pièce dans le brouillon")
          .WithDescription("Multipart : type (code du type de pièce ouvert par la modification), fichier (PDF, JPEG ou PNG).");

        api.MapDelete("/pieces/{id:guid}", async (string numero, Guid id, HttpContext http, RemoveDraftDocument remove, CancellationToken ct) =>
        {
            await remove.RunAsync(http.User, numero, id, ct);
            return Results.NoContent();
        }).WithName("RemoveDraftDocument").Produces(StatusCodes.Status204NoContent).Refuses(403, 404, 409)
          .WithSummary("Supprimer une pièce du brouillon")
          .WithDescription("Seule une pièce importée pendant cette modification peut être supprimée, jamais une pièce présente avant.");

        api.MapPost("/confirmer", async (string numero, HttpContext http, ConfirmModification confirm, CancellationToken ct) =>
            Results.Ok((await confirm.RunAsync(http.User, numero, null, ct)).ToDto(http.User)))
            .WithName("ConfirmModification").Answers<DemandeDto>().Refuses(400, 403, 404, 409)
            .WithSummary("« Confirmer » la modification")
            .WithDescription("Applique le brouillon ; la demande repasse EN_COURS et le gestionnaire voit les valeurs modifiées.");

        api.MapPost("/renoncer", async (string numero, HttpContext http, DeclineModification decline, CancellationToken ct) =>
            Results.Ok((await decline.RunAsync(http.User, numero, ct)).ToDto(http.User)))
            .WithName("DeclineModification").Answers<DemandeDto>().Refuses(403, 404, 409)
            .WithSummary("« Ne pas modifier »")
            .WithDescription("Abandonne le brouillon ; la demande repasse EN_COURS et est instruite en l'état.");
    }

    /// <summary>The open round seen by the vendor; refused when no round is open.</summary>
    private static ModificationDto ToDto(FundingRequest r, DateTime now)
    {
        if (!r.Allows(RequestAction.Modify))
            throw Refusal.WrongStatus(r.Status, "Modifier", FundingRequest.StatusFor(RequestAction.Modify));
        var round = r.OpenRound!;
        return new ModificationDto(r.Number, round.Comment, round.Items, round.OpenedAt, round.ReminderDueAt, round.ClosingDueAt, round.LastDay,
            round.DaysLeft(now), round.FieldItems.ToDictionary(EditableField.JsonName, f => EditableField.Read(r, f)), r.DraftDto(round));
    }

    /// <summary>Reads <c>{ "informations": { "contactSupport": "…" } }</c> strictly: anything else is a French 400 naming the path.</summary>
    private static async Task<Dictionary<string, string?>> ReadPatchAsync(HttpContext http, CancellationToken ct)
    {
        var values = new Dictionary<string, string?>();
        var errors = new List<ErrorItem>();
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(http.Request.Body, new JsonDocumentOptions { MaxDepth = 16 }, ct);
        }
        catch (JsonException)
        {
            throw Refusal.Invalid("Le corps de la requête n'est pas un JSON valide.");
        }
        using (doc)
        try
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Refusal.Invalid("Le corps doit être un objet { \"informations\": { … } }.");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name != "informations")
                {
                    errors.Add(new("$." + p.Name, null, $"Le champ « {p.Name} » n'est pas modifiable."));
                    continue;
                }
                if (p.Value.ValueKind != JsonValueKind.Object) { errors.Add(new("$.informations", null, "« informations » doit être un objet.")); continue; }
                foreach (var f in p.Value.EnumerateObject())
                {
                    var field = "informations." + f.Name;
                    if (!EditableField.Exists(field)) errors.Add(new("$." + field, null, $"Le champ « {f.Name} » n'existe pas ou n'est pas modifiable."));
                    else if (f.Value.ValueKind != JsonValueKind.String) errors.Add(new("$." + field, null, $"Le champ « {f.Name} » doit être une chaîne de caractères."));
                    else values[field] = f.Value.GetString();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // GetString and property names refuse invalid UTF-8 and unpaired surrogate escapes.
            throw Refusal.Invalid("Le corps de la requête contient un texte mal encodé : UTF-8 attendu.");
        }
        if (errors.Count == 0 && values.Count == 0) errors.Add(new("$.informations", null, "Indiquez au moins un champ à modifier."));
        if (errors.Count > 0) throw Refusal.Invalid(errors);
        return values;
    }
}
