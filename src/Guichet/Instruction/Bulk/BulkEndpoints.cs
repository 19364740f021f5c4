using Guichet.Accounts;
using Guichet.Data;

namespace Guichet.Instruction.Bulk;

/// <summary>The operation page's state (polled by its script) and its CSV summary, for a signed-in manager.</summary>
public static class BulkEndpoints
{
    public sealed record BulkStateJson(int Traitees, int Total, int Faites, int Ignorees, bool Terminee, string Texte);

    public static void MapBulkEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/instruction/operations-groupees/{id:guid}/etat", async (Guid id, GuichetDbContext db, CancellationToken ct) =>
            await BulkState.LoadAsync(db, id, ct) is { } s
                ? Results.Json(new BulkStateJson(s.Processed, s.Operation.Total, s.Done, s.Skipped, s.Finished, s.ProgressText))
                : Results.NotFound())
            .RequireAuthorization(p => p.RequireRole(Roles.Gestionnaire)).ExcludeFromDescription();
        app.MapGet("/instruction/operations-groupees/{id:guid}/bilan.csv", async (Guid id, HttpContext http, GuichetDbContext db, CancellationToken ct) =>
        {
            if (await BulkState.LoadAsync(db, id, ct) is null) return Results.NotFound();
            await BulkSummary.WriteCsvAsync(http, db, id, ct);
            return Results.Empty;
        }).RequireAuthorization(p => p.RequireRole(Roles.Gestionnaire)).ExcludeFromDescription();
    }
}
