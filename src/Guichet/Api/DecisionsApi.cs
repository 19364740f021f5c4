using System.Text.Json;
using Guichet.Accounts;
using Guichet.Hosting;
using Guichet.Instruction;

namespace Guichet.Api;

public sealed record DemandeDeModificationDto(string? Commentaire, List<string>? Elements);

public sealed record CommentaireDto(string? Commentaire);

public sealed record RejetDto(string? Motif);

/// <summary>
/// The agency's decisions over the API (SPEC §11), the same use cases as the pages (<see cref="Decisions"/>):
/// 200 with the request, 400 bad input, 403 wrong role, 404 not found, 409 wrong status or concurrent change.
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
        var managers = new[] { Roles.Gestionnaire };

        api.MapPost("/demande-de-modification", async (string numero, HttpContext http, Decisions decisions, CancellationToken ct) =>
        {
            var (body, error) = await ReadAsync<DemandeDeModificationDto>(http.Request, optional: false, ct);
            if (error is not null) return error;
            return Answer(http, await decisions.OpenRoundAsync(http.User, numero, body!.Commentaire, body.Elements, null, ct));
        }).RequireRoles(Roles.Gestionnaire, Roles.Assistance)
          .WithSummary("Ouvre une demande de modification (EN_COURS → A_MODIFIER) : { commentaire, elements }. L'assistance l'ouvre « à la demande du fournisseur ».");

        api.MapPost("/demande-de-modification/annuler", async (string numero, HttpContext http, Decisions decisions, CancellationToken ct) =>
        {
            var (body, error) = await ReadAsync<CommentaireDto>(http.Request, optional: true, ct);
            if (error is not null) return error;
            return Answer(http, await decisions.CancelRoundAsync(http.User, numero, body?.Commentaire, null, ct));
        }).RequireRoles(managers).WithSummary("Annule la demande de modification ouverte (A_MODIFIER → EN_COURS) ; corps facultatif { commentaire }.");

        api.MapPost("/valider", async (string numero, HttpContext http, Decisions decisions, CancellationToken ct) =>
            Answer(http, await decisions.ValidateAsync(http.User, numero, null, ct)))
            .RequireRoles(managers).WithSummary("Valide la demande (EN_COURS → VALIDEE).");

        api.MapPost("/rejeter", async (string numero, HttpContext http, Decisions decisions, CancellationToken ct) =>
        {
            var (body, error) = await ReadAsync<RejetDto>(http.Request, optional: false, ct);
            if (error is not null) return error;
            return Answer(http, await decisions.RejectAsync(http.User, numero, body!.Motif, null, ct));
        }).RequireRoles(managers).WithSummary("Rejette la demande (EN_COURS → REJETEE) : { motif } obligatoire.");

        api.MapPost("/payer", async (string numero, HttpContext http, Decisions decisions, CancellationToken ct) =>
            Answer(http, await decisions.MarkPaidAsync(http.User, numero, null, ct)))
            .RequireRoles(managers).WithSummary("Marque la demande « Décidée et payée » (VALIDEE → DECIDEE_ET_PAYEE).");
    }

    private static RouteHandlerBuilder RequireRoles(this RouteHandlerBuilder endpoint, params string[] roles) =>
        endpoint.RequireAuthorization(p => p.AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName).RequireRole(roles));

    private static IResult Answer(HttpContext http, DecisionResult result) => result.Succeeded
        ? Results.Ok(result.Request!.ToDto(http.User))
        : Problems.Result(result.Status, Problems.TitleFor(result.Status), result.Message);

    /// <summary>Reads a small JSON body; anything malformed is a French 400 naming the JSON path, never a 5xx.</summary>
    private static async Task<(T? Body, IResult? Error)> ReadAsync<T>(HttpRequest request, bool optional, CancellationToken ct) where T : class
    {
        if (request.ContentLength > MaxBody)
            return (null, Problems.Result(413, Problems.TitleFor(413), "Le corps de la requête ne doit pas dépasser 64 Ko."));
        using var buffer = new MemoryStream();
        var read = new byte[8192];
        int n;
        while ((n = await request.Body.ReadAsync(read, ct)) > 0)
        {
            buffer.Write(read, 0, n);
            if (buffer.Length > MaxBody)
                return (null, Problems.Result(413, Problems.TitleFor(413), "Le corps de la requête ne doit pas dépasser 64 Ko."));
        }
        if (buffer.Length == 0)
            return optional ? (null, null) : (null, Invalid("$", "Le corps de la requête est vide : un objet JSON est attendu."));
        try
        {
            var body = JsonSerializer.Deserialize<T>(buffer.ToArray(), Json);
            return body is null ? (null, Invalid("$", "Un objet JSON est attendu.")) : (body, null);
        }
        catch (JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) ? "$" : e.Path;
            return (null, Invalid(path, $"Le corps de la requête n'est pas un JSON valide ou contient une propriété inconnue (à {path})."));
        }
    }

    private static IResult Invalid(string path, string message) =>
        Problems.Result(400, "Requête invalide", message, [new ErrorItem(path, null, message)]);
}
