using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>
/// The deposit is the only place that tells a vendor a client already has a live advance, possibly with another vendor
/// (docs/regles.md#avance-et-solde). Each such cross-vendor refusal is written in the security journal, and counts in a
/// budget per organisation over the last 24 hours (<see cref="DepositOptions.CrossVendorRefusalsPerDay"/>): once it is
/// spent, the organisation's deposits holding advances are refused before any advance is looked at, so probing further
/// teaches nothing. Counted from the journal, so every instance sees the same budget.
/// </summary>
public sealed class AdvanceLookups(GuichetDbContext db, SecurityJournal journal, TimeProvider clock, IOptions<DepositOptions> options,
    ILogger<AdvanceLookups> logger)
{
    public const string SuspendedMessage =
        "Votre organisme a atteint la limite de demandes d'avance refusées pour des clients déjà couverts par une avance "
        + "(sur 24 heures) : les dépôts contenant des demandes d'avance sont suspendus pendant 24 heures au plus. "
        + "Les dépôts de soldes restent possibles. Contactez l'assistance si vous pensez qu'il s'agit d'une erreur.";

    private int Budget => options.Value.CrossVendorRefusalsPerDay;

    /// <summary>The cross-vendor refusals of the organisation's users in the last 24 hours.</summary>
    public Task<int> CountAsync(int organisationId, CancellationToken ct)
    {
        var since = clock.UtcNow().AddHours(-24);
        return db.SecurityEvents
            .Where(e => e.Kind == SecurityEventKind.AdvanceLookupAcrossVendors && e.At > since)
            .Where(e => db.Users.Any(u => u.Id == e.ActorId && u.OrganisationId == organisationId))
            .CountAsync(ct);
    }

    public async Task<bool> SuspendedAsync(int organisationId, CancellationToken ct) => await CountAsync(organisationId, ct) >= Budget;

    /// <summary>
    /// One journal row per cross-vendor refusal of a deposit, at most one more than the budget (enough to spend it; a
    /// 10 000-advance probe does not write 10 000 rows). Never throws: the deposit's verdict does not depend on it.
    /// </summary>
    public async Task RecordAsync(Guid depositId, string userId, IReadOnlyList<CrossVendorAdvance> refused, CancellationToken ct)
    {
        if (refused.Count == 0) return;
        try
        {
            var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstOrDefaultAsync(ct);
            var actor = new JournalAccount(userId, email);
            foreach (var r in refused.Take(Budget + 1))
                journal.Add(SecurityEventKind.AdvanceLookupAcrossVendors, null,
                    $"Dépôt {depositId:N}, demande {r.Index} : {r.SchemeCode}, client {r.ClientIdType.Code()} {r.ClientId} "
                    + $"({refused.Count} refus de ce type dans le dépôt).", actor);
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            db.ChangeTracker.Clear();
            logger.LogWarning(e, "Journal de sécurité : {Count} refus d'avance entre fournisseurs du dépôt {Id} non enregistrés.", refused.Count, depositId);
        }
    }
}
