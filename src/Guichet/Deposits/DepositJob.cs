using System.Text.Json;
using Guichet.Hosting;

namespace Guichet.Deposits;

public enum DepositJobStatus { EnTraitement, Termine, Echec }

/// <summary>A deposit attempt and its outcome: what the vendor's result page and <c>GET /api/v1/depots/{id}</c> show.</summary>
public class DepositJob
{
    public Guid Id { get; private set; } = Guid.NewGuid();
    public int OrganisationId { get; private set; }
    public string UserId { get; private set; } = "";
    public string JsonFileName { get; private set; } = "";
    public string? ZipFileName { get; private set; }
    public DateTime CreatedAt { get; private set; }
    public DateTime? FinishedAt { get; private set; }
    public DepositJobStatus Status { get; private set; } = DepositJobStatus.EnTraitement;
    public int Total { get; set; }
    public int Processed { get; set; }
    /// <summary>JSON of the created requests (TERMINE) or of the errors (ECHEC).</summary>
    public string? ResultJson { get; private set; }
    /// <summary>
    /// The lease of a job « en traitement »: the instance that holds it (queued or running) writes the time every few
    /// seconds (<see cref="DepositOptions.HeartbeatSeconds"/>). A job whose heartbeat is older than
    /// <see cref="DepositOptions.StaleAfterSeconds"/> lost its process and is resumed by a live instance.
    /// </summary>
    public DateTime HeartbeatAt { get; private set; }
    /// <summary>
    /// How many times a live instance resumed the job after its process died; past <see cref="DepositOptions.MaxTakeovers"/>
    /// it is closed instead, so that a deposit that kills every instance cannot loop forever.
    /// </summary>
    public int Takeovers { get; private set; }
    /// <summary>The caller's « Idempotency-Key » header (API), unique per organisation; null without one.</summary>
    public string? IdempotencyKey { get; private set; }
    /// <summary>SHA-256 of the deposited files (JSON then ZIP), to tell a retry from another deposit under the same key.</summary>
    public string? ContentSha256 { get; private set; }
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>
    /// The message of a job whose process stopped before its end and that could not be resumed (host stopped, files gone,
    /// resumed too often): its transaction never committed.
    /// </summary>
    public const string InterruptedMessage = "Le traitement de ce dépôt a été interrompu par un arrêt du service : aucune demande n'a été "
        + "enregistrée. Déposez-le à nouveau.";

    /// <summary>The message of a job stopped by a storage outage: its transaction never committed.</summary>
    public const string StorageUnavailableMessage = "Le stockage des pièces est devenu momentanément indisponible pendant ce dépôt : aucune "
        + "demande n'a été enregistrée. Déposez-le à nouveau dans quelques instants.";

    private DepositJob() { }

    public static DepositJob Start(int organisationId, string userId, string jsonName, string? zipName, DateTime now,
        string? idempotencyKey = null, string? contentSha256 = null) => new()
    {
        OrganisationId = organisationId, UserId = userId, JsonFileName = jsonName, ZipFileName = zipName, CreatedAt = now,
        HeartbeatAt = now, IdempotencyKey = idempotencyKey, ContentSha256 = contentSha256,
    };

    /// <summary>The result columns of a deposit, as <see cref="Finish"/> writes them (also written by one UPDATE inside the deposit's transaction).</summary>
    public static string ResultJsonOf(DepositResult result) =>
        result.Valid ? JsonSerializer.Serialize(result.Created, Json) : JsonSerializer.Serialize(result.Errors, Json);

    public static string FailureJson(string message) => JsonSerializer.Serialize(new[] { new ErrorItem("$", null, message) }, Json);

    public void Finish(DepositResult result, DateTime now)
    {
        Status = result.Valid ? DepositJobStatus.Termine : DepositJobStatus.Echec;
        Total = result.Count;
        Processed = result.Valid ? result.Count : 0;
        ResultJson = ResultJsonOf(result);
        FinishedAt = now;
    }

    public void Fail(string message, DateTime now)
    {
        Status = DepositJobStatus.Echec;
        ResultJson = FailureJson(message);
        FinishedAt = now;
    }

    public IReadOnlyList<CreatedRequest> Created =>
        Status == DepositJobStatus.Termine && ResultJson is not null ? JsonSerializer.Deserialize<List<CreatedRequest>>(ResultJson, Json)! : [];

    public IReadOnlyList<ErrorItem> Errors =>
        Status == DepositJobStatus.Echec && ResultJson is not null ? JsonSerializer.Deserialize<List<ErrorItem>>(ResultJson, Json)! : [];

    /// <summary>The job failed because the scanner did not answer (nothing stored): a deposit answered at once is a 503 « réessayez ».</summary>
    public bool ScannerWasUnavailable => Errors is [{ Chemin: "$", Message: Antivirus.ScannerUnavailableException.Text }];

    /// <summary>The job failed because the storage did not answer (nothing committed): a deposit answered at once is a 503 « réessayez ».</summary>
    public bool StorageWasUnavailable => Errors is [{ Chemin: "$", Message: StorageUnavailableMessage }];

    public string StatusCode => Status switch
    {
        DepositJobStatus.EnTraitement => "EN_TRAITEMENT",
        DepositJobStatus.Termine => "TERMINE",
        _ => "ECHEC",
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
