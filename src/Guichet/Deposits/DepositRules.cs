using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Deposits;

/// <summary>What the rules resolved for the requests of one file: scheme and solution per request.</summary>
public sealed class DepositPlan
{
    public required Organisation Organisation { get; init; }
    public required IReadOnlyDictionary<string, FundingScheme> Schemes { get; init; }
    public required IReadOnlyDictionary<string, Solution> Solutions { get; init; }
    /// <summary>The advances refused because another vendor holds a live one for the client (deposit only; never said to the vendor).</summary>
    public IReadOnlyList<CrossVendorAdvance> CrossVendorAdvances { get; init; } = [];
}

/// <summary>
/// An advance of the file (its index in « demandes ») refused because another organisation holds a live advance for the
/// same scheme and client. The vendor's message does not say so; this is for the security journal and the daily budget.
/// </summary>
public sealed record CrossVendorAdvance(string SchemeCode, ClientIdType ClientIdType, string ClientId, int Index);

/// <summary>Who asks the rules: a deposit checks every vendor's advances, the simulator only the vendor's own (docs/regles.md#avance-et-solde).</summary>
public enum DepositCheck
{
    Deposit,
    Simulation,
}

/// <summary>
/// The business rules of a deposit (docs/regles.md#depot), the same for the deposit and the simulator (the modification reuses
/// <see cref="RequestRules"/> and the file checks). Loads what it needs in a few set queries, so 10 000 requests
/// cost the same handful of round trips as one.
/// </summary>
public static class DepositRules
{
    /// <summary>
    /// Eligibility: a purchase order may be dated at most this many days before the solution's referencing date
    /// (docs/regles.md#dates-et-eligibilite).
    /// </summary>
    public const int MaxOrderDaysBeforeReferencing = 120;

    /// <summary>
    /// The refusal of an advance whose client already has a live one: the same words whoever holds it, so that a deposit
    /// does not tell a vendor which clients its competitors serve.
    /// </summary>
    public const string LiveAdvanceMessage =
        "Une demande d'avance existe déjà pour ce client sur ce dispositif. Si vous pensez qu'il s'agit d'une erreur, contactez l'assistance.";

    /// <summary>The simulator's notice when the file holds advances: it does not look at other vendors' advances.</summary>
    public const string CrossVendorNotice =
        "L'unicité de l'avance pour un client, tous fournisseurs confondus, est vérifiée au dépôt : le simulateur ne vérifie que les avances de votre organisme.";

    /// <summary>
    /// The distinct values of one field of the file, in a set sized for the file at its first value (LINQ's <c>Distinct</c>
    /// grows its set a dozen times for 10 000 requests); a field no request gives (advance numbers in a file of advances)
    /// allocates no table.
    /// </summary>
    private static List<string> DistinctValues(IReadOnlyList<DemandeV1> demandes, Func<DemandeV1, string?> field)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in demandes)
        {
            if (field(d) is not { } value) continue;
            if (values.Count == 0) values.EnsureCapacity(demandes.Count);
            values.Add(value);
        }
        return [.. values];
    }

    private sealed record LiveAdvance(string SchemeCode, ClientIdType ClientIdType, string ClientId, bool Own);

    private sealed record NamedAdvance(string Number, RequestType Type, string SchemeCode, ClientIdType ClientIdType, string ClientId,
        RequestStatus Status, decimal Amount);

    public static async Task<DepositPlan> CheckAsync(GuichetDbContext db, Organisation org, DepositFile file, DateTime now,
        List<ErrorItem> errors, CancellationToken ct, DepositCheck check = DepositCheck.Deposit)
    {
        var schemes = await db.Schemes.AsNoTracking().ToDictionaryAsync(s => s.Code, ct);
        // Read once per scheme the file names, not once per request (the setting is a comma-separated column).
        var acceptedIds = new Dictionary<string, IReadOnlyList<ClientIdType>>();
        var solutions = await db.Solutions.Where(s => s.OrganisationId == org.Id).ToDictionaryAsync(s => s.ReferencingNumber, ct);
        var crossVendor = new List<CrossVendorAdvance>();
        var plan = new DepositPlan { Organisation = org, Schemes = schemes, Solutions = solutions, CrossVendorAdvances = crossVendor };

        if (file.Siret is not null && file.Siret != org.Siret)
            errors.Add(new("$.fournisseur.siret", null,
                $"Le SIRET {file.Siret} n'est pas celui de votre organisme ({org.Siret}) : vous ne pouvez déposer que pour votre organisme."));

        var demandes = file.Demandes;
        if (demandes.Count == 0) return plan;
        var today = ParisCalendar.DateOf(now);

        // Set queries: existing references, advances named by balances, live advances and balances of these clients. Each
        // list is one parameter (a JSON or array value), not EF Core 10's default of one SQL parameter per item.
        var references = DistinctValues(demandes, d => d.Reference);
        var newAdvanceClients = DistinctValues(demandes, d => d.Type == RequestType.Avance ? d.ClientId : null);
        // One query for the live advances of these clients, the vendor's own and (at deposit only) everyone else's.
        var ownOnly = check == DepositCheck.Simulation;
        var liveAdvancesQuery = db.Requests
            .Where(r => r.Type == RequestType.Avance && r.Status != RequestStatus.Rejetee && EF.Parameter(newAdvanceClients).Contains(r.ClientId)
                && (!ownOnly || r.OrganisationId == org.Id))
            .Select(r => new LiveAdvance(r.SchemeCode, r.ClientIdType, r.ClientId, r.OrganisationId == org.Id));
        var advanceNumbers = DistinctValues(demandes, d => d.AdvanceNumber);
        HashSet<string> existingRefs;
        List<LiveAdvance> liveRows = [];
        Dictionary<string, NamedAdvance> advances = [];
        HashSet<string> settled = [];
        // Planned with the file's values (docs/architecture.md « Performances »): a generic plan, made for a vendor of average
        // size, compares each row of a large one with the whole list; for the nullable "AdvanceNumber", EF adds an « IS NULL »
        // alternative that only a plan made with the values drops, and the generic plan compared every balance with the list.
        await using (var plans = await PlannedWithValues.BeginAsync(db, ct))
        {
            existingRefs = (await db.Requests.Where(r => r.OrganisationId == org.Id && EF.Parameter(references).Contains(r.VendorReference))
                .Select(r => r.VendorReference).ToListAsync(ct)).ToHashSet();
            if (advanceNumbers.Count > 0)
            {
                advances = await db.Requests.AsNoTracking()
                    .Where(r => EF.Parameter(advanceNumbers).Contains(r.Number) && r.OrganisationId == org.Id)
                    .Select(r => new NamedAdvance(r.Number, r.Type, r.SchemeCode, r.ClientIdType, r.ClientId, r.Status, r.Amount))
                    .ToDictionaryAsync(r => r.Number, ct);
                settled = (await db.Requests
                    .Where(r => r.Type == RequestType.Solde && r.Status != RequestStatus.Rejetee && EF.Parameter(advanceNumbers).Contains(r.AdvanceNumber!))
                    .Select(r => r.AdvanceNumber!).ToListAsync(ct)).ToHashSet();
            }
            if (ownOnly && newAdvanceClients.Count > 0) liveRows = await liveAdvancesQuery.ToListAsync(ct);
            await plans.EndAsync(ct);
        }
        // Every vendor's advances (deposit): a probe per client, planned once for all files.
        if (!ownOnly && newAdvanceClients.Count > 0) liveRows = await liveAdvancesQuery.ToListAsync(ct);
        var liveAdvances = liveRows.GroupBy(a => (a.SchemeCode, a.ClientIdType, a.ClientId)).ToDictionary(g => g.Key, g => g.Any(a => a.Own));

        // Sized for the file at once: 10 000 requests no longer grow each set a dozen times.
        var seenRefs = new HashSet<string>(demandes.Count);
        // Keys as tuples, not formatted strings: 10 000 advances no longer build 10 000 strings to compare.
        var seenAdvances = new HashSet<(string SchemeCode, ClientIdType Type, string ClientId)>(demandes.Count);
        var seenBalances = new HashSet<string>();
        // Each rule runs when the fields it needs passed their shape checks, so that one file lists every error at once.
        foreach (var d in demandes)
        {
            void Error(string field, string message) => errors.Add(new(field.Length == 0 ? d.Path : $"{d.Path}.{field}", d.Reference, message));

            if (d.Reference is { } reference)
            {
                if (existingRefs.Contains(reference))
                    Error("referenceFournisseur", $"La référence « {reference} » a déjà été déposée par votre organisme.");
                else if (!seenRefs.Add(reference))
                    Error("referenceFournisseur", $"La référence « {reference} » figure plusieurs fois dans ce fichier.");
            }

            if (d.Scheme is null || !schemes.TryGetValue(d.Scheme, out var scheme)) continue;
            if (d.Type is { } type)
            {
                var (opens, closes) = scheme.Window(type);
                if (now < opens)
                    Error("type", $"Le dépôt des demandes {Fr.De(type.Label().ToLowerInvariant())} pour ce dispositif ouvre le {Fr.DateTime(opens)}.");
                else if (now > closes)
                    Error("type", $"Le dépôt des demandes {Fr.De(type.Label().ToLowerInvariant())} pour ce dispositif est clos depuis le {Fr.DateTime(closes)}.");
            }

            Solution? solution = null;
            if (d.SolutionNumber is { } number && (!solutions.TryGetValue(number, out solution) || solution.SchemeCode != scheme.Code))
            {
                Error("solution.numeroReferencement", $"La solution « {number} » n'est pas une solution référencée de votre organisme pour le dispositif {scheme.Code}.");
                solution = null;
            }
            if (!acceptedIds.TryGetValue(scheme.Code, out var accepted)) acceptedIds[scheme.Code] = accepted = scheme.ClientIdTypes;
            if (d.ClientIdType is { } idType && !accepted.Contains(idType))
                Error("client.typeIdentifiant", $"Le dispositif {scheme.Code} n'accepte pas les clients identifiés par {idType.Code()} "
                    + $"(acceptés : {string.Join(", ", accepted.Select(t => t.Code()))}).");

            if (d.PurchaseOrderDate is { } poDate)
            {
                if (poDate > today)
                    Error("bonDeCommande.date", "La date du bon de commande ne peut pas être dans le futur.");
                else if (solution is not null && poDate < solution.ReferencingDate.AddDays(-MaxOrderDaysBeforeReferencing))
                    Error("bonDeCommande.date", $"Commande non éligible : le bon de commande du {Fr.Date(poDate)} est antérieur de plus de {MaxOrderDaysBeforeReferencing} jours "
                        + $"au référencement de la solution ({Fr.Date(solution.ReferencingDate)}).");
            }

            decimal? expected = null;
            if (d.Type == RequestType.Avance)
            {
                expected = scheme.AdvanceAmount;
                if (d.ClientIdType is { } t && d.ClientId is { } id)
                {
                    var key = (scheme.Code, t, id);
                    if (liveAdvances.TryGetValue(key, out var own))
                    {
                        Error("client.identifiant", LiveAdvanceMessage);
                        if (!own) crossVendor.Add(new CrossVendorAdvance(scheme.Code, t, id, d.Index));
                    }
                    else if (!seenAdvances.Add(key))
                        Error("client.identifiant", "Ce fichier contient deux demandes d'avance pour le même client et le même dispositif.");
                }
            }
            else if (d.Type == RequestType.Solde)
            {
                if (d.GoLiveDate is { } live && d.PurchaseOrderDate is { } po && (live < po || live > today))
                    Error("dateMiseEnService", "La date de mise en service doit être comprise entre la date du bon de commande et aujourd'hui.");
                if (d.AdvanceNumber is { } advanceNumber)
                {
                    if (!advances.TryGetValue(advanceNumber, out var advance) || advance.Type != RequestType.Avance)
                        Error("numeroDemandeAvance", $"La demande d'avance « {advanceNumber} » est introuvable pour votre organisme.");
                    else if (advance.SchemeCode != scheme.Code || (d.ClientIdType is { } t && t != advance.ClientIdType) || (d.ClientId is { } id && id != advance.ClientId))
                        Error("numeroDemandeAvance", $"La demande d'avance {advanceNumber} concerne un autre client ou un autre dispositif.");
                    else if (advance.Status != RequestStatus.DecideeEtPayee)
                        Error("numeroDemandeAvance", $"La demande d'avance {advanceNumber} est au statut « {advance.Status.Label()} » : "
                            + "un solde n'est accepté qu'une fois l'avance « Décidée et payée ».");
                    else if (settled.Contains(advance.Number) || !seenBalances.Add(advance.Number))
                        Error("numeroDemandeAvance", $"La demande d'avance {advanceNumber} est déjà soldée par une autre demande de solde.");
                    else
                        expected = scheme.FlatAmount - advance.Amount;
                }
            }
            if (expected is { } amount && d.Amount is { } requested && requested != amount)
                Error("montantDemande", $"Montant incorrect : {Fr.Amount(requested)} demandés, {Fr.Amount(amount)} attendus.");
        }
        return plan;
    }
}
