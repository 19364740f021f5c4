using Guichet.Antivirus;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>Section « Deposits ».</summary>
public sealed class DepositOptions
{
    public int MaxRequests { get; set; } = 20_000;
    public long MaxJsonBytes { get; set; } = 100L * 1024 * 1024;
    /// <summary>
    /// A deposit runs in the background (202 + a URL to poll) when its ZIP is larger than this, when its JSON is larger
    /// than <see cref="BackgroundAboveJsonBytes"/> or when it holds more than <see cref="BackgroundAboveRequests"/> requests.
    /// </summary>
    public long BackgroundAboveZipBytes { get; set; } = 50L * 1024 * 1024;
    public long BackgroundAboveJsonBytes { get; set; } = 2L * 1024 * 1024;
    public int BackgroundAboveRequests { get; set; } = 5000;
    /// <summary>
    /// Large files (above the thresholds above) checked at once, background deposits and simulations together
    /// (<see cref="DepositGate"/>): each holds its JSON in memory while it is checked.
    /// </summary>
    public int LargeChecksAtOnce { get; set; } = 1;
    /// <summary>How long a large simulation waits for a free slot before a 503 with Retry-After.</summary>
    public int SimulationWaitSeconds { get; set; } = 30;
    /// <summary>How often an instance writes the heartbeat of the jobs it holds (queued or running).</summary>
    public int HeartbeatSeconds { get; set; } = 5;
    /// <summary>A job « en traitement » whose heartbeat is older than this lost its process: a live instance resumes it.</summary>
    public int StaleAfterSeconds { get; set; } = 90;
    /// <summary>
    /// How many times a job whose process died is resumed; once resumed this many times it is closed « interrompu »
    /// instead (0: never resumed, always closed).
    /// </summary>
    public int MaxTakeovers { get; set; } = 2;
    /// <summary>How often each instance looks for stale jobs.</summary>
    public int CheckSeconds { get; set; } = 30;
    /// <summary>A stored file that no row refers to is deleted once it is this old (always longer than <see cref="StaleAfterSeconds"/>).</summary>
    public int OrphanFilesAfterSeconds { get; set; } = 3600;
    /// <summary>How often each instance purges the orphan files (the verb <c>purge-pieces</c> does it once).</summary>
    public int PurgeEverySeconds { get; set; } = 3600;
    /// <summary>
    /// Advances an organisation may have refused in 24 hours because another vendor holds the client's (see
    /// <see cref="AdvanceLookups"/>); past it, its deposits holding advances are refused without being looked at.
    /// </summary>
    public int CrossVendorRefusalsPerDay { get; set; } = 20;

    /// <summary>The settings that cannot work together, in French; empty when they are sound.</summary>
    public IEnumerable<string> Errors()
    {
        if (HeartbeatSeconds < 1) yield return "Deposits:HeartbeatSeconds doit valoir au moins 1.";
        if (CrossVendorRefusalsPerDay < 1) yield return "Deposits:CrossVendorRefusalsPerDay doit valoir au moins 1.";
        if (LargeChecksAtOnce < 1) yield return "Deposits:LargeChecksAtOnce doit valoir au moins 1.";
        if (SimulationWaitSeconds < 0) yield return "Deposits:SimulationWaitSeconds ne peut pas être négatif.";
        if (MaxTakeovers < 0) yield return "Deposits:MaxTakeovers ne peut pas être négatif.";
        if (StaleAfterSeconds < 2 * HeartbeatSeconds) yield return "Deposits:StaleAfterSeconds doit valoir au moins deux fois Deposits:HeartbeatSeconds.";
        if (CheckSeconds < 1 || PurgeEverySeconds < 1) yield return "Deposits:CheckSeconds et Deposits:PurgeEverySeconds doivent valoir au moins 1.";
        if (OrphanFilesAfterSeconds <= StaleAfterSeconds) yield return "Deposits:OrphanFilesAfterSeconds doit dépasser Deposits:StaleAfterSeconds.";
    }
}

/// <summary>A request created by a deposit, as the API and the result page give it (the field names are the API contract).</summary>
public sealed record CreatedRequest(string ReferenceFournisseur, string Numero, string Statut);

public sealed record DepositResult(IReadOnlyList<ErrorItem> Errors, IReadOnlyList<CreatedRequest> Created, int Count)
{
    public bool Valid => Errors.Count == 0;
    /// <summary>French notices that do not change the verdict (the simulator's « vérifiée au dépôt »).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>
    /// The advances refused because another vendor holds one for the client (<see cref="DepositRules.LiveAdvanceMessage"/>
    /// tells the vendor nothing more): what a security journal and a daily budget per organisation will count.
    /// </summary>
    public IReadOnlyList<CrossVendorAdvance> CrossVendorAdvances { get; init; } = [];
}

/// <summary>
/// Deposit and simulator: the same checks (shape, rules, ZIP and files), then — for a deposit only — the files are
/// streamed to the store and every request is saved in one transaction. All or nothing.
/// </summary>
public sealed class DepositService(GuichetDbContext db, AttachmentStore store, ClamAvScanner scanner, TimeProvider clock,
    IOptions<AttachmentOptions> attachmentOptions, IOptions<DepositOptions> depositOptions, ILogger<DepositService> logger)
{
    private readonly AttachmentOptions _files = attachmentOptions.Value;
    // 100 requests (about 300 rows) per SaveChanges: with 500, each slice's tracked entities and insert batch outlived
    // several GCs and reached gen2, and a 10 000-request deposit peaked 25 to 45 MB higher (measured), no faster.
    private const int SaveSlice = 100;

    /// <summary>
    /// Whether a deposit of these files is large: it then runs in the background, and its simulation under the
    /// <see cref="DepositGate"/>. The request count is read only from a JSON small enough not to be large by its size.
    /// </summary>
    public static async Task<bool> IsLargeAsync(DepositOptions limits, string jsonPath, long jsonBytes, long zipBytes, CancellationToken ct) =>
        zipBytes > limits.BackgroundAboveZipBytes || jsonBytes > limits.BackgroundAboveJsonBytes
        || await DepositRunner.CountRequestsAsync(jsonPath, limits.BackgroundAboveRequests, ct) > limits.BackgroundAboveRequests;

    /// <summary>The simulator: the verdict of a deposit, nothing stored.</summary>
    public async Task<DepositResult> SimulateAsync(Organisation org, ReadOnlyMemory<byte> json, string? zipPath, CancellationToken ct)
    {
        var (errors, file, _, zip) = await CheckAsync(org, json, zipPath, ct, DepositCheck.Simulation);
        zip?.Dispose();
        // Other vendors' advances are not looked at here (the simulator would tell who serves which client): say so.
        var holdsAdvances = file.Demandes.Any(d => d.Type == RequestType.Avance);
        return new DepositResult(errors, [], file.Count) { Warnings = holdsAdvances ? [DepositRules.CrossVendorNotice] : [] };
    }

    /// <summary>
    /// Checks and, when valid, stores the deposit. Progress is reported in steps: one per request whose files are
    /// written (with a ZIP), then one per request saved in the transaction, out of the sum of both. With
    /// <paramref name="beforeCommit"/>, the caller writes its own outcome (the job's) inside the deposit's transaction,
    /// just before the commit: both are saved, or neither.
    /// </summary>
    public async Task<DepositResult> DepositAsync(Organisation org, Actor actor, ReadOnlyMemory<byte> json, string? zipPath,
        Action<int, int>? progress, CancellationToken ct, Func<DepositResult, CancellationToken, Task>? beforeCommit = null,
        bool advancesSuspended = false)
    {
        var (errors, file, plan, zip) = await CheckAsync(org, json, zipPath, ct, advancesSuspended: advancesSuspended);
        using var _ = zip;
        if (errors.Count > 0) return new DepositResult(errors, [], file.Count) { CrossVendorAdvances = plan?.CrossVendorAdvances ?? [] };

        var count = file.Demandes.Count;
        var fileSteps = zip is null ? 0 : count;
        var steps = fileSteps + count;
        progress?.Invoke(0, steps);
        var now = clock.UtcNow();
        var stored = new List<string>();
        try
        {
            // Files first, streamed entry by entry, each scanned before it is written; a failure deletes what was written.
            var documents = new List<SupportingDocument>[file.Demandes.Count];
            var scanned = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < file.Demandes.Count; i++)
            {
                documents[i] = [];
                if (zip is null) continue;
                for (var j = 0; j < file.Demandes[i].Pieces.Count; j++)
                {
                    var (type, name) = file.Demandes[i].Pieces[j];
                    // A file cited by several requests is scanned once; an infected one refuses the whole deposit.
                    if (scanned.Add(name) && await zip.ScanAsync(name, scanner, ct) is { Infected: true } verdict)
                        throw new InfectedFileException(new ErrorItem($"{file.Demandes[i].Path}.piecesJointes[{j}].fichier",
                            file.Demandes[i].Reference, ScanVerdict.InfectedMessage(name, verdict.Signature!)));
                    var saved = await zip.StoreAsync(name, store, _files.MaxFileBytes, ct);
                    stored.Add(saved.Key);
                    documents[i].Add(SupportingDocument.Create(type, FileNames.Sanitize(name), saved.Key, FileRules.ContentType(name), saved.Size, saved.Sha256, now));
                }
                if (i % 100 == 99) progress?.Invoke(i + 1, steps);
            }
            progress?.Invoke(fileSteps, steps);

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            using var counts = db.DeferRequestCounts();
            var year = ParisCalendar.DateOf(now).Year;
            var numbers = new Dictionary<RequestType, Queue<string>>();
            foreach (var group in file.Demandes.GroupBy(d => d.Type!.Value))
                numbers[group.Key] = new Queue<string>(await NumberAllocator.NextAsync(db, group.Key, year, group.Count(), ct));
            var created = new List<CreatedRequest>(file.Demandes.Count);
            for (var i = 0; i < file.Demandes.Count; i++)
            {
                var d = file.Demandes[i];
                var scheme = plan!.Schemes[d.Scheme!];
                var data = d.ToDepositData();
                var request = FundingRequest.Deposit(numbers[data.Type].Dequeue(), org, plan.Solutions[d.SolutionNumber!], scheme, data, documents[i], actor, now);
                db.Requests.Add(request);
                created.Add(new CreatedRequest(request.VendorReference, request.Number, request.Status.Code()));
                // Saved in slices inside the one transaction (still all or nothing): the change tracker never holds 10 000 requests.
                if (created.Count % SaveSlice == 0)
                {
                    await db.SaveChangesAsync(ct);
                    db.ChangeTracker.Clear();
                    progress?.Invoke(fileSteps + created.Count, steps);
                    // The organisation and its solutions stay known rows, not new ones, for the next slice.
                    db.Organisations.Attach(org);
                    foreach (var solution in plan.Solutions.Values) if (db.Entry(solution).State == EntityState.Detached) db.Solutions.Attach(solution);
                }
            }
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            counts.AddEvent(Webhooks.PortalEvent.DepositFinished(org.Id, created.Count,
                created.Count(c => c.Statut == RequestStatus.EnCours.Code()), created.Count(c => c.Statut == RequestStatus.Incomplete.Code()), now));
            await counts.FlushAsync(ct);
            var result = new DepositResult([], created, file.Count);
            if (beforeCommit is not null) await beforeCommit(result, ct);
            await tx.CommitAsync(ct);
            progress?.Invoke(steps, steps);
            return result;
        }
        catch (Exception e) when (e is DbUpdateException or FileTooLargeException or InvalidDataException or InfectedFileException)
        {
            await DeleteStoredAsync(stored);
            db.ChangeTracker.Clear();
            if (e is InfectedFileException infected)
            {
                logger.LogWarning("Dépôt refusé : fichier infecté. {Error}", infected.Error.Message);
                return new DepositResult([infected.Error], [], file.Count);
            }
            if (e is FileTooLargeException or InvalidDataException)
                return new DepositResult([new ErrorItem("zip", null, e is FileTooLargeException ? e.Message : "Un fichier du ZIP est illisible.")], [], file.Count);
            // A concurrent deposit took a reference or a client first: the checks, run again, say which.
            logger.LogInformation(e, "Dépôt concurrent détecté ; nouvelle vérification.");
            var (again, _, replan, z) = await CheckAsync(org, json, zipPath, ct);
            z?.Dispose();
            return new DepositResult(again.Count > 0 ? again
                : [new ErrorItem("$", null, "Une autre opération a modifié les données pendant le dépôt : rien n'a été enregistré. Recommencez.")], [], file.Count)
                { CrossVendorAdvances = replan?.CrossVendorAdvances ?? [] };
        }
        catch
        {
            await DeleteStoredAsync(stored);
            throw;
        }
    }

    /// <summary>Deletes the files of a deposit that was not saved; one left behind (storage away) is the purge's, never the caller's error.</summary>
    private async Task DeleteStoredAsync(List<string> keys)
    {
        foreach (var key in keys)
        {
            try { await store.DeleteAsync(key, CancellationToken.None); }
            catch (StorageUnavailableException e)
            {
                // The storage is away: the other deletions would wait as long each; the purge takes them all once it is back.
                logger.LogWarning("{Count} pièce(s) d'un dépôt non enregistré non supprimée(s) : {Detail} ; la purge s'en chargera.", keys.Count, e.Detail);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Pièce {Key} d'un dépôt non enregistré non supprimée ; la purge s'en chargera.", key);
            }
        }
    }

    private async Task<(List<ErrorItem> Errors, DepositFile File, DepositPlan? Plan, ZipPackage? Zip)> CheckAsync(
        Organisation org, ReadOnlyMemory<byte> json, string? zipPath, CancellationToken ct, DepositCheck check = DepositCheck.Deposit,
        bool advancesSuspended = false)
    {
        var errors = new List<ErrorItem>();
        var file = FormatV1.Parse(json, depositOptions.Value.MaxRequests, errors);
        // Budget of cross-vendor refusals spent (AdvanceLookups): no advance is looked at, whatever else the file holds.
        if (advancesSuspended && file.Demandes.Any(d => d.Type == RequestType.Avance))
            return ([new ErrorItem("$", null, AdvanceLookups.SuspendedMessage)], file, null, null);
        DepositPlan? plan = null;
        if (file.Demandes.Count > 0 || file.Siret is not null)
            plan = await DepositRules.CheckAsync(db, org, file, clock.UtcNow(), errors, ct, check);
        if (!file.AllShapesValid && errors.Count == 0)
            errors.Add(new("$.demandes", null, "Le fichier contient des demandes illisibles."));

        ZipPackage? zip = null;
        if (zipPath is not null)
        {
            zip = ZipPackage.Open(zipPath, _files, errors);
            if (zip is not null)
            {
                var named = new HashSet<string>(StringComparer.Ordinal);
                foreach (var d in file.Demandes)
                {
                    for (var j = 0; j < d.Pieces.Count; j++)
                    {
                        var (_, name) = d.Pieces[j];
                        var path = $"{d.Path}.piecesJointes[{j}].fichier";
                        var first = named.Add(name);
                        if (FileRules.NameError(name, _files) is { } nameError) { errors.Add(new(path, d.Reference, nameError)); continue; }
                        if (!zip.Contains(name)) { errors.Add(new(path, d.Reference, $"Le fichier « {name} » est absent du ZIP.")); continue; }
                        if (first && await zip.ContentErrorAsync(name, ct) is { } contentError)
                            errors.Add(new(path, d.Reference, contentError));
                    }
                }
                // Only when every request was readable can an unnamed file be told apart from a misspelt one.
                if (file.AllShapesValid)
                    foreach (var extra in zip.Names.Where(n => !named.Contains(n)).Take(100))
                        errors.Add(new($"zip:{extra}", null, $"Le fichier « {extra} » du ZIP n'est cité par aucune demande."));
            }
        }
        return (errors, file, plan, zip);
    }
}

/// <summary>A file of the deposit's ZIP that the scanner found infected: the deposit is refused with this error, nothing kept.</summary>
internal sealed class InfectedFileException(ErrorItem error) : Exception(error.Message)
{
    public ErrorItem Error { get; } = error;
}
