using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Tracking;

namespace Guichet.Api;

/// <summary><c>/api/v1/demandes</c>: list and detail, scoped to the caller's organisation (the agency sees all).</summary>
public static class DemandesApi
{
    public static RouteGroupBuilder MapApiV1(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/v1")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName).RequireAuthenticatedUser())
            .DisableAntiforgery();

    public static void MapDemandesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapApiV1().MapGroup("/demandes").WithTags("Demandes");

        api.MapGet("/", async (HttpContext http, GuichetDbContext db, CancellationToken ct) =>
        {
            var errors = new List<ErrorItem>();
            var filter = RequestQuery.Parse(http.Request.Query, errors);
            if (errors.Count > 0) return Problems.Result(400, "Paramètres de recherche invalides", errors: errors);
            var page = await RequestQuery.RunAsync(db, http.User, filter, ct);
            return Results.Ok(new ListeDemandesDto(page.Total, filter.Page, filter.Size, page.Rows.Select(r => r.ToDto()).ToList()));
        }).WithSummary("Liste des demandes visibles par l'appelant (filtres statut, type, dispositif, q ; pagination page, taille).");

        api.MapGet("/{numero}", async (string numero, HttpContext http, GuichetDbContext db, CancellationToken ct) =>
        {
            var request = await RequestQuery.FindAsync(db, http.User, numero, ct);
            return request is null
                ? Problems.Result(404, "Demande introuvable", $"Aucune demande « {Clip(numero)} » ne vous est accessible.")
                : Results.Ok(request.ToDto(http.User));
        }).WithSummary("Détail d'une demande : statut, informations, pièces jointes, historique, modification en cours.");
    }

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
