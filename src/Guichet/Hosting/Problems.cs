using System.Text.Json;

namespace Guichet.Hosting;

/// <summary>Writes RFC 9457 Problem Details in French, with the « erreurs » list of the API contract.</summary>
public static class Problems
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Result(int status, string title, string? detail = null, IEnumerable<ErrorItem>? errors = null) =>
        Results.Json(Body(status, title, detail, errors), Json, "application/problem+json", status);

    /// <summary>The API's answer to a refused action: the one place where a refusal becomes an HTTP status.</summary>
    public static IResult Result(Refusal refusal)
    {
        var status = StatusOf(refusal.Kind);
        return Result(status, TitleFor(status), refusal.Message, refusal.Errors);
    }

    public static int StatusOf(RefusalKind kind) => kind switch
    {
        RefusalKind.Invalid => StatusCodes.Status400BadRequest,
        RefusalKind.NotFound => StatusCodes.Status404NotFound,
        RefusalKind.Forbidden => StatusCodes.Status403Forbidden,
        RefusalKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        RefusalKind.Unsupported => StatusCodes.Status415UnsupportedMediaType,
        _ => StatusCodes.Status409Conflict,
    };

    public static Task Write(HttpContext context, int status, string title, string? detail = null, IEnumerable<ErrorItem>? errors = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(Body(status, title, detail, errors), Json));
    }

    public static string TitleFor(int status) => status switch
    {
        400 => "Requête invalide",
        401 => "Authentification requise",
        403 => "Accès refusé",
        404 => "Ressource introuvable",
        405 => "Méthode non autorisée",
        409 => "Conflit avec l'état de la demande",
        413 => "Contenu trop volumineux",
        415 => "Type de contenu non pris en charge",
        429 => "Trop de requêtes",
        503 => "Service momentanément indisponible",
        _ when status >= 500 => "Erreur interne du service",
        _ => "Erreur",
    };

    private static Dictionary<string, object?> Body(int status, string title, string? detail, IEnumerable<ErrorItem>? errors)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = "about:blank",
            ["title"] = title,
            ["status"] = status,
        };
        if (detail is not null) body["detail"] = detail;
        body["erreurs"] = errors?.ToList() ?? (detail is null ? [] : [new ErrorItem("$", null, detail)]);
        return body;
    }
}
