namespace Guichet.Domain;

/// <summary>What a person or the system may do to a request; which ones its status allows is asked of <see cref="FundingRequest.Allows"/>.</summary>
public enum RequestAction { Complete, OpenRound, Modify, CancelRound, Validate, Reject, MarkPaid }

/// <summary>
/// A funding request (demande de financement): one client of one vendor for one scheme, AVANCE or SOLDE.
/// Every status change goes through one guarded method below, which also records who, when and why.
/// </summary>
public class FundingRequest
{
    public long Id { get; private set; }
    /// <summary>Portal number, e.g. SAS-S-2026-000123.</summary>
    public string Number { get; private set; } = "";
    public int OrganisationId { get; private set; }
    public Organisation? Organisation { get; private set; }
    public string VendorReference { get; private set; } = "";
    public RequestType Type { get; private set; }
    public string SchemeCode { get; private set; } = "";
    /// <summary>The scheme's settings (deadlines, editable fields, required attachments); loaded with the request.</summary>
    public FundingScheme? Scheme { get; private set; }
    public int SolutionId { get; private set; }
    public Solution? Solution { get; private set; }
    public ClientIdType ClientIdType { get; private set; }
    public string ClientId { get; private set; } = "";
    public string ClientName { get; private set; } = "";
    public string PurchaseOrderNumber { get; private set; } = "";
    public DateOnly PurchaseOrderDate { get; private set; }
    public DateOnly? GoLiveDate { get; private set; }
    /// <summary>For a SOLDE: the portal number of the advance it settles.</summary>
    public string? AdvanceNumber { get; private set; }
    public decimal Amount { get; private set; }
    /// <summary>Block « Informations de la demande »: support contact for Régulateurs or Effecteurs (written by <see cref="EditableField"/>).</summary>
    public string ContactSupport { get; internal set; } = "";
    public RequestStatus Status { get; private set; }
    public string? RejectionReason { get; private set; }
    public DateTime DepositedAt { get; private set; }
    public DateTime UpdatedAt { get; private set; }
    /// <summary>When the vendor last confirmed a modification (for « modifiée depuis ma dernière consultation »).</summary>
    public DateTime? LastModifiedByVendorAt { get; private set; }
    /// <summary>How the latest modification round ended; null before any round and while one is open (« délai dépassé » filter).</summary>
    public RoundOutcome? LastRoundOutcome { get; private set; }
    /// <summary>Optimistic concurrency token, bumped by every change.</summary>
    public int Version { get; private set; }
    /// <summary>The agency user who has the request in hand (« attribuée à »); null when nobody has it.</summary>
    public string? AssignedToUserId { get; private set; }
    public string? AssignedToName { get; private set; }
    /// <summary>When it was first validated or rejected, and how long after its deposit (seconds, indexed for the dashboard's percentiles).</summary>
    public DateTime? DecidedAt { get; private set; }
    public long? DecisionSeconds { get; private set; }

    public List<SupportingDocument> Documents { get; private set; } = [];
    public List<HistoryEntry> History { get; private set; } = [];
    public List<ModificationRound> Rounds { get; private set; } = [];
    /// <summary>Agency-only notes; never loaded by <c>RequestAccess</c>, only added to (see <see cref="InternalNote"/>).</summary>
    public List<InternalNote> Notes { get; private set; } = [];

    private FundingRequest() { }

    public ModificationRound? OpenRound => Rounds.FirstOrDefault(r => r.IsOpen);

    /// <summary>The round closed last (confirmed, declined, closed at J+20 or cancelled): what its e-mail and its event tell.</summary>
    public ModificationRound? LastClosedRound =>
        Rounds.Where(r => !r.IsOpen).OrderByDescending(r => r.ClosedAt).ThenByDescending(r => r.Id).FirstOrDefault();

    /// <summary>The status each action requires (docs/regles.md#transitions): the guards below, the pages and the API ask here.</summary>
    public static RequestStatus StatusFor(RequestAction action) => action switch
    {
        RequestAction.Complete => RequestStatus.Incomplete,
        RequestAction.OpenRound or RequestAction.Validate or RequestAction.Reject => RequestStatus.EnCours,
        RequestAction.Modify or RequestAction.CancelRound => RequestStatus.AModifier,
        RequestAction.MarkPaid => RequestStatus.Validee,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public bool Allows(RequestAction action) => Status == StatusFor(action)
        && (action is not (RequestAction.Modify or RequestAction.CancelRound) || OpenRound is not null);

    /// <summary>Documents visible to everyone: the confirmed ones, not the open round's draft.</summary>
    public IEnumerable<SupportingDocument> ConfirmedDocuments => Documents.Where(d => !d.IsDraft);

    public IReadOnlyList<DocumentType> MissingDocumentTypes(FundingScheme scheme) =>
        scheme.RequiredDocuments(Type).Where(t => ConfirmedDocuments.All(d => d.Type != t)).ToList();

    public sealed record DepositData(
        string VendorReference, RequestType Type, ClientIdType ClientIdType, string ClientId, string ClientName,
        string PurchaseOrderNumber, DateOnly PurchaseOrderDate, DateOnly? GoLiveDate, string? AdvanceNumber,
        decimal Amount, string ContactSupport);

    /// <summary>Deposit → INCOMPLETE when a required attachment is missing, else EN_COURS.</summary>
    public static FundingRequest Deposit(string number, Organisation organisation, Solution solution, FundingScheme scheme,
        DepositData data, IEnumerable<SupportingDocument> documents, Actor actor, DateTime now)
    {
        if (solution.SchemeCode != scheme.Code || solution.OrganisationId != organisation.Id)
            throw Refusal.Conflict("La solution n'est pas référencée pour ce dispositif et cet organisme.");
        var request = new FundingRequest
        {
            Number = number, OrganisationId = organisation.Id, Organisation = organisation,
            VendorReference = data.VendorReference, Type = data.Type, SchemeCode = scheme.Code,
            SolutionId = solution.Id, Solution = solution,
            ClientIdType = data.ClientIdType, ClientId = data.ClientId, ClientName = data.ClientName,
            PurchaseOrderNumber = data.PurchaseOrderNumber, PurchaseOrderDate = data.PurchaseOrderDate,
            GoLiveDate = data.GoLiveDate, AdvanceNumber = data.AdvanceNumber, Amount = data.Amount,
            ContactSupport = data.ContactSupport, DepositedAt = now, UpdatedAt = now,
        };
        request.Documents.AddRange(documents);
        request.Status = request.MissingDocumentTypes(scheme).Count > 0 ? RequestStatus.Incomplete : RequestStatus.EnCours;
        request.Record(actor, now, "Dépôt de la demande", null, request.Status, RequestEvent.Created,
            documents: request.Documents.Select(d => d.FileName));
        return request;
    }

    /// <summary>The vendor adds missing attachments; once none is missing, INCOMPLETE → EN_COURS.</summary>
    public void Complete(Actor actor, FundingScheme scheme, IReadOnlyCollection<SupportingDocument> added, DateTime now)
    {
        Require("Compléter la demande", RequestAction.Complete);
        if (added.Count == 0) throw Refusal.Invalid("Ajoutez au moins une pièce justificative.");
        Documents.AddRange(added);
        var complete = MissingDocumentTypes(scheme).Count == 0;
        var to = complete ? RequestStatus.EnCours : RequestStatus.Incomplete;
        Transition(actor, now, complete ? "Demande complétée" : "Pièces justificatives ajoutées", to, complete ? RequestEvent.Completed : null,
            documents: added.Select(d => d.FileName));
    }

    /// <summary>A manager (or support at the vendor's request) opens a round: EN_COURS → A_MODIFIER.</summary>
    public ModificationRound OpenModificationRound(Actor actor, string? comment, IReadOnlyCollection<string> items,
        FundingScheme scheme, DateTime now, bool atVendorRequest = false)
    {
        Require("Demander une modification", RequestAction.OpenRound);
        if (string.IsNullOrWhiteSpace(comment))
            throw Refusal.Invalid("Le commentaire destiné au fournisseur est obligatoire.");
        CheckFreeText(comment, "Le commentaire", "$.commentaire");
        if (items.Count == 0 || items.All(string.IsNullOrWhiteSpace))
            throw Refusal.Invalid("Cochez au moins un élément à modifier.", "$.elements");
        if (items.Any(string.IsNullOrWhiteSpace))
            throw Refusal.Invalid("Un élément à modifier est vide.", "$.elements");
        foreach (var item in items)
        {
            var isField = scheme.EditableFieldList.Contains(item);
            var isDocument = EditableField.TryParseDocumentItem(item, out _) && scheme.AttachmentsMayBeAdded;
            if (!isField && !isDocument)
                throw Refusal.Invalid($"L'élément « {item} » ne peut pas être demandé en modification pour ce dispositif.");
        }
        if (OpenRound is not null) throw Refusal.Conflict("Une demande de modification est déjà ouverte.");
        var round = ModificationRound.Open(actor, comment, items, scheme, now, atVendorRequest);
        Rounds.Add(round);
        LastRoundOutcome = null;
        Transition(actor, now, atVendorRequest ? "Modification ouverte à la demande du fournisseur" : "Demande de modification",
            RequestStatus.AModifier, RequestEvent.RoundOpened, comment: round.Comment);
        return round;
    }

    /// <summary>
    /// The vendor edits fields of the draft. Each value must be one the round asked for and pass the deposit's rule; every
    /// error is reported at once (with its JSON path) and then nothing is kept. A value equal to the original clears it.
    /// </summary>
    public void EditDraft(IReadOnlyDictionary<string, string?> values, DateTime now)
    {
        var round = RequireOpenRound("Modifier");
        var errors = values
            .Select(v => (v.Key, Error: round.FieldItems.Contains(v.Key) ? EditableField.Error(v.Key, v.Value) : EditableField.NotEditable(v.Key)))
            .Where(e => e.Error is not null)
            .Select(e => new ErrorItem("$." + e.Key, VendorReference, e.Error!)).ToList();
        if (errors.Count > 0) throw Refusal.Invalid(errors);
        foreach (var (field, value) in values)
        {
            var trimmed = value?.Trim();
            round.SetDraft(field, trimmed is null || trimmed == EditableField.Read(this, field) ? null : trimmed, now);
        }
        Version++;
    }

    public void EditDraft(string field, string? value, DateTime now) => EditDraft(new Dictionary<string, string?> { [field] = value }, now);

    /// <summary>The vendor imports an attachment into the draft (add only).</summary>
    public void AddDraftDocument(SupportingDocument document, FundingScheme scheme, DateTime now)
    {
        var round = RequireOpenRound("Importer");
        if (!scheme.AttachmentsMayBeAdded)
            throw Refusal.Conflict("L'ajout de pièces justificatives n'est pas ouvert pour ce dispositif.");
        document.MarkDraftOf(round);
        Documents.Add(document);
        round.Touch(now);
        Version++;
    }

    /// <summary>The vendor removes an attachment it imported during this round; earlier ones cannot be removed.</summary>
    public SupportingDocument RemoveDraftDocument(Guid documentId, DateTime now)
    {
        var round = RequireOpenRound("Supprimer une pièce");
        var document = Documents.FirstOrDefault(d => d.Id == documentId)
            ?? throw Refusal.NotFound("Pièce justificative introuvable.");
        if (!document.IsDraftOf(round))
            throw Refusal.Conflict("Une pièce justificative présente avant la modification ne peut pas être supprimée.");
        Documents.Remove(document);
        round.Touch(now);
        Version++;
        return document;
    }

    /// <summary>« Confirmer »: the draft is applied at once, A_MODIFIER → EN_COURS.</summary>
    public void ConfirmModification(Actor actor, DateTime now)
    {
        var round = RequireOpenRound("Confirmer");
        var changes = new List<FieldChange>();
        // Draft values passed their rule in EditDraft, the only way into the draft.
        foreach (var (field, value) in round.Draft)
        {
            var before = EditableField.Read(this, field);
            if (before == value) continue;
            EditableField.Write(this, field, value);
            changes.Add(new FieldChange(field, before, value));
        }
        var added = Documents.Where(d => d.IsDraftOf(round)).ToList();
        foreach (var d in added) d.Publish();
        round.Close(RoundOutcome.Confirmed, now);
        LastRoundOutcome = RoundOutcome.Confirmed;
        LastModifiedByVendorAt = now;
        Transition(actor, now, "Modification confirmée", RequestStatus.EnCours, RequestEvent.ModificationConfirmed, changes: changes,
            documents: added.Select(d => d.FileName));
    }

    /// <summary>« Ne pas modifier »: the draft is discarded, A_MODIFIER → EN_COURS. Returns the discarded files.</summary>
    public IReadOnlyList<SupportingDocument> DeclineModification(Actor actor, DateTime now) =>
        CloseRound(actor, now, RoundOutcome.Declined, "Modification non effectuée (« Ne pas modifier »)", null, RequestEvent.ModificationDeclined);

    /// <summary>« Annuler la demande de modification » by a manager. Returns the discarded files.</summary>
    public IReadOnlyList<SupportingDocument> CancelModificationRound(Actor actor, DateTime now, string? comment = null)
    {
        var text = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (text is not null) CheckFreeText(text, "Le commentaire", "$.commentaire");
        return CloseRound(actor, now, RoundOutcome.Cancelled, "Demande de modification annulée", text, RequestEvent.RoundCancelled);
    }

    /// <summary>Automatic closing once the deadline has passed and the reminder went out. Returns the discarded files.</summary>
    public IReadOnlyList<SupportingDocument> CloseExpiredRound(DateTime now)
    {
        var round = RequireOpenRound("Clôturer la modification");
        if (round.ReminderSentAt is null || now < round.ClosingDueAt)
            throw Refusal.Conflict("Le délai de modification n'est pas encore expiré.");
        return CloseRound(Actor.System, now, RoundOutcome.Expired, "Délai expiré — instruite en l'état", null, RequestEvent.RoundExpired);
    }

    /// <summary>Records that the J+10 reminder went out (once).</summary>
    public void RecordReminderSent(DateTime now)
    {
        var round = RequireOpenRound("Relancer");
        if (round.ReminderSentAt is not null) throw Refusal.Conflict("La relance a déjà été envoyée.");
        if (now < round.ReminderDueAt) throw Refusal.Conflict("La relance n'est pas encore due.");
        round.RecordReminder(now);
        Version++;
        History.Add(HistoryEntry.Create(Actor.System, now, "Relance envoyée (J+10)", Status, Status, kind: RequestEvent.Reminded));
    }

    /// <summary>« Valider »: EN_COURS → VALIDEE.</summary>
    public void Validate(Actor actor, DateTime now)
    {
        Require("Valider", RequestAction.Validate);
        RecordDecision(now);
        Transition(actor, now, "Demande validée", RequestStatus.Validee, RequestEvent.Validated);
    }

    /// <summary>« Rejeter » with a reason: EN_COURS → REJETEE.</summary>
    public void Reject(Actor actor, string? reason, DateTime now)
    {
        Require("Rejeter", RequestAction.Reject);
        if (string.IsNullOrWhiteSpace(reason)) throw Refusal.Invalid("Le motif du rejet est obligatoire.");
        CheckFreeText(reason, "Le motif", "$.motif");
        RejectionReason = reason.Trim();
        RecordDecision(now);
        Transition(actor, now, "Demande rejetée", RequestStatus.Rejetee, RequestEvent.Rejected, comment: RejectionReason);
    }

    /// <summary>« Décidée et payée »: VALIDEE → DECIDEE_ET_PAYEE.</summary>
    public void MarkPaid(Actor actor, DateTime now)
    {
        Require("Décidée et payée", RequestAction.MarkPaid);
        Transition(actor, now, "Paiement décidé et effectué", RequestStatus.DecideeEtPayee, RequestEvent.Paid);
    }

    /// <summary>« M'attribuer » or « Attribuer à »: the request goes to <paramref name="userId"/>, whoever had it.</summary>
    public void AssignTo(Actor actor, string userId, string name, DateTime now, bool taking)
    {
        if (AssignedToUserId == userId) throw Refusal.Conflict($"La demande est déjà attribuée à {name}.");
        // Taking a request someone already has is a decision to take it from them: only « Attribuer à » does that.
        if (taking && AssignedToUserId is not null)
            throw Refusal.Conflict($"La demande vient d'être attribuée à {AssignedToName} : rechargez la page ; « Attribuer à » permet de la reprendre.");
        var text = taking ? $"{actor.Name} prend la demande." : $"Demande attribuée à {name}"
            + (AssignedToName is { } before ? $" (auparavant : {before})." : ".");
        (AssignedToUserId, AssignedToName) = (userId, name);
        Version++;
        Notes.Add(InternalNote.Create(actor, now, InternalNoteKind.Assignment, text));
    }

    /// <summary>« Retirer l'attribution ».</summary>
    public void Unassign(Actor actor, DateTime now)
    {
        if (AssignedToName is not { } before) throw Refusal.Conflict("La demande n'est attribuée à personne.");
        (AssignedToUserId, AssignedToName) = (null, null);
        Version++;
        Notes.Add(InternalNote.Create(actor, now, InternalNoteKind.Assignment, $"Attribution retirée (la demande était attribuée à {before})."));
    }

    /// <summary>A « note interne » from an agency user; the request itself does not change (no version bump).</summary>
    public InternalNote AddNote(Actor actor, string? text, DateTime now)
    {
        if (string.IsNullOrWhiteSpace(text)) throw Refusal.Invalid("La note est vide.", "$.note");
        CheckFreeText(text, "La note", "$.note");
        var note = InternalNote.Create(actor, now, InternalNoteKind.Note, text.Trim());
        Notes.Add(note);
        return note;
    }

    private void RecordDecision(DateTime now)
    {
        if (DecidedAt is not null) return; // the first decision counts; a later one (none today) would not reset it
        DecidedAt = now;
        DecisionSeconds = (long)(now - DepositedAt).TotalSeconds;
    }

    private IReadOnlyList<SupportingDocument> CloseRound(Actor actor, DateTime now, RoundOutcome outcome, string evt, string? comment, RequestEvent kind)
    {
        var round = RequireOpenRound(evt);
        var discarded = Documents.Where(d => d.IsDraftOf(round)).ToList();
        foreach (var d in discarded) Documents.Remove(d);
        round.Close(outcome, now);
        LastRoundOutcome = outcome;
        Transition(actor, now, evt, RequestStatus.EnCours, kind, comment: comment);
        return discarded;
    }

    /// <summary>A comment or a reason written by a person: 4 000 characters at most, no control character but line breaks.</summary>
    private static void CheckFreeText(string text, string what, string path)
    {
        if (text.Length > 4000) throw Refusal.Invalid($"{what} ne doit pas dépasser 4 000 caractères.", path);
        if (RequestRules.FreeTextError(text, what) is { } error) throw Refusal.Invalid(error, path);
    }

    private ModificationRound RequireOpenRound(string action)
    {
        Require(action, RequestAction.Modify);
        return OpenRound ?? throw Refusal.Conflict("Aucune demande de modification n'est ouverte.");
    }

    private void Require(string label, RequestAction action)
    {
        if (Status != StatusFor(action)) throw Refusal.WrongStatus(Status, label, StatusFor(action));
    }

    private void Transition(Actor actor, DateTime now, string evt, RequestStatus to, RequestEvent? kind, string? comment = null,
        IEnumerable<FieldChange>? changes = null, IEnumerable<string>? documents = null)
    {
        var from = Status;
        Status = to;
        Record(actor, now, evt, from, to, kind, comment, changes, documents);
    }

    private void Record(Actor actor, DateTime now, string evt, RequestStatus? from, RequestStatus to, RequestEvent? kind, string? comment = null,
        IEnumerable<FieldChange>? changes = null, IEnumerable<string>? documents = null)
    {
        UpdatedAt = now;
        Version++;
        History.Add(HistoryEntry.Create(actor, now, evt, from, to, comment, changes, documents, kind));
    }
}
