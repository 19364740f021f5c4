namespace Guichet.Domain;

/// <summary>Metadata of a supporting document (pièce justificative); the bytes live in the attachment store.</summary>
public class SupportingDocument
{
    public Guid Id { get; private set; } = Guid.NewGuid();
    public long FundingRequestId { get; private set; }
    public DocumentType Type { get; private set; }
    /// <summary>Sanitised original file name.</summary>
    public string FileName { get; private set; } = "";
    public string StorageKey { get; private set; } = "";
    public string ContentType { get; private set; } = "application/octet-stream";
    public long Size { get; private set; }
    public string Sha256 { get; private set; } = "";
    public DateTime AddedAt { get; private set; }
    /// <summary>The round during which it was imported, if any.</summary>
    public long? RoundId { get; private set; }
    /// <summary>True while it is part of an unconfirmed round draft (invisible to managers).</summary>
    public bool IsDraft { get; private set; }
    /// <summary>Set when a later scan (verb « rescan ») found it infected: never served again, flagged to everyone who sees it.</summary>
    public DateTime? QuarantinedAt { get; private set; }
    /// <summary>The antivirus signature that matched, as the scanner named it.</summary>
    public string? QuarantineSignature { get; private set; }

    public bool IsQuarantined => QuarantinedAt is not null;

    private SupportingDocument() { }

    public static SupportingDocument Create(DocumentType type, string fileName, string storageKey, string contentType, long size, string sha256, DateTime addedAt) =>
        new()
        {
            Type = type, FileName = fileName, StorageKey = storageKey, ContentType = contentType,
            Size = size, Sha256 = sha256, AddedAt = addedAt,
        };

    public ModificationRound? Round { get; private set; }

    internal void MarkDraftOf(ModificationRound round) { Round = round; IsDraft = true; }
    internal void Publish() => IsDraft = false;

    /// <summary>A stored file that a newer signature matches: kept for the record, never served again.</summary>
    public void Quarantine(string signature, DateTime at)
    {
        if (IsQuarantined) throw new InvalidOperationException($"La pièce « {FileName} » est déjà en quarantaine (signature {QuarantineSignature}).");
        if (string.IsNullOrWhiteSpace(signature)) throw new ArgumentException("La signature est obligatoire.", nameof(signature));
        QuarantinedAt = at;
        QuarantineSignature = signature.Length > 200 ? signature[..200] : signature;
    }

    public bool IsDraftOf(ModificationRound round) =>
        IsDraft && (ReferenceEquals(Round, round) || (round.Id != 0 && RoundId == round.Id));
}
