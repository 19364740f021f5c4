using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Instruction;
using Guichet.Instruction.Bulk;

namespace Guichet.Api;

/// <summary>The body of <c>POST /api/v1/operations-groupees</c>: « demandes » (numbers) or « filtre » (the queue's query keys), not both.</summary>
public sealed record OperationGroupeeDemandeDto(string? Action, string? Motif, string? Commentaire, List<string>? Elements,
    List<string>? Demandes, Dictionary<string, string>? Filtre, int? NombreAttendu);

public sealed record OperationGroupeeDto(Guid Id, string Action, string Statut, int Total, int Traitees, int Faites, int Ignorees,
    DateTime CreeeLe, DateTime? TermineeLe, string CreeePar, string Url, string Bilan);

/// <summary>« Opérations groupées » over the API: a manager's action on a selection, run in the background, then polled.</summary>
public static class OperationsGroupeesApi
{
    // 100 000 numbers of about 20 characters, quoted.
    private const long MaxBody = 4 * 1024 * 1024;
    private static readonly HashSet<string> FilterKeys =
        ["statut", "type", "dispositif", "q", "fournisseur", "deposeDu", "deposeAu", "modifiee", "delaiDepasse", "tri", "attribution"];

    public static void MapOperationsGroupeesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapApiV1().MapGroup("/operations-groupees").WithTags("Instruction");

        api.MapPost("", async (HttpContext http, StartBulkOperation start, GuichetDbContext db, CancellationToken ct) =>
        {
            var body = (await DecisionsApi.ReadAsync<OperationGroupeeDemandeDto>(http.Request, optional: false, ct, MaxBody))!;
            var operation = await start.RunAsync(http.User, Selection(body), ct);
            var state = await BulkState.LoadAsync(db, operation.Id, ct);
            var dto = ToDto(state!);
            return Results.Accepted(dto.Url, dto);
        }).RequireRoles(Roles.Gestionnaire)
          .WithName("StartBulkOperation").Accepts<OperationGroupeeDemandeDto>("application/json")
          .Answers<OperationGroupeeDto>(StatusCodes.Status202Accepted).Refuses(400, 403, 409, 413)
          .WithSummary("Lancer une opération groupée")
          .WithDescription("Une même décision sur une sélection, traitée en tâche de fond demande par demande, exactement comme une décision seule "
            + "(historique, e-mail). « action » : valider, rejeter (« motif » obligatoire), marquer_payee, demander_modification (« commentaire » et "
            + "« elements » obligatoires), annuler_modification (« commentaire » facultatif). La sélection : « demandes » (numéros) ou « filtre » "
            + "(les clés de la file d'instruction : statut, type, dispositif, q, fournisseur, deposeDu, deposeAu, modifiee, delaiDepasse, tri, "
            + "attribution), pas les deux ; « nombreAttendu » est le nombre de demandes confirmé : 409 si la sélection en compte un autre, rien "
            + "n'est lancé. 202 avec l'opération ; suivre « url ». Une demande qui ne permet plus l'action est ignorée, avec la raison, dans le bilan.");

        api.MapGet("/{id}", async (string id, GuichetDbContext db, CancellationToken ct) =>
            ToDto(await FindAsync(db, id, ct)))
            .RequireRoles(Roles.Gestionnaire)
            .WithName("GetBulkOperation").Answers<OperationGroupeeDto>().Refuses(404)
            .WithSummary("Suivre une opération groupée")
            .WithDescription("« statut » EN_COURS puis TERMINEE ; « traitees » = « faites » + « ignorees », sur « total ».");

        api.MapGet("/{id}/bilan", async (string id, HttpContext http, GuichetDbContext db, CancellationToken ct) =>
        {
            var state = await FindAsync(db, id, ct);
            await BulkSummary.WriteCsvAsync(http, db, state.Operation.Id, ct);
            return Results.Empty;
        }).RequireRoles(Roles.Gestionnaire)
          .WithName("GetBulkOperationSummary").Produces<string>(StatusCodes.Status200OK, "text/csv").Refuses(404)
          .WithSummary("Télécharger le bilan d'une opération groupée")
          .WithDescription("CSV (UTF-8 avec BOM, « ; ») : numero, resultat (faite, ignorée, à traiter), motif (la raison d'une demande ignorée).");
    }

    private static async Task<BulkState> FindAsync(GuichetDbContext db, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var guid) && await BulkState.LoadAsync(db, guid, ct) is { } state
            ? state
            : throw Refusal.NotFound($"Aucune opération groupée « {Fr.Clip(id, 40)} ».");

    private static BulkSelection Selection(OperationGroupeeDemandeDto body)
    {
        var action = BulkOperation.Parse(body.Action) ?? throw Refusal.Invalid(
            $"Action inconnue « {Fr.Clip(body.Action ?? "", 40)} ». Valeurs possibles : {string.Join(", ", Enum.GetValues<BulkAction>().Select(BulkOperation.Code))}.",
            "$.action");
        QueueFilter? filter = null;
        if (body.Filtre is { } keys)
        {
            if (keys.Keys.FirstOrDefault(k => !FilterKeys.Contains(k)) is { } unknown)
                throw Refusal.Invalid($"Clé de filtre inconnue « {Fr.Clip(unknown, 40)} ». Clés possibles : {string.Join(", ", FilterKeys)}.", "$.filtre");
            var errors = new List<ErrorItem>();
            filter = QueueQuery.Parse(new QueryCollection(keys.ToDictionary(k => k.Key, k => new Microsoft.Extensions.Primitives.StringValues(k.Value))), errors);
            if (errors.Count > 0) throw Refusal.Invalid(errors.Select(e => e with { Chemin = "$.filtre" + e.Chemin[1..] }).ToList());
        }
        return new BulkSelection(action, body.Motif, body.Commentaire, body.Elements, body.Demandes, filter, body.NombreAttendu);
    }

    private static OperationGroupeeDto ToDto(BulkState s)
    {
        var o = s.Operation;
        var url = $"/api/v1/operations-groupees/{o.Id}";
        return new(o.Id, o.ActionCode, o.StatusCode, o.Total, s.Processed, s.Done, s.Skipped, o.CreatedAt, o.FinishedAt, o.UserName, url, url + "/bilan");
    }
}
