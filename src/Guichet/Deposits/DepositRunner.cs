using System.Collections.Concurrent;
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
/// A job's state is the truth: TERMINE is written in the deposit's own transaction; the jobs an instance holds carry a
/// heartbeat, and a job whose heartbeat stopped (its process died) is resumed by one live instance, or closed once resumed
/// too often; stored files that no row refers to (those of a dead run too) are purged after a grace longer than that
/// takeover. Its loops never stop the host: a failure is logged and tried again.
/// </summary>
public sealed class DepositRunner(IServiceScopeFactory scopes, AttachmentStore store, TimeProvider clock,
    IOptions<DepositOptions> options, DepositGate gate, ILogger<DepositRunner> logger, IHostEnvironment environment,
    IConfiguration configuration) : BackgroundService
{
    /// <summary>
    /// A fault-injection point for the kill tests, honoured in the <c>Testing</c> environment only: a job stops once its
    /// progress reaches this step (files written or requests saved), until the host stops, so that a test kills the
    /// process at a known point instead of racing the job. Unset everywhere else.
    /// </summary>
    public const string HoldAtStepKey = "Testing:Deposits:HoldAtStep";
    private readonly int? _holdAtStep = environment.IsEnvironment("Testing") ? configuration.GetValue<int?>(HoldAtStepKey) : null;

    private readonly Channel<Guid> _queue = Channel.CreateUnbounded<Guid>();
    // The jobs this instance holds (queued or running) and their progress: steps done, steps in all.
    private readonly ConcurrentDictionary<Guid, (int Done, int Total)> _held = new();
    private const int MaxAttempts = 5;
    // Whether this process runs the queue (a verb's process does not): only then may it resume a job.
    private volatile bool _queueRuns;
    private const string FailedMessage = "Le dépôt n'a pas pu être traité : rien n'a été enregistré. Réessayez ou contactez l'assistance.";

    public string Folder(Guid id) => Path.Combine(store.Root, "_depots", id.ToString("N"));
    public string JsonPath(Guid id) => Path.Combine(Folder(id), DepositUpload.JsonFile);
    public string ZipPath(Guid id) => Path.Combine(Folder(id), DepositUpload.ZipFile);

    /// <summary>Gives the checked upload's folder to a new job; returns it and whether it should run in the background.</summary>
    /// <remarks>
    /// With an idempotency key, a second job under the same key of the organisation fails on the unique index
    /// (<see cref="DbUpdateException"/>): the upload's folder is deleted and the caller looks for the first job.
    /// </remarks>
    public async Task<(DepositJob Job, bool Background)> AcceptAsync(GuichetDbContext db, int organisationId, string userId,
        DepositUpload upload, CancellationToken ct, string? idempotencyKey = null, string? contentSha256 = null)
    {
        var (json, zip) = (upload.Json!, upload.Zip);
        var job = DepositJob.Start(organisationId, userId, FileNames.Sanitize(json.FileName), zip is null ? null : FileNames.Sanitize(zip.FileName),
            clock.UtcNow(), idempotencyKey, contentSha256);
        Directory.CreateDirectory(Path.GetDirectoryName(Folder(job.Id))!);
        upload.MoveTo(Folder(job.Id));
        db.DepositJobs.Add(job);
        try
        {
            // In a bucket before the job is visible: whichever instance runs or cleans up the job finds its files.
            await store.StageAsync(job.Id, Folder(job.Id), ct);
            await db.SaveChangesAsync(ct);
        }
        catch
        {
            try { Directory.Delete(Folder(job.Id), recursive: true); } catch (IOException) { }
            await DeleteStagedAsync(job.Id);
            db.Entry(job).State = EntityState.Detached;
            throw;
        }
        _held[job.Id] = (0, 0);
        var background = await DepositService.IsLargeAsync(options.Value, JsonPath(job.Id), json.Length, zip?.Length ?? 0, ct);
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

    public void Enqueue(Guid id)
    {
        _held.TryAdd(id, (0, 0));
        _queue.Writer.TryWrite(id);
    }

    private void Progress(Guid id, int done, int total, CancellationToken ct)
    {
        _held[id] = (done, total);
        if (done >= _holdAtStep && done < total) ct.WaitHandle.WaitOne(); // the test's hold point (see HoldAtStepKey)
    }

    /// <summary>The progress of a job this instance runs, fresher than its row (written with the heartbeat); null elsewhere.</summary>
    public (int Done, int Total)? LiveProgress(Guid id) => _held.TryGetValue(id, out var p) && p.Total > 0 ? p : null;

    /// <summary>
    /// Runs an accepted job now, in the caller's request; a job left unresolved (the database was away) goes to the
    /// background queue, which tries again.
    /// </summary>
    public async Task RunNowAsync(Guid id)
    {
        if (!await RunAsync(id, CancellationToken.None)) Enqueue(id);
    }

    /// <summary>
    /// Runs one accepted job to its end (TERMINE or ECHEC) and removes its uploaded files. False when its outcome could
    /// not be written (database away): the job and its files are kept for another attempt, or for the takeover.
    /// </summary>
    public async Task<bool> RunAsync(Guid id, CancellationToken ct)
    {
        _held.TryAdd(id, (0, 0));
        var resolved = false;
        using var span = Telemetry.GuichetTelemetry.Source.StartActivity("guichet.deposit")?.SetTag("guichet.deposit.id", id);
        var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var job = await db.DepositJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.Status == DepositJobStatus.EnTraitement, ct);
            if (job is null) return resolved = true;
            DepositResult result;
            try
            {
                var org = await db.Organisations.SingleAsync(o => o.Id == job.OrganisationId, ct);
                var user = await db.Users.Where(u => u.Id == job.UserId).Select(u => new { u.FullName, u.Email }).SingleAsync(ct);
                var actor = new Actor(string.IsNullOrEmpty(user.FullName) ? user.Email ?? "" : user.FullName, Roles.Fournisseur, job.UserId);
                // Another instance accepted the job (or this one lost its working folder): its staged copy, if any.
                if (!File.Exists(JsonPath(id))) await store.FetchStagedAsync(id, Folder(id), ct);
                var json = await File.ReadAllBytesAsync(JsonPath(id), ct);
                var zip = File.Exists(ZipPath(id)) ? ZipPath(id) : null;
                var service = scope.ServiceProvider.GetRequiredService<DepositService>();
                var lookups = scope.ServiceProvider.GetRequiredService<AdvanceLookups>();
                result = await service.DepositAsync(org, actor, json, zip, (done, total) => Progress(id, done, total, ct), ct,
                    (created, c) => FinishInTransactionAsync(db, id, created, c), await lookups.SuspendedAsync(org.Id, ct));
                await lookups.RecordAsync(id, job.UserId, result.CrossVendorAdvances, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The host stops: nothing was committed; the job says so now (or, if that cannot be written, the takeover resumes it).
                resolved = await TryFailAsync(id, DepositJob.InterruptedMessage);
                throw;
            }
            catch (DepositJobClosedException)
            {
                // Another instance finished or closed the job (its heartbeat looked stale): this run rolled back, the job keeps that outcome.
                logger.LogWarning("Dépôt {Id} terminé ou clos par une autre instance pendant son traitement : ce traitement-ci n'a rien enregistré.", id);
                return resolved = true;
            }
            catch (Guichet.Antivirus.ScannerUnavailableException e)
            {
                // The scanner is away: nothing was kept; the vendor is told to come back, as a 503 would.
                logger.LogWarning("Dépôt {Id} en échec : analyse antivirus indisponible ({Detail}).", id, e.Detail);
                Telemetry.GuichetTelemetry.DepositFailed(startedAt);
                return resolved = await TryFailAsync(id, e.Message);
            }
            catch (StorageUnavailableException e)
            {
                // The storage went away during the deposit: nothing was committed; the vendor is told to come back, as a 503 would.
                logger.LogWarning("Dépôt {Id} en échec : stockage des pièces injoignable ({Detail}).", id, e.Detail);
                Telemetry.GuichetTelemetry.DepositFailed(startedAt);
                return resolved = await TryFailAsync(id, DepositJob.StorageUnavailableMessage);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Échec du dépôt {Id}", id);
                Telemetry.GuichetTelemetry.DepositFailed(startedAt);
                return resolved = await TryFailAsync(id, FailedMessage);
            }
            // A valid deposit wrote TERMINE in its own transaction; a refused one says why.
            Telemetry.GuichetTelemetry.DepositDone(result.Valid, result.Count, startedAt);
            return resolved = result.Valid || await TryFailAsync(id, DepositJob.ResultJsonOf(result), isJson: true);
        }
        finally
        {
            if (resolved)
            {
                _held.TryRemove(id, out _);
                try { Directory.Delete(Folder(id), recursive: true); } catch (IOException) { }
                await DeleteStagedAsync(id);
            }
        }
    }

    /// <summary>Deletes a job's staged copy; one left behind (storage away) is the purge's.</summary>
    private async Task DeleteStagedAsync(Guid id)
    {
        try { await store.DeleteStagedAsync(id, CancellationToken.None); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Copie déposée du dépôt {Id} non supprimée ; la purge s'en chargera.", id);
        }
    }

    /// <summary>Writes TERMINE and the created numbers inside the deposit's transaction, only if the job is still « en traitement ».</summary>
    private async Task FinishInTransactionAsync(GuichetDbContext db, Guid id, DepositResult result, CancellationToken ct)
    {
        var json = DepositJob.ResultJsonOf(result);
        var now = clock.UtcNow();
        var rows = await db.DepositJobs.Where(j => j.Id == id && j.Status == DepositJobStatus.EnTraitement).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, DepositJobStatus.Termine).SetProperty(j => j.Total, result.Count)
            .SetProperty(j => j.Processed, result.Count).SetProperty(j => j.ResultJson, json).SetProperty(j => j.FinishedAt, now), ct);
        if (rows == 0) throw new DepositJobClosedException();
    }

    /// <summary>
    /// Closes the job as ECHEC if it is still « en traitement ». Never throws: when the database is away it returns
    /// false, and the job is resolved later (another attempt, or the takeover of stale jobs).
    /// </summary>
    private async Task<bool> TryFailAsync(Guid id, string message, bool isJson = false)
    {
        var json = isJson ? message : DepositJob.FailureJson(message);
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var now = clock.UtcNow();
            await db.DepositJobs.Where(j => j.Id == id && j.Status == DepositJobStatus.EnTraitement).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, DepositJobStatus.Echec).SetProperty(j => j.FinishedAt, now).SetProperty(j => j.ResultJson, json), timeout.Token);
            return true;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "L'échec du dépôt {Id} n'a pas pu être enregistré ; il le sera par un nouvel essai ou la reprise des dépôts interrompus.", id);
            return false;
        }
    }

    /// <summary>Writes the heartbeat and progress of the jobs this instance holds.</summary>
    public async Task BeatAsync(CancellationToken ct)
    {
        if (_held.IsEmpty) return;
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var now = clock.UtcNow();
        foreach (var (id, (done, total)) in _held)
            await db.DepositJobs.Where(j => j.Id == id && j.Status == DepositJobStatus.EnTraitement).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.HeartbeatAt, now).SetProperty(j => j.Processed, done).SetProperty(j => j.Total, total), ct);
    }

    /// <summary>What one look at the stale jobs did: the jobs resumed here, and those closed « interrompu ».</summary>
    public sealed record TakeoverResult(IReadOnlyList<Guid> Resumed, IReadOnlyList<Guid> Closed);

    /// <summary>
    /// Takes over every job « en traitement » whose heartbeat is older than <see cref="DepositOptions.StaleAfterSeconds"/>
    /// and that this instance does not hold: its process died before the deposit's transaction committed, so running it
    /// again is safe. Each job is claimed by one conditional UPDATE (heartbeat renewed, <see cref="DepositJob.Takeovers"/> + 1):
    /// of several instances looking at once, only the one whose UPDATE touched the row runs it. A job already resumed
    /// <see cref="DepositOptions.MaxTakeovers"/> times, or whose files are gone, is closed « interrompu » instead. A process
    /// without the queue (an administration verb) resumes nothing: it only closes the jobs resumed too often.
    /// </summary>
    public async Task<TakeoverResult> TakeOverStaleAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var now = clock.UtcNow();
        var limit = now.AddSeconds(-options.Value.StaleAfterSeconds);
        var max = options.Value.MaxTakeovers;
        var held = _held.Keys.ToList();
        var stale = await db.DepositJobs.AsNoTracking()
            .Where(j => j.Status == DepositJobStatus.EnTraitement && j.HeartbeatAt < limit && !held.Contains(j.Id))
            .Select(j => new { j.Id, j.Takeovers }).ToListAsync(ct);
        var json = DepositJob.FailureJson(DepositJob.InterruptedMessage);
        List<Guid> resumed = [], closed = [];
        foreach (var job in stale)
        {
            // The same guard in both UPDATEs: a job that committed, or that another instance claimed, is left alone.
            var stillStale = db.DepositJobs.Where(j => j.Id == job.Id && j.Status == DepositJobStatus.EnTraitement && j.HeartbeatAt < limit);
            if (job.Takeovers >= max)
            {
                if (await stillStale.ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, DepositJobStatus.Echec)
                        .SetProperty(j => j.FinishedAt, now).SetProperty(j => j.ResultJson, json), ct) == 1)
                {
                    closed.Add(job.Id);
                    logger.LogWarning("Dépôt {Id} clos en échec : son traitement s'est arrêté après {Takeovers} reprise(s).", job.Id, job.Takeovers);
                    await DeleteFilesAsync(job.Id);
                }
                continue;
            }
            if (!_queueRuns) continue; // resumed by an instance whose queue runs
            if (await stillStale.Where(j => j.Takeovers == job.Takeovers).ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.HeartbeatAt, now).SetProperty(j => j.Takeovers, j => j.Takeovers + 1), ct) == 0)
                continue;
            _held.TryAdd(job.Id, (0, 0)); // from now on this instance beats for it
            if (!await HasFilesAsync(job.Id))
            {
                _held.TryRemove(job.Id, out _); // not run here; a close that could not be written is tried again by the next look
                if (await TryFailAsync(job.Id, DepositJob.InterruptedMessage))
                {
                    closed.Add(job.Id);
                    logger.LogWarning("Dépôt {Id} clos en échec : son instance s'est arrêtée et ses fichiers ont disparu.", job.Id);
                    await DeleteStagedAsync(job.Id);
                }
                continue;
            }
            logger.LogWarning("Dépôt {Id} repris (reprise {Takeover} sur {Max}) : son instance ne donnait plus de battement depuis {Seconds} s.",
                job.Id, job.Takeovers + 1, max, options.Value.StaleAfterSeconds);
            Enqueue(job.Id);
            resumed.Add(job.Id);
        }
        Telemetry.GuichetTelemetry.DepositsInterrupted(closed.Count);
        return new TakeoverResult(resumed, closed);
    }

    /// <summary>
    /// Whether the job's files are here or can be fetched from their staged copy. When the storage does not answer, the
    /// run is tried anyway: it fails with a clear message if the files cannot be read then.
    /// </summary>
    private async Task<bool> HasFilesAsync(Guid id)
    {
        if (File.Exists(JsonPath(id))) return true;
        try { return await store.FetchStagedAsync(id, Folder(id), CancellationToken.None); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Copie déposée du dépôt {Id} illisible pour l'instant ; le dépôt est repris quand même.", id);
            return true;
        }
    }

    /// <summary>Deletes a closed job's working folder and staged copy; whatever is left (storage away) is the purge's.</summary>
    private async Task DeleteFilesAsync(Guid id)
    {
        try { Directory.Delete(Folder(id), recursive: true); } catch (IOException) { }
        await DeleteStagedAsync(id);
    }

    /// <summary>What a purge removed.</summary>
    public sealed record PurgeResult(int Files, int JobFolders, int Uploads, int StagedDeposits = 0);

    /// <summary>
    /// Deletes what no row refers to: stored files (written by a deposit, a completion or a draft whose transaction never
    /// committed), the folders of finished jobs, abandoned uploads. Only what is older than
    /// <see cref="DepositOptions.OrphanFilesAfterSeconds"/> and older than every job still « en traitement »: a file of a
    /// running deposit, whose rows are not committed yet, is never deleted, nor the folder of a stale job waiting to be
    /// resumed; the files of a dead run go once its job has ended. Safe with several instances (a file already deleted is skipped).
    /// </summary>
    public async Task<PurgeResult> PurgeAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var now = clock.UtcNow();
        var cutoff = now.AddSeconds(-options.Value.OrphanFilesAfterSeconds);
        var running = await db.DepositJobs.AsNoTracking().Where(j => j.Status == DepositJobStatus.EnTraitement)
            .Select(j => new { j.Id, j.CreatedAt }).ToListAsync(ct);
        if (running.Count > 0 && running.Min(j => j.CreatedAt) is var oldest && oldest < cutoff) cutoff = oldest;

        var files = 0;
        await foreach (var batch in store.KeysAsync(cutoff, ct).Chunk(500).WithCancellation(ct))
        {
            var referenced = await db.Documents.AsNoTracking().Where(d => batch.Contains(d.StorageKey)).Select(d => d.StorageKey).ToListAsync(ct);
            foreach (var key in batch.Except(referenced))
            {
                try { await store.DeleteAsync(key, ct); files++; }
                catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning(e, "Pièce orpheline {Key} non supprimée.", key); }
            }
        }

        var folders = 0;
        var jobsRoot = Path.Combine(store.Root, "_depots");
        var live = running.Select(j => j.Id.ToString("N")).ToHashSet();
        if (Directory.Exists(jobsRoot))
        {
            foreach (var folder in new DirectoryInfo(jobsRoot).EnumerateDirectories())
            {
                if (live.Contains(folder.Name)) continue;
                var lastWrite = folder.EnumerateFiles().Select(f => f.LastWriteTimeUtc).Append(folder.LastWriteTimeUtc).Max();
                if (lastWrite >= cutoff) continue;
                try { folder.Delete(recursive: true); folders++; }
                catch (IOException) { }
            }
        }
        // Staged copies (bucket) of jobs that ended or were never committed.
        var staged = 0;
        await foreach (var job in store.StagedJobsAsync(cutoff, ct))
        {
            if (live.Contains(job.ToString("N"))) continue;
            try { await store.DeleteStagedAsync(job, ct); staged++; }
            catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning(e, "Copie déposée du dépôt {Id} non supprimée.", job); }
        }
        var uploads = DepositUploads.DeleteAbandoned(store, now.AddHours(-1));
        if (files + folders + uploads + staged > 0)
            logger.LogInformation("Purge : {Files} pièce(s) orpheline(s), {Folders} dossier(s) de dépôt, {Staged} copie(s) de dépôt, {Uploads} envoi(s) abandonné(s) supprimés.",
                files, folders, staged, uploads);
        return new PurgeResult(files, folders, uploads, staged);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        _queueRuns = true;
        using var stopping = stoppingToken.Register(() => _queueRuns = false);
        // As many readers of the queue as the gate has slots: large simulations take their share of the same slots.
        await Task.WhenAll(Enumerable.Range(0, o.LargeChecksAtOnce).Select(_ => RunQueueAsync(stoppingToken)).Append(
            EveryAsync("Battement des dépôts", BeatAsync, TimeSpan.FromSeconds(o.HeartbeatSeconds), stoppingToken)).Append(
            EveryAsync("Reprise des dépôts interrompus", TakeOverStaleAsync, TimeSpan.FromSeconds(o.CheckSeconds), stoppingToken)).Append(
            EveryAsync("Purge des pièces orphelines", PurgeAsync, TimeSpan.FromSeconds(o.PurgeEverySeconds), stoppingToken)));
    }

    /// <summary>The queue: each job is run; one left unresolved is tried again after 1, 2, 4, 8 s, then left to the takeover.</summary>
    private async Task RunQueueAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                for (var attempt = 1; ; attempt++)
                {
                    bool resolved;
                    try
                    {
                        // A slot of the gate for the run only, not for the wait before another attempt.
                        using var slot = await EnterGateAsync(id, stoppingToken);
                        resolved = await RunAsync(id, stoppingToken);
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { throw; }
                    catch (Exception e)
                    {
                        logger.LogError(e, "Dépôt {Id} : essai {Attempt} impossible.", id, attempt);
                        resolved = false;
                    }
                    if (resolved) break;
                    if (attempt == MaxAttempts)
                    {
                        // No more heartbeat: the takeover of stale jobs resumes it (here or elsewhere), or closes it once resumed too often.
                        _held.TryRemove(id, out _);
                        logger.LogError("Dépôt {Id} laissé après {Attempts} essais ; la reprise des dépôts interrompus le relancera ou le clora.", id, attempt);
                        break;
                    }
                    await Task.Delay(TimeSpan.FromSeconds(1 << (attempt - 1)), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Jobs still waiting in the queue will not run here: say so now (best effort; otherwise the takeover does).
            while (_queue.Reader.TryRead(out var id))
                if (await TryFailAsync(id, DepositJob.InterruptedMessage)) _held.TryRemove(id, out _);
        }
    }

    /// <summary>A slot of the gate for a job; when the host stops while it waits, the job is closed now (or by the takeover).</summary>
    private async Task<IDisposable> EnterGateAsync(Guid id, CancellationToken stoppingToken)
    {
        try
        {
            return await gate.EnterAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            if (await TryFailAsync(id, DepositJob.InterruptedMessage)) _held.TryRemove(id, out _);
            throw;
        }
    }

    private async Task EveryAsync<T>(string what, Func<CancellationToken, Task<T>> work, TimeSpan period, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try { await work(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) { logger.LogWarning(e, "{What} : échec, nouvel essai dans {Period}.", what, period); }
            try { await Task.Delay(period, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    private Task EveryAsync(string what, Func<CancellationToken, Task> work, TimeSpan period, CancellationToken ct) =>
        EveryAsync(what, async c => { await work(c); return 0; }, period, ct);
}

/// <summary>The job was finished or closed by another instance before this run's commit: this run rolls back.</summary>
public sealed class DepositJobClosedException() : Exception("Le dépôt a été terminé ou clos par une autre instance avant l'enregistrement de ce traitement.");
