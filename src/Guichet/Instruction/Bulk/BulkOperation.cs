namespace Guichet.Instruction.Bulk;

/// <summary>The actions a manager may take on a selection: each is the single decision of the same name, request by request.</summary>
public enum BulkAction { Valider, Rejeter, MarquerPayee, DemanderModification, AnnulerModification }

public enum BulkStatus { EnCours, Terminee }

/// <summary>What became of one request of the selection: null while still to do.</summary>
public enum BulkOutcome { Faite, Ignoree }

/// <summary>
/// « Opération groupée »: one action on a selection frozen when the manager confirmed it. Its items are processed one by
/// one through the single action; the row holds the lease (heartbeat) of the instance that runs it, so a live instance
/// resumes it when its process died.
/// </summary>
public class BulkOperation
{
    public Guid Id { get; private set; } = Guid.NewGuid();
    public BulkAction Action { get; private set; }
    /// <summary>The reason of a rejection.</summary>
    public string? Reason { get; private set; }
    /// <summary>The comment of a round (to open, or to cancel).</summary>
    public string? Comment { get; private set; }
    /// <summary>The items of the round to open.</summary>
    public List<string> Items { get; private set; } = [];
    public string UserId { get; private set; } = "";
    public string UserName { get; private set; } = "";
    public DateTime CreatedAt { get; private set; }
    public BulkStatus Status { get; private set; } = BulkStatus.EnCours;
    public int Total { get; private set; }
    public int Done { get; private set; }
    public int Skipped { get; private set; }
    /// <summary>The lease: written every few seconds by the instance that runs the operation (BulkOperations:HeartbeatSeconds).</summary>
    public DateTime HeartbeatAt { get; private set; }
    /// <summary>How many times a live instance resumed the operation after its process stopped beating.</summary>
    public int Takeovers { get; private set; }
    public DateTime? FinishedAt { get; private set; }

    private BulkOperation() { }

    public static BulkOperation Start(BulkAction action, string? reason, string? comment, IReadOnlyCollection<string>? items,
        string userId, string userName, int total, DateTime now) => new()
    {
        Action = action, Reason = reason, Comment = comment, Items = items?.ToList() ?? [], UserId = userId, UserName = userName,
        Total = total, CreatedAt = now, HeartbeatAt = now,
    };

    public int Processed => Done + Skipped;

    public string StatusCode => Status == BulkStatus.EnCours ? "EN_COURS" : "TERMINEE";

    public string ActionCode => Code(Action);

    public static string Code(BulkAction action) => action switch
    {
        BulkAction.Valider => "valider",
        BulkAction.Rejeter => "rejeter",
        BulkAction.MarquerPayee => "marquer_payee",
        BulkAction.DemanderModification => "demander_modification",
        _ => "annuler_modification",
    };

    public static BulkAction? Parse(string? code) =>
        Enum.GetValues<BulkAction>().Cast<BulkAction?>().FirstOrDefault(a => Code(a!.Value) == code);

    /// <summary>The verb of « Vous allez valider 300 demandes. »</summary>
    public static string Verb(BulkAction action) => action switch
    {
        BulkAction.Valider => "valider",
        BulkAction.Rejeter => "rejeter",
        BulkAction.MarquerPayee => "marquer « Décidée et payée »",
        BulkAction.DemanderModification => "demander une modification sur",
        _ => "annuler la demande de modification de",
    };

    public static string Label(BulkAction action) => action switch
    {
        BulkAction.Valider => "Valider",
        BulkAction.Rejeter => "Rejeter",
        BulkAction.MarquerPayee => "Marquer « Décidée et payée »",
        BulkAction.DemanderModification => "Demander une modification",
        _ => "Annuler la demande de modification",
    };
}

/// <summary>One request of an operation's frozen selection and what became of it.</summary>
public class BulkOperationItem
{
    public long Id { get; private set; }
    public Guid OperationId { get; private set; }
    public long RequestId { get; private set; }
    public string Number { get; private set; } = "";
    /// <summary>Null while to do; a concurrency token, so that two runners can never both write it.</summary>
    public BulkOutcome? Outcome { get; private set; }
    /// <summary>Why it was skipped: the single action's French refusal.</summary>
    public string? Reason { get; private set; }
    public DateTime? ProcessedAt { get; private set; }

    private BulkOperationItem() { }

    public static BulkOperationItem Of(Guid operationId, long requestId, string number) =>
        new() { OperationId = operationId, RequestId = requestId, Number = number };

    public void MarkDone(DateTime now)
    {
        if (Outcome is not null) throw new InvalidOperationException($"Élément {Number} déjà traité.");
        Outcome = BulkOutcome.Faite;
        ProcessedAt = now;
    }

    public static string OutcomeLabel(BulkOutcome? outcome) => outcome switch
    {
        BulkOutcome.Faite => "faite",
        BulkOutcome.Ignoree => "ignorée",
        _ => "à traiter",
    };
}
