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
        }).WithName("ListRequests").Answers<ListeDemandesDto>().Refuses(400)
          .WithSummary("Liste des demandes visibles par l'appelant")
          .WithDescription("Le fournisseur voit les demandes de son organisme, l'Agence toutes. Filtres statut, type, dispositif, q ; pagination page, taille ; tri.");

        api.MapGet("/{numero}", async (string numero, HttpContext http, GuichetDbContext db, CancellationToken ct) =>
            Results.Ok((await RequestAccess.LoadAsync(db, http.User, numero, ct)).ToDto(http.User)))
            .WithName("GetRequest").Answers<DemandeDto>().Refuses(404)
            .WithSummary("Détail d'une demande")
            .WithDescription("Statut, informations, pièces jointes, historique et modification en cours (avec le brouillon, pour le fournisseur seulement).");

        api.MapPost("/{numero}/pieces", async (string numero, HttpContext http, CompleteRequest complete, CancellationToken ct) =>
        {
            var form = await ApiV1.ReadFormAsync(http.Request, ct);
            var request = await complete.RunAsync(http.User, numero, form["type"], form.Files.GetFile("fichier"), ct);
            return Results.Ok(request.ToDto(http.User));
        }).RequireRoles(Roles.Fournisseur).WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ApiV1.MaxAttachmentBody))
          .WithName("CompleteRequest").Accepts<PieceFormulaire>("multipart/form-data").Answers<DemandeDto>().Refuses(400, 403, 404, 409, 413, 415)
          .WithSummary("Compléter une demande incomplète")
          .WithDescription("Ajoute une pièce justificative manquante (multipart : type, fichier) ; la demande passe EN_COURS dès qu'aucune pièce requise ne manque.");
    }
}
