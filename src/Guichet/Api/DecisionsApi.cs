using System.Text.Json;
using Guichet.Accounts;
using Guichet.Hosting;
using Guichet.Requests;

namespace Guichet.Api;

public sealed record DemandeDeModificationDto(string? Commentaire, List<string>? Elements);

public sealed record CommentaireDto(string? Commentaire);

public sealed record RejetDto(string? Motif);

/// <summary>
/// The agency's decisions over the API, the same actions as the pages (<c>Requests/</c>): 200 with the request, 400 bad input,
/// 403 wrong role, 404 not found, 409 wrong status or concurrent change.
/// </summary>
public static class DecisionsApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private const long MaxBody = 64 * 1024;

    public static void MapDecisionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapApiV1().MapGroup("/demandes/{numero}").WithTags("Instruction");

        api.MapPost("/demande-de-modification", async (string numero, HttpContext http, OpenRound open, CancellationToken ct) =>
        {
            var body = await ReadAsync<DemandeDeModificationDto>(http.Request, optional: false, ct);
            return Ok(http, await open.RunAsync(http.User, numero, body!.Commentaire, body.Elements, null, ct));
        }).RequireRoles(Roles.Gestionnaire, Roles.Assistance)
          .WithName("OpenModificationRound").Accepts<DemandeDeModificationDto>("application/json").Answers<DemandeDto>().Refuses(400, 403, 404, 409, 413)
          .WithSummary("Demander une modification")
          .WithDescription("EN_COURS → A_MODIFIER. Corps { commentaire, elements } : elements liste les champs (« informations.contactSupport ») et les pièces à ajouter (« piece:FACTURE »). L'assistance l'ouvre « à la demande du fournisseur ».");

        api.MapPost("/demande-de-modification/annuler", async (string numero, HttpContext http, CancelRound cancel, CancellationToken ct) =>
        {
            var body = await ReadAsync<CommentaireDto>(http.Request, optional: true, ct);
            return Ok(http, await cancel.RunAsync(http.User, numero, body?.Commentaire, null, ct));
        }).RequireRoles(Roles.Gestionnaire)
          .WithName("CancelModificationRound").Accepts<CommentaireDto>(isOptional: true, "application/json").Answers<DemandeDto>().Refuses(400, 403, 404, 409, 413)
          .WithSummary("Annuler la demande de modification").WithDescription("A_MODIFIER → EN_COURS ; corps facultatif { commentaire }.");

        api.MapPost("/valider", async (string numero, HttpContext http, ValidateRequest validate, CancellationToken ct) =>
            Ok(http, await validate.RunAsync(http.User, numero, null, ct)))
            .RequireRoles(Roles.Gestionnaire)
            .WithName("ValidateRequest").Answers<DemandeDto>().Refuses(403, 404, 409)
            .WithSummary("Valider la demande").WithDescription("EN_COURS → VALIDEE.");

        api.MapPost("/rejeter", async (string numero, HttpContext http, RejectRequest reject, CancellationToken ct) =>
        {
            var body = await ReadAsync<RejetDto>(http.Request, optional: false, ct);
            return Ok(http, await reject.RunAsync(http.User, numero, body!.Motif, null, ct));
        }).RequireRoles(Roles.Gestionnaire)
          .WithName("RejectRequest").Accepts<RejetDto>("application/json").Answers<DemandeDto>().Refuses(400, 403, 404, 409, 413)
          .WithSummary("Rejeter la demande").WithDescription("EN_COURS → REJETEE ; corps { motif }, motif obligatoire.");

        api.MapPost("/payer", async (string numero, HttpContext http, MarkPaid pay, CancellationToken ct) =>
            Ok(http, await pay.RunAsync(http.User, numero, null, ct)))
            .RequireRoles(Roles.Gestionnaire)
            .WithName("MarkPaid").Answers<DemandeDto>().Refuses(403, 404, 409)
            .WithSummary("Marquer « Décidée et payée »").WithDescription("VALIDEE → DECIDEE_ET_PAYEE.");
    }

    private static IResult Ok(HttpContext http, FundingRequest request) => Results.Ok(request.ToDto(http.User));

    /// <summary>Reads a small JSON body; anything malformed is a French 400 naming the JSON path, never a 5xx.</summary>
    internal static async Task<T?> ReadAsync<T>(HttpRequest request, bool optional, CancellationToken ct, long maxBody = MaxBody) where T : class
    {
        var tooLarge = $"Le corps de la requête ne doit pas dépasser {maxBody / 1024} Ko.";
        if (request.ContentLength > maxBody) throw Refusal.TooLarge(tooLarge);
        using var buffer = new MemoryStream();
        var read = new byte[8192];
        int n;
        while ((n = await request.Body.ReadAsync(read, ct)) > 0)
        {
            buffer.Write(read, 0, n);
            if (buffer.Length > maxBody) throw Refusal.TooLarge(tooLarge);
        }
        if (buffer.Length == 0)
            return optional ? null : throw Refusal.Invalid("Le corps de la requête est vide : un objet JSON est attendu.");
        try
        {
            var body = JsonSerializer.Deserialize<T>(buffer.ToArray(), Json);
            return body ?? throw Refusal.Invalid("Un objet JSON est attendu.");
        }
        catch (InvalidOperationException)
        {
            throw Refusal.Invalid("Le corps de la requête contient un texte mal encodé : UTF-8 attendu.");
        }
        catch (JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) ? "$" : e.Path;
            throw Refusal.Invalid($"Le corps de la requête n'est pas un JSON valide ou contient une propriété inconnue (à {path}).", path);
        }
    }
}
