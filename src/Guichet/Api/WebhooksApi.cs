using System.Globalization;
using System.Text.Json;
using Guichet.Accounts;
using Guichet.Hosting;
using Guichet.Webhooks;

namespace Guichet.Api;

public sealed record WebhookSaisieDto(string? Url, List<string>? Types, bool? Actif);

public sealed record WebhookDto(long Id, string Url, IReadOnlyList<string> Types, bool Actif, DateTime CreeLe, DateTime? EnEchecDepuis,
    string? MotifPause, DateTime? AncienSecretValideJusquA);

/// <summary>A subscription with its signing secret: shown once, at its creation and at each rotation.</summary>
public sealed record WebhookAvecSecretDto(WebhookDto Webhook, string Secret);

public sealed record TentativeDto(DateTime Date, string Evenement, string Type, string? Curseur, int? StatutHttp, int DureeMs, string? Reponse, string? Erreur);

public sealed record LivraisonDto(long Id, string Evenement, string Etat);

public sealed record RejeuDto(string? Curseur);

/// <summary><c>/api/v1/webhooks</c>: the organisation's endpoints, their attempts, a test event and replays. Vendors only.</summary>
public static class WebhooksApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static void MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapApiV1().MapGroup("/webhooks").WithTags("Intégration").RequireRoles(Roles.Fournisseur);

        api.MapGet("/", async (HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
            Results.Ok((await hooks.ListAsync(http.User, ct)).Select(ToDto).ToList()))
            .WithName("ListWebhooks").Answers<List<WebhookDto>>()
            .WithSummary("Webhooks de l'organisme").WithDescription("Les points d'accès de l'organisme de l'appelant (jamais leur secret).");

        api.MapPost("/", async (HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
        {
            var body = await ReadAsync<WebhookSaisieDto>(http.Request, ct);
            var created = await hooks.CreateAsync(http.User, body.Url, body.Types, body.Actif, ct);
            return Results.Created($"/api/v1/webhooks/{created.Id}", new WebhookAvecSecretDto(ToDto(created), created.Secret));
        }).WithName("CreateWebhook").Accepts<WebhookSaisieDto>("application/json").Answers<WebhookAvecSecretDto>(201).Refuses(400, 409, 413)
          .WithSummary("Créer un webhook")
          .WithDescription("Corps { url, types, actif } : url en https:// vers une adresse publique, types parmi ceux de la documentation « Intégration ». "
              + "La réponse contient le secret de signature (« whsec_… ») : il n'est montré qu'une fois.");

        api.MapGet("/{id:long}", async (long id, HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
            Results.Ok(ToDto(await hooks.FindAsync(http.User, id, ct))))
            .WithName("GetWebhook").Answers<WebhookDto>().Refuses(404).WithSummary("Un webhook")
            .WithDescription("Adresse, types, état (en pause, motif), échecs en cours ; jamais le secret. Un webhook d'un autre organisme est introuvable (404).");

        api.MapPatch("/{id:long}", async (long id, HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
        {
            var body = await ReadAsync<WebhookSaisieDto>(http.Request, ct);
            return Results.Ok(ToDto(await hooks.ChangeAsync(http.User, id, body.Url, body.Types, body.Actif, ct)));
        }).WithName("ChangeWebhook").Accepts<WebhookSaisieDto>("application/json").Answers<WebhookDto>().Refuses(400, 404, 413)
          .WithSummary("Modifier un webhook").WithDescription("Les champs présents sont changés ; « actif » à false le met en pause, à true le réactive.");

        api.MapDelete("/{id:long}", async (long id, HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
        {
            await hooks.DeleteAsync(http.User, id, ct);
            return Results.NoContent();
        }).WithName("DeleteWebhook").Produces(StatusCodes.Status204NoContent).Refuses(404).WithSummary("Supprimer un webhook")
          .WithDescription("Le webhook, ses livraisons en attente et ses tentatives sont supprimés ; les événements restent dans le flux.");

        api.MapPost("/{id:long}/secret", async (long id, HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
        {
            var rotated = await hooks.RotateAsync(http.User, id, ct);
            return Results.Ok(new WebhookAvecSecretDto(ToDto(rotated), rotated.Secret));
        }).WithName("RotateWebhookSecret").Answers<WebhookAvecSecretDto>().Refuses(404)
          .WithSummary("Changer le secret de signature")
          .WithDescription("Un nouveau secret, montré une fois ; l'ancien reste valide (les envois portent les deux signatures) pendant Webhooks:RotationHours.");

        api.MapGet("/{id:long}/tentatives", async (long id, HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
        {
            var limit = 100;
            if (http.Request.Query.TryGetValue("limite", out var l) && !string.IsNullOrEmpty(l)
                && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > 500))
                throw Refusal.Invalid("« limite » doit être un entier entre 1 et 500.", "limite");
            var attempts = await hooks.AttemptsAsync(http.User, id, limit, ct);
            return Results.Ok(attempts.Select(a => new TentativeDto(a.Attempt.At, EventBody.IdOf(a.Event), a.Event.Type,
                a.Event.Position?.ToString(CultureInfo.InvariantCulture), a.Attempt.StatusCode, a.Attempt.DurationMs, a.Attempt.Response, a.Attempt.Error)).ToList());
        }).WithName("ListWebhookAttempts").Answers<List<TentativeDto>>().Refuses(400, 404)
          .WithSummary("Tentatives de livraison")
          .WithDescription("Les dernières tentatives (« limite », 100 par défaut), de la plus récente à la plus ancienne : date, statut HTTP, durée, début de la réponse.");

        api.MapPost("/{id:long}/test", async (long id, HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
        {
            var delivery = await hooks.SendTestAsync(http.User, id, ct);
            return Results.Accepted(null, new LivraisonDto(delivery.Id, EventBody.IdOf(delivery.Event!), delivery.StateCode));
        }).WithName("SendWebhookTest").Answers<LivraisonDto>(202).Refuses(404)
          .WithSummary("Envoyer un événement de test").WithDescription("Un événement de type « test » livré à ce webhook seulement (absent du flux).");

        api.MapPost("/{id:long}/rejouer", async (long id, HttpContext http, WebhookSubscriptions hooks, CancellationToken ct) =>
        {
            var body = await ReadAsync<RejeuDto>(http.Request, ct);
            if (!long.TryParse(body.Curseur, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
                throw Refusal.Invalid("« curseur » doit être le curseur d'un événement du flux.", "$.curseur");
            var delivery = await hooks.ReplayAsync(http.User, id, position, ct);
            return Results.Accepted(null, new LivraisonDto(delivery.Id, EventBody.IdOf(delivery.Event!), delivery.StateCode));
        }).WithName("ReplayWebhookEvent").Accepts<RejeuDto>("application/json").Answers<LivraisonDto>(202).Refuses(400, 404, 413)
          .WithSummary("Rejouer un événement")
          .WithDescription("Corps { curseur } : l'événement du flux de ce curseur est livré une nouvelle fois à ce webhook, avec le même webhook-id.");
    }

    public static WebhookDto ToDto(WebhookSubscription s) => new(s.Id, s.Url, s.Types, s.Active, s.CreatedAt, s.FailingSince, s.PauseReason,
        s.PreviousSecret is null ? null : s.PreviousSecretUntil);

    private const long MaxBody = 16 * 1024;

    /// <summary>A small JSON body; anything malformed is a French 400 naming the path, never a 5xx.</summary>
    private static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (request.ContentLength > MaxBody) throw Refusal.TooLarge("Le corps de la requête ne doit pas dépasser 16 Ko.");
        using var buffer = new MemoryStream();
        var read = new byte[4096];
        int n;
        while ((n = await request.Body.ReadAsync(read, ct)) > 0)
        {
            buffer.Write(read, 0, n);
            if (buffer.Length > MaxBody) throw Refusal.TooLarge("Le corps de la requête ne doit pas dépasser 16 Ko.");
        }
        if (buffer.Length == 0) throw Refusal.Invalid("Le corps de la requête est vide : un objet JSON est attendu.");
        try
        {
            return JsonSerializer.Deserialize<T>(buffer.ToArray(), Json) ?? throw Refusal.Invalid("Un objet JSON est attendu.");
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
