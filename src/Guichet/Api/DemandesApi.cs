using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Requests;

namespace Guichet.Api;

/// <summary><c>/api/v1/demandes</c>: list and detail, scoped to the caller's organisation (the agency sees all), and completion.</summary>
public static class DemandesApi
{
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
            Results.Ok((await RequestAccess.LoadAsync(db, http.User, numero, ct)).ToDto(http.User)))
            .WithSummary("Détail d'une demande : statut, informations, pièces jointes, historique, modification en cours.");

        api.MapPost("/{numero}/pieces", async (string numero, HttpContext http, CompleteRequest complete, CancellationToken ct) =>
        {
            var form = await ApiV1.ReadFormAsync(http.Request, ct);
            var request = await complete.RunAsync(http.User, numero, form["type"], form.Files.GetFile("fichier"), ct);
            return Results.Ok(request.ToDto(http.User));
        }).RequireRoles(Roles.Fournisseur).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ApiV1.MaxAttachmentBody))
          .WithSummary("Compléter une demande incomplète avec une pièce justificative (multipart : type, fichier).");
    }
}
