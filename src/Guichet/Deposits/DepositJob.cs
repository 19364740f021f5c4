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

    private DepositJob() { }

    public static DepositJob Start(int organisationId, string userId, string jsonName, string? zipName, DateTime now) => new()
    {
        OrganisationId = organisationId, UserId = userId, JsonFileName = jsonName, ZipFileName = zipName, CreatedAt = now,
    };

    public void Finish(DepositResult result, DateTime now)
    {
        Status = result.Valid ? DepositJobStatus.Termine : DepositJobStatus.Echec;
        Total = result.Count;
        Processed = result.Valid ? result.Count : 0;
        ResultJson = result.Valid ? JsonSerializer.Serialize(result.Created, Json) : JsonSerializer.Serialize(result.Errors, Json);
        FinishedAt = now;
    }

    public void Fail(string message, DateTime now)
    {
        Status = DepositJobStatus.Echec;
        ResultJson = JsonSerializer.Serialize(new[] { new ErrorItem("$", null, message) }, Json);
        FinishedAt = now;
    }

    public IReadOnlyList<CreatedRequest> Created =>
        Status == DepositJobStatus.Termine && ResultJson is not null ? JsonSerializer.Deserialize<List<CreatedRequest>>(ResultJson, Json)! : [];

    public IReadOnlyList<ErrorItem> Errors =>
        Status == DepositJobStatus.Echec && ResultJson is not null ? JsonSerializer.Deserialize<List<ErrorItem>>(ResultJson, Json)! : [];

    public string StatusCode => Status switch
    {
        DepositJobStatus.EnTraitement => "EN_TRAITEMENT",
        DepositJobStatus.Termine => "TERMINE",
        _ => "ECHEC",
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
