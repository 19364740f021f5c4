using System.Text.Json;
using Guichet.Accounts;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Modification;

namespace Guichet.Api;

/// <summary>The vendor's modification endpoints (SPEC §11): read and edit the draft, add or remove draft attachments, confirm or decline.</summary>
public static class ModificationApi
{
    public sealed record ModificationDto(string Numero, string Commentaire, IReadOnlyList<string> Elements, DateTime OuverteLe, DateTime RelanceLe,
        DateTime ClotureLe, DateOnly DateLimite, int JoursRestants, Dictionary<string, string> ValeursOrigine, BrouillonDto Brouillon);

    public static void MapModificationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapApiV1().MapGroup("/demandes/{numero}/modification").WithTags("Modification");

        api.MapGet("/", async (string numero, HttpContext http, ModificationService service, TimeProvider clock, CancellationToken ct) =>
            Answer(await service.LoadAsync(http.User, numero, ct), http, r => Results.Ok(ToDto(r, clock.UtcNow()))))
            .WithSummary("La demande de modification ouverte : commentaire, éléments, échéances et brouillon.");

        api.MapMethods("/", ["PATCH"], async (string numero, HttpContext http, ModificationService service, TimeProvider clock, CancellationToken ct) =>
        {
            if (!http.User.IsVendor()) return Forbidden();
            var (values, errors) = await ReadPatchAsync(http, ct);
            if (errors.Count > 0) return Problems.Result(400, "Modification refusée", errors: errors);
            return Answer(await service.EditAsync(http.User, numero, values, ct), http, r => Results.Ok(ToDto(r, clock.UtcNow())));
        }).WithSummary("Modifier le brouillon : { \"informations\": { \"contactSupport\": \"…\" } }, avec les règles du dépôt.");

        api.MapPost("/pieces", async (string numero, HttpContext http, ModificationService service, CancellationToken ct) =>
        {
            if (!http.User.IsVendor()) return Forbidden();
            if (!http.Request.HasFormContentType) return Problems.Result(415, "Type de contenu non pris en charge", "Envoyez un formulaire multipart avec les champs « type » et « fichier ».");
            IFormCollection form;
            try { form = await http.Request.ReadFormAsync(ct); }
            catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
            { return Problems.Result(400, "Requête invalide", "Le formulaire multipart est mal formé ou trop volumineux."); }
            return Answer(await service.AddDocumentAsync(http.User, numero, form["type"], form.Files.GetFile("fichier"), ct), http,
                (_, step) => Results.Created($"/api/v1/demandes/{numero}/modification/pieces/{step.Document!.Id}", step.Document!.ToDto()));
        }).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(64L * 1024 * 1024))
          .WithSummary("Importer une pièce justificative dans le brouillon (multipart : type, fichier).");

        api.MapDelete("/pieces/{id:guid}", async (string numero, Guid id, HttpContext http, ModificationService service, CancellationToken ct) =>
            Answer(await service.RemoveDocumentAsync(http.User, numero, id, ct), http, _ => Results.NoContent()))
            .WithSummary("Supprimer une pièce importée pendant cette modification (jamais une pièce présente avant).");

        api.MapPost("/confirmer", async (string numero, HttpContext http, ModificationService service, CancellationToken ct) =>
            Answer(await service.ConfirmAsync(http.User, numero, ct), http, r => Results.Ok(r.ToDto(http.User))))
            .WithSummary("« Confirmer » : applique le brouillon ; la demande repasse « en cours ».");

        api.MapPost("/renoncer", async (string numero, HttpContext http, ModificationService service, CancellationToken ct) =>
            Answer(await service.DeclineAsync(http.User, numero, ct), http, r => Results.Ok(r.ToDto(http.User))))
            .WithSummary("« Ne pas modifier » : abandonne le brouillon ; la demande repasse « en cours » et est instruite en l'état.");
    }

    private static IResult Forbidden() => Problems.Result(403, "Accès refusé", "Seul le fournisseur de la demande peut la modifier.");

    private static IResult Answer(StepResult step, HttpContext http, Func<FundingRequest, IResult> ok) => Answer(step, http, (r, _) => ok(r));

    private static IResult Answer(StepResult step, HttpContext http, Func<FundingRequest, StepResult, IResult> ok)
    {
        if (!http.User.IsVendor()) return Forbidden();
        return step.Ok ? ok(step.Request!, step) : Problems.Result(step.Status, Problems.TitleFor(step.Status), step.Errors.FirstOrDefault()?.Message, step.Errors);
    }

    private static ModificationDto ToDto(FundingRequest r, DateTime now)
    {
        var round = r.OpenRound!;
        return new ModificationDto(r.Number, round.Comment, round.Items, round.OpenedAt, round.ReminderDueAt, round.ClosingDueAt, round.LastDay,
            round.DaysLeft(now), round.FieldItems.ToDictionary(f => f.Replace("informations.", ""), f => EditableField.Get(r, f) ?? ""),
            new BrouillonDto(round.Draft.ToDictionary(kv => kv.Key.Replace("informations.", ""), kv => kv.Value),
                r.Documents.Where(d => d.IsDraftOf(round)).Select(d => d.ToDto()).ToList()));
    }

    /// <summary>Reads <c>{ "informations": { "contactSupport": "…" } }</c> strictly: anything else is a French 400.</summary>
    private static async Task<(Dictionary<string, string?> Values, List<ErrorItem> Errors)> ReadPatchAsync(HttpContext http, CancellationToken ct)
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
            errors.Add(new("$", null, "Le corps de la requête n'est pas un JSON valide."));
            return (values, errors);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new("$", null, "Le corps doit être un objet { \"informations\": { … } }."));
                return (values, errors);
            }
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name != "informations")
                {
                    errors.Add(new("$." + p.Name, null, $"Le champ « {p.Name} » n'est pas modifiable."));
                    continue;
                }
                if (p.Value.ValueKind != JsonValueKind.Object) { errors.Add(new("$.informations", null, "« informations » doit être un objet.")); continue; }
                foreach (var f in p.Value.EnumerateObject())
                {
                    var field = "informations." + f.Name;
                    if (!EditableField.Labels.ContainsKey(field)) errors.Add(new("$." + field, null, $"Le champ « {f.Name} » n'existe pas ou n'est pas modifiable."));
                    else if (f.Value.ValueKind != JsonValueKind.String) errors.Add(new("$." + field, null, $"Le champ « {f.Name} » doit être une chaîne de caractères."));
                    else values[field] = f.Value.GetString();
                }
            }
        }
        if (errors.Count == 0 && values.Count == 0) errors.Add(new("$.informations", null, "Indiquez au moins un champ à modifier."));
        return (values, errors);
    }
}
