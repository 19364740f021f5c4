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
    /// <summary>The answer to a deposit, 201 TERMINE or 202 EN_TRAITEMENT: one shape, so a generated client reads both.</summary>
    public sealed record DepotRecuDto(Guid Id, string Statut, string Url, IReadOnlyList<CreatedRequest> Demandes);
    public sealed record DepotDto(Guid Id, string Statut, int Total, int Traitees, IReadOnlyList<CreatedRequest> Demandes, IReadOnlyList<ErrorItem> Erreurs);
    public sealed record SimulationDto(bool Valide, int NombreDemandes, IReadOnlyList<ErrorItem> Erreurs, IReadOnlyList<string> Avertissements);

    public static void MapDepotsApi(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var api = app.MapApiV1().WithTags("Dépôts");
        var maxBody = DepositUploads.MaxBody(configuration);

        api.MapPost("/depots", async (HttpContext http, GuichetDbContext db, DepositRunner runner, AttachmentStore store,
            IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files, CancellationToken ct) =>
        {
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            if (key.Length > 0 && !ValidKey(key))
                return Problems.Result(400, "En-tête Idempotency-Key invalide",
                    $"La clé d'idempotence doit compter de 1 à {DepositJob.MaxIdempotencyKeyLength} caractères ASCII visibles.");
            var input = await ReadAsync(http, db, store, deposits.Value, files.Value, ct);
            if (input.Problem is not null) return input.Problem;
            using var upload = input.Upload!;
            var orgId = input.Org!.Id;
            string? sha = null;
            if (key.Length > 0)
            {
                // A retry of the same deposit under the same key gets the first job, in its current state.
                sha = await upload.ContentSha256Async(ct);
                if (await ReplayAsync(http, db, orgId, key, sha, ct) is { } replay) return replay;
            }
            DepositJob job;
            bool background;
            try
            {
                (job, background) = await runner.AcceptAsync(db, orgId, http.User.Id(), upload, ct, key.Length > 0 ? key : null, sha);
            }
            catch (DbUpdateException) when (sha is not null)
            {
                // The same key arrived twice at once: the other request's job won the unique index.
                db.ChangeTracker.Clear();
                return await ReplayAsync(http, db, orgId, key, sha, ct) ?? throw new InvalidOperationException("Dépôt concurrent introuvable.");
            }
            var url = $"/api/v1/depots/{job.Id}";
            if (background || http.Request.Headers["Prefer"].ToString().Contains("respond-async", StringComparison.OrdinalIgnoreCase))
            {
                runner.Enqueue(job.Id);
                return Results.Accepted(url, new DepotRecuDto(job.Id, "EN_TRAITEMENT", url, []));
            }
            // Once accepted, a deposit runs to its end even if the caller goes away.
            await runner.RunNowAsync(job.Id);
            var done = await db.DepositJobs.AsNoTracking().SingleAsync(j => j.Id == job.Id, ct);
            // The scanner was away: nothing was stored, and the caller gets the French 503 « réessayez » of any intake (ErrorHandling).
            if (done.ScannerWasUnavailable) throw new Antivirus.ScannerUnavailableException($"dépôt {done.Id}");
            if (done.StorageWasUnavailable) throw new StorageUnavailableException($"dépôt {done.Id}");
            return Outcome(done);
        }).WithMetadata(new RequestSizeLimitAttribute(maxBody))
          .WithName("Deposit").Accepts<DepotFormulaire>("multipart/form-data")
          .Answers<DepotRecuDto>(StatusCodes.Status201Created).Answers<DepotRecuDto>(StatusCodes.Status202Accepted)
          .Refuses(400, 403, 413, 415, 422)
          .WithSummary("Déposer des demandes")
          .WithDescription("Un fichier JSON au format 1.0 (champ « json ») et une archive ZIP facultative des pièces (champ « zip ») : tout ou rien. "
            + "201 quand le dépôt est traité tout de suite (demandes créées), 202 quand il passe en tâche de fond (gros dépôt ou « Prefer: respond-async ») : "
            + "suivre alors « url ». 400 « Dépôt refusé » avec chaque erreur quand une demande est invalide : rien n'est enregistré. "
            + "Avec l'en-tête « Idempotency-Key », un nouvel envoi du même dépôt sous la même clé rend le même dépôt au lieu de déposer deux fois.");

        api.MapGet("/depots/{id:guid}", async (Guid id, HttpContext http, GuichetDbContext db, DepositRunner runner, CancellationToken ct) =>
        {
            var org = http.User.OrganisationId();
            var job = await db.DepositJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.OrganisationId == org, ct);
            if (job is null) return Problems.Result(404, "Dépôt introuvable", "Aucun dépôt de votre organisme ne porte cet identifiant.");
            // A job running on this instance has fresher progress than its row (written with each heartbeat).
            var (done, total) = job.Status == DepositJobStatus.EnTraitement && runner.LiveProgress(id) is { } live ? live : (job.Processed, job.Total);
            return Results.Ok(new DepotDto(job.Id, job.StatusCode, total, done, job.Created, job.Errors));
        }).WithName("GetDeposit").Answers<DepotDto>().Refuses(404)
          .WithSummary("Suivre un dépôt")
          .WithDescription("EN_TRAITEMENT (avec la progression), TERMINE (demandes créées) ou ECHEC (erreurs).");

        api.MapPost("/simulations", async (HttpContext http, GuichetDbContext db, SimulateUpload simulate, AttachmentStore store,
            IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files, CancellationToken ct) =>
        {
            var input = await ReadAsync(http, db, store, deposits.Value, files.Value, ct);
            if (input.Problem is not null) return input.Problem;
            using var upload = input.Upload!;
            var result = await simulate.RunAsync(input.Org!, upload, ct);
            return Results.Ok(new SimulationDto(result.Valid, result.Count, result.Errors, result.Warnings));
        }).WithMetadata(new RequestSizeLimitAttribute(maxBody))
          .WithName("Simulate").Accepts<DepotFormulaire>("multipart/form-data").Answers<SimulationDto>().Refuses(400, 403, 413, 415)
          .WithSummary("Simuler un dépôt")
          .WithDescription("Le verdict qu'aurait le même dépôt (champs « json » et « zip »), sans rien enregistrer : « valide » et la liste des erreurs.");
    }

    /// <summary>The answer of a job, as the first response gave it: 201 TERMINE, 202 EN_TRAITEMENT, 400 ECHEC.</summary>
    private static IResult Outcome(DepositJob job)
    {
        var url = $"/api/v1/depots/{job.Id}";
        return job.Status switch
        {
            DepositJobStatus.EnTraitement => Results.Accepted(url, new DepotRecuDto(job.Id, "EN_TRAITEMENT", url, [])),
            DepositJobStatus.Termine => Results.Created(url, new DepotRecuDto(job.Id, job.StatusCode, url, job.Created)),
            _ => Problems.Result(400, "Dépôt refusé : aucune demande n'a été enregistrée", errors: job.Errors),
        };
    }

    /// <summary>
    /// The job already deposited under this key by the organisation: its current state (marked « Idempotent-Replayed »),
    /// or a 422 when the files differ; null when the key is new.
    /// </summary>
    private static async Task<IResult?> ReplayAsync(HttpContext http, GuichetDbContext db, int orgId, string key, string sha, CancellationToken ct)
    {
        var first = await db.DepositJobs.AsNoTracking().FirstOrDefaultAsync(j => j.OrganisationId == orgId && j.IdempotencyKey == key, ct);
        if (first is null) return null;
        if (first.ContentSha256 != sha)
            return Problems.Result(422, "Clé d'idempotence déjà utilisée",
                "Cette clé d'idempotence a déjà servi à un autre dépôt de votre organisme, avec d'autres fichiers : rien n'a été enregistré. "
                + "Renvoyez le même dépôt, ou utilisez une nouvelle clé pour un nouveau dépôt.");
        http.Response.Headers["Idempotent-Replayed"] = "true";
        return Outcome(first);
    }

    private static bool ValidKey(string key) =>
        key.Length <= DepositJob.MaxIdempotencyKeyLength && key.All(c => c is >= '!' and <= '~');

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
            return new(Problems.Result(415, "Type de contenu non pris en charge", "Envoyez un formulaire multipart/form-data avec les champs « json » et « zip »."), null, null);
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
