using System.Globalization;
using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Requests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Instruction.Bulk;

/// <summary>
/// What a manager confirmed: the action, its parameters, the selection (ticked numbers or the queue's filter) and the
/// count they saw.
/// </summary>
public sealed record BulkSelection(BulkAction Action, string? Reason, string? Comment, IReadOnlyCollection<string>? Items,
    IReadOnlyCollection<string>? Numbers, QueueFilter? Filter, int? ExpectedCount);

/// <summary>
/// « Confirmer » an operation groupée: checks the parameters, freezes the selection (its exact count must be the one the
/// manager saw), writes the operation and its items in one transaction, in chunks, then starts it on this instance.
/// </summary>
public sealed class StartBulkOperation(GuichetDbContext db, TimeProvider clock, IOptions<BulkOptions> options, BulkRunner runner)
{
    private const int Chunk = 1000;

    public async Task<BulkOperation> RunAsync(ClaimsPrincipal user, BulkSelection selection, CancellationToken ct)
    {
        RequestAccess.ActorFor(user, Roles.Gestionnaire);
        CheckParameters(selection);
        var max = options.Value.MaxRequests;
        var chosen = await SelectAsync(user, selection, max, ct);
        if (chosen.Count == 0) throw Refusal.Invalid("La sélection est vide : aucune demande à traiter.");
        if (chosen.Count > max)
            throw Refusal.Invalid($"Une opération groupée porte sur {Count(max)} demandes au plus ; la sélection en compte davantage. "
                + "Affinez le filtre.");
        if (selection.ExpectedCount is not { } expected)
            throw Refusal.Invalid("Le nombre de demandes confirmé est obligatoire.", "$.nombre_attendu");
        if (expected != chosen.Count)
            throw Refusal.Conflict($"La sélection compte maintenant {Count(chosen.Count)} demande{(chosen.Count > 1 ? "s" : "")}, et non "
                + $"{Count(expected)} comme lors de votre confirmation : rien n'a été lancé. Vérifiez la sélection puis confirmez à nouveau.");

        var operation = BulkOperation.Start(selection.Action, Trimmed(selection.Reason), Trimmed(selection.Comment),
            selection.Items?.Select(i => i.Trim()).Distinct().ToList(), user.Id(), user.DisplayName(), chosen.Count, clock.UtcNow());
        // One transaction: an operation is never seen with part of its selection; chunks keep the change tracker small.
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            db.BulkOperations.Add(operation);
            await db.SaveChangesAsync(ct);
            foreach (var chunk in chosen.Chunk(Chunk))
            {
                db.ChangeTracker.Clear();
                db.BulkOperationItems.AddRange(chunk.Select(r => BulkOperationItem.Of(operation.Id, r.Id, r.Number)));
                await db.SaveChangesAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        db.ChangeTracker.Clear();
        _ = runner.Start(operation.Id);
        return operation;
    }

    /// <summary>The count the confirmation page states: the same checks and the same selection, nothing written.</summary>
    public async Task<int> PreviewAsync(ClaimsPrincipal user, BulkSelection selection, CancellationToken ct)
    {
        RequestAccess.ActorFor(user, Roles.Gestionnaire);
        CheckParameters(selection);
        var max = options.Value.MaxRequests;
        var count = (await SelectAsync(user, selection, max, ct)).Count;
        if (count == 0) throw Refusal.Invalid("La sélection est vide : aucune demande à traiter.");
        if (count > max)
            throw Refusal.Invalid($"Une opération groupée porte sur {Count(max)} demandes au plus ; la sélection en compte davantage. Affinez le filtre.");
        return count;
    }

    /// <summary>The checks every item would fail alike, made once before anything is written.</summary>
    private static void CheckParameters(BulkSelection s)
    {
        var errors = new List<ErrorItem>();
        if (s.Action == BulkAction.Rejeter && string.IsNullOrWhiteSpace(s.Reason))
            errors.Add(new("$.motif", null, "Le motif du rejet est obligatoire."));
        if (s.Action == BulkAction.DemanderModification)
        {
            if (string.IsNullOrWhiteSpace(s.Comment)) errors.Add(new("$.commentaire", null, "Le commentaire destiné au fournisseur est obligatoire."));
            if (s.Items is null || s.Items.Count == 0 || s.Items.All(string.IsNullOrWhiteSpace))
                errors.Add(new("$.elements", null, "Cochez au moins un élément à modifier."));
            else if (s.Items.FirstOrDefault(i => !EditableField.Exists(i.Trim()) && !EditableField.TryParseDocumentItem(i.Trim(), out _)) is { } unknown)
                errors.Add(new("$.elements", null, $"L'élément « {Fr.Clip(unknown, 60)} » est inconnu."));
        }
        foreach (var (text, what, path) in new[] { (s.Reason, "Le motif", "$.motif"), (s.Comment, "Le commentaire", "$.commentaire") })
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (text.Length > 4000) errors.Add(new(path, null, $"{what} ne doit pas dépasser 4 000 caractères."));
            else if (RequestRules.FreeTextError(text, what) is { } error) errors.Add(new(path, null, error));
        }
        if ((s.Numbers is null) == (s.Filter is null))
            errors.Add(new("$", null, "Indiquez soit les numéros des demandes (« demandes »), soit un filtre de la file (« filtre »), pas les deux."));
        if (errors.Count > 0) throw Refusal.Invalid(errors);
    }

    /// <summary>The selection as it is now, in the queue's order: the ticked numbers (all must exist) or the filter's results.</summary>
    private async Task<List<(long Id, string Number)>> SelectAsync(ClaimsPrincipal user, BulkSelection s, int max, CancellationToken ct)
    {
        if (s.Filter is { } filter)
        {
            var rows = await QueueQuery.Sorted(QueueQuery.Filter(db, user.Id(), filter), filter.Sort)
                .Select(r => new { r.Id, r.Number }).Take(max + 1).ToListAsync(ct);
            return rows.Select(r => (r.Id, r.Number)).ToList();
        }
        var numbers = s.Numbers!.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).Distinct().ToList();
        if (numbers.Count > max) return numbers.Select(n => (0L, n)).ToList(); // refused by the caller, unread
        var found = new Dictionary<string, long>();
        foreach (var chunk in numbers.Chunk(500))
            foreach (var r in await RequestAccess.Visible(db, user).Where(r => chunk.Contains(r.Number)).Select(r => new { r.Id, r.Number }).ToListAsync(ct))
                found[r.Number] = r.Id;
        var unknown = numbers.Where(n => !found.ContainsKey(n)).ToList();
        if (unknown.Count > 0)
            throw Refusal.Invalid($"Demande{(unknown.Count > 1 ? "s" : "")} introuvable{(unknown.Count > 1 ? "s" : "")} : "
                + string.Join(", ", unknown.Take(10).Select(n => "« " + Fr.Clip(n, 40) + " »")) + (unknown.Count > 10 ? $" et {unknown.Count - 10} autre(s)" : "")
                + ". Rien n'a été lancé.", "$.demandes");
        return numbers.Select(n => (found[n], n)).ToList();
    }

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>A count as the French write it: « 20 000 ».</summary>
    public static string Count(int n) => n.ToString("N0", CultureInfo.GetCultureInfo("fr-FR"));
}
