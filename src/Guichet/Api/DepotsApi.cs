using Guichet.Accounts;
using Guichet.Data;
using Guichet.Deposits;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Api;

/// <summary>Deposits, simulations and completion of incomplete requests: <c>/api/v1/depots</c>, <c>/simulations</c>, <c>/demandes/{numero}/pieces</c>.</summary>
public static class DepotsApi
{
    public sealed record DepotAccepteDto(Guid Id, string Statut, string Url);
    public sealed record DepotDto(Guid Id, string Statut, int Total, int Traitees, IReadOnlyList<CreatedRequest> Demandes, IReadOnlyList<ErrorItem> Erreurs);
    public sealed record SimulationDto(bool Valide, int NombreDemandes, IReadOnlyList<ErrorItem> Erreurs);

    public static void MapDepotsApi(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var api = app.MapApiV1().WithTags("Dépôts");
        var maxBody = DepositUploads.MaxBody(configuration);

        api.MapPost("/depots", async (HttpContext http, GuichetDbContext db, DepositRunner runner, AttachmentStore store,
            IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files, CancellationToken ct) =>
        {
            var input = await ReadAsync(http, db, store, deposits.Value, files.Value, ct);
            if (input.Problem is not null) return input.Problem;
            using var upload = input.Upload!;
            var (job, background) = await runner.AcceptAsync(db, input.Org!.Id, http.User.Id(), upload, ct);
            var url = $"/api/v1/depots/{job.Id}";
            if (background || http.Request.Headers["Prefer"].ToString().Contains("respond-async", StringComparison.OrdinalIgnoreCase))
            {
                runner.Enqueue(job.Id);
                return Results.Accepted(url, new DepotAccepteDto(job.Id, "EN_TRAITEMENT", url));
            }
            // Once accepted, a deposit runs to its end even if the caller goes away.
            await runner.RunAsync(job.Id, CancellationToken.None);
            var done = await db.DepositJobs.AsNoTracking().SingleAsync(j => j.Id == job.Id, ct);
            if (done.Status == DepositJobStatus.EnTraitement) return Results.Accepted(url, new DepotAccepteDto(job.Id, "EN_TRAITEMENT", url));
            return done.Status == DepositJobStatus.Termine
                ? Results.Created(url, new { id = done.Id, statut = done.StatusCode, demandes = done.Created })
                : Problems.Result(400, "Dépôt refusé : aucune demande n'a été enregistrée", errors: done.Errors);
        }).WithMetadata(new RequestSizeLimitAttribute(maxBody))
          .WithSummary("Dépôt d'un fichier JSON (champ « json ») et d'une archive ZIP facultative (champ « zip ») : tout ou rien.");

        api.MapGet("/depots/{id:guid}", async (Guid id, HttpContext http, GuichetDbContext db, CancellationToken ct) =>
        {
            var org = http.User.OrganisationId();
            var job = await db.DepositJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.OrganisationId == org, ct);
            return job is null
                ? Problems.Result(404, "Dépôt introuvable", "Aucun dépôt de votre organisme ne porte cet identifiant.")
                : Results.Ok(new DepotDto(job.Id, job.StatusCode, job.Total, job.Processed, job.Created, job.Errors));
        }).WithSummary("État d'un dépôt : EN_TRAITEMENT (avec la progression), TERMINE (demandes créées) ou ECHEC (erreurs).");

        api.MapPost("/simulations", async (HttpContext http, GuichetDbContext db, DepositService service, AttachmentStore store,
            IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files, CancellationToken ct) =>
        {
            var input = await ReadAsync(http, db, store, deposits.Value, files.Value, ct);
            if (input.Problem is not null) return input.Problem;
            using var upload = input.Upload!;
            var result = await DepositUploads.SimulateAsync(service, input.Org!, upload, ct);
            return Results.Ok(new SimulationDto(result.Valid, result.Count, result.Errors));
        }).WithMetadata(new RequestSizeLimitAttribute(maxBody))
          .WithSummary("Simulateur : le verdict qu'aurait un dépôt, sans rien enregistrer.");
    }

    private sealed record Input(IResult? Problem, Domain.Organisation? Org, DepositUpload? Upload);

    /// <summary>Streams the multipart deposit to disk and checks it; any failure is a French 4xx, never a 5xx, and leaves no file.</summary>
    private static async Task<Input> ReadAsync(HttpContext http, GuichetDbContext db, AttachmentStore store, DepositOptions deposits,
        AttachmentOptions files, CancellationToken ct)
    {
        if (!http.User.IsVendor())
            return new(Problems.Result(403, "Accès refusé", "Seul un fournisseur peut déposer des demandes."), null, null);
        var org = await DepositUploads.OrganisationAsync(db, http.User, ct);
        if (org is null) return new(Problems.Result(403, "Accès refusé", "Votre compte n'est rattaché à aucun organisme."), null, null);
        if (!http.Request.HasFormContentType)
            return new(Problems.Result(415, "Type de contenu non pris en charge", "Envoyez un formulaire multipart/form-data avec les champs « json » et « zip »."), null, null);
        DepositUpload upload;
        try
        {
            upload = await DepositUploads.ReadAsync(http.Request, store, deposits, files, keepField: null, ct);
        }
        catch (Refusal refusal)
        {
            return new(Problems.Result(refusal), null, null);
        }
        if (DepositUploads.Check(upload, deposits, files) is { } refused)
        {
            upload.Dispose();
            return new(Problems.Result(Problems.StatusOf(refused.Kind), "Dépôt refusé", errors: refused.Errors), null, null);
        }
        return new(null, org, upload);
    }
}
