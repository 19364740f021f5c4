using System.Threading.Channels;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>
/// Runs deposits from their uploaded files: small ones inline, large ones on a background queue with progress, so the
/// vendor's page and the API can poll <c>/depots/{id}</c>. Uploaded files wait in the storage folder, never in memory.
/// </summary>
public sealed class DepositRunner(IServiceScopeFactory scopes, AttachmentStore store, TimeProvider clock,
    IOptions<DepositOptions> options, ILogger<DepositRunner> logger) : BackgroundService
{
    private readonly Channel<Guid> _queue = Channel.CreateUnbounded<Guid>();

    public string Folder(Guid id) => Path.Combine(store.Root, "_depots", id.ToString("N"));
    public string JsonPath(Guid id) => Path.Combine(Folder(id), DepositUpload.JsonFile);
    public string ZipPath(Guid id) => Path.Combine(Folder(id), DepositUpload.ZipFile);

    /// <summary>Gives the checked upload's folder to a new job; returns it and whether it should run in the background.</summary>
    public async Task<(DepositJob Job, bool Background)> AcceptAsync(GuichetDbContext db, int organisationId, string userId,
        DepositUpload upload, CancellationToken ct)
    {
        var (json, zip) = (upload.Json!, upload.Zip);
        var job = DepositJob.Start(organisationId, userId, FileNames.Sanitize(json.FileName), zip is null ? null : FileNames.Sanitize(zip.FileName), clock.UtcNow());
        Directory.CreateDirectory(Path.GetDirectoryName(Folder(job.Id))!);
        upload.MoveTo(Folder(job.Id));
        db.DepositJobs.Add(job);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch
        {
            try { Directory.Delete(Folder(job.Id), recursive: true); } catch (IOException) { }
            throw;
        }
        var limits = options.Value;
        var background = (zip?.Length ?? 0) > limits.BackgroundAboveZipBytes || json.Length > limits.BackgroundAboveJsonBytes
            || await CountRequestsAsync(JsonPath(job.Id), limits.BackgroundAboveRequests, ct) > limits.BackgroundAboveRequests;
        return (job, background);
    }

    /// <summary>
    /// The number of entries of the file's « demandes » array, counted up to <paramref name="stopAbove"/> + 1 without
    /// building the document (the JSON is at most <see cref="DepositOptions.BackgroundAboveJsonBytes"/> here). A file
    /// that is not valid JSON counts what was read before the error: the deposit itself reports the error.
    /// </summary>
    public static async Task<int> CountRequestsAsync(string jsonPath, int stopAbove, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(jsonPath, ct);
        return CountRequests(bytes, stopAbove);
    }

    private static int CountRequests(ReadOnlySpan<byte> json, int stopAbove)
    {
        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) json = json[3..]; // a UTF-8 byte order mark
        var reader = new System.Text.Json.Utf8JsonReader(json, new System.Text.Json.JsonReaderOptions { MaxDepth = FormatV1.MaxDepth });
        var count = 0;
        try
        {
            while (reader.Read())
            {
                // The root object's « demandes » array: count its direct entries.
                if (reader.CurrentDepth == 1 && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && reader.ValueTextEquals("demandes"u8))
                {
                    if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartArray) return 0;
                    while (reader.Read() && reader.TokenType != System.Text.Json.JsonTokenType.EndArray)
                    {
                        if (++count > stopAbove) return count;
                        reader.Skip();
                    }
                    return count;
                }
                if (reader.CurrentDepth >= 1 && reader.TokenType is System.Text.Json.JsonTokenType.StartObject or System.Text.Json.JsonTokenType.StartArray)
                    reader.Skip();
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return count;
    }

    public void Enqueue(Guid id) => _queue.Writer.TryWrite(id);

    /// <summary>Runs one accepted job to its end (TERMINE or ECHEC) and removes its uploaded files.</summary>
    public async Task RunAsync(Guid id, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var job = await db.DepositJobs.FirstOrDefaultAsync(j => j.Id == id && j.Status == DepositJobStatus.EnTraitement, ct);
        if (job is null) return;
        try
        {
            var org = await db.Organisations.SingleAsync(o => o.Id == job.OrganisationId, ct);
            var user = await db.Users.Where(u => u.Id == job.UserId).Select(u => new { u.FullName, u.Email }).SingleAsync(ct);
            var actor = new Actor(string.IsNullOrEmpty(user.FullName) ? user.Email ?? "" : user.FullName, Roles.Fournisseur, job.UserId);
            var json = await File.ReadAllBytesAsync(JsonPath(id), ct);
            var zip = File.Exists(ZipPath(id)) ? ZipPath(id) : null;
            var service = scope.ServiceProvider.GetRequiredService<DepositService>();
            var result = await service.DepositAsync(org, actor, json, zip, (done, total) => ReportAsync(id, done, total, ct), ct);
            // The deposit may have cleared the change tracker (after a lost race): track the job again before finishing it.
            db.ChangeTracker.Clear();
            db.DepositJobs.Attach(job);
            job.Finish(result, clock.UtcNow());
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Échec du dépôt {Id}", id);
            db.ChangeTracker.Clear();
            await db.DepositJobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, DepositJobStatus.Echec).SetProperty(j => j.FinishedAt, clock.UtcNow())
                .SetProperty(j => j.ResultJson, "[{\"chemin\":\"$\",\"referenceFournisseur\":null,\"message\":\"Le dépôt n'a pas pu être traité : rien n'a été enregistré. Réessayez ou contactez l'assistance.\"}]"), CancellationToken.None);
        }
        finally
        {
            try { Directory.Delete(Folder(id), recursive: true); } catch (IOException) { }
        }
    }

    private async Task ReportAsync(Guid id, int done, int total, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        await db.DepositJobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Processed, done).SetProperty(j => j.Total, total), ct);
    }

    /// <summary>
    /// A deposit still « en traitement » an hour after it began was cut off by a restart: it is closed as failed, with a
    /// message that sends the vendor to the tracking page (its transaction either committed whole or not at all).
    /// </summary>
    public async Task<int> CloseInterruptedAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var now = clock.UtcNow();
        var limit = now.AddHours(-1);
        var stale = await db.DepositJobs.Where(j => j.Status == DepositJobStatus.EnTraitement && j.CreatedAt < limit).ToListAsync(ct);
        foreach (var job in stale)
        {
            job.Fail("Le traitement de ce dépôt a été interrompu par un redémarrage du service. Vérifiez dans le suivi des demandes "
                + "si ses demandes ont été enregistrées avant de le déposer à nouveau.", now);
            try { Directory.Delete(Folder(job.Id), recursive: true); } catch (IOException) { }
        }
        await db.SaveChangesAsync(ct);
        DepositUploads.DeleteAbandoned(store, now.AddHours(-1));
        return stale.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try { await CloseInterruptedAsync(stoppingToken); }
        catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning(e, "Impossible de clore les dépôts interrompus."); }
        await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try { await RunAsync(id, stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
        }
    }
}
