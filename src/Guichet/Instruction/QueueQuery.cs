using System.Globalization;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Requests;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;

namespace Guichet.Instruction;

/// <summary>The manager queue's filters: those of the tracking list plus vendor, deposit dates, the two flags and the assignment.</summary>
public sealed record QueueFilter(RequestFilter Base, int? OrganisationId, DateOnly? DepositedFrom, DateOnly? DepositedTo,
    bool ModifiedSinceMyLastView, bool DeadlineExpired, string Sort, string? Assignment = null)
{
    public static readonly string[] Sorts = ["anciennete", "recent", "modification"];
    /// <summary>« attribution »: « mes demandes » (moi) or « non attribuées » (aucune).</summary>
    public static readonly string[] Assignments = ["moi", "aucune"];
}

/// <summary>The instruction queue and its CSV export: one filtered query, every request visible (agency only).</summary>
public static class QueueQuery
{
    public static QueueFilter Parse(IQueryCollection query, List<ErrorItem> errors)
    {
        // The shared parameters (statut, type, dispositif, q, page, taille) are read as on the tracking list.
        var shared = new QueryCollection(query.Where(kv => kv.Key != "tri").ToDictionary(kv => kv.Key, kv => kv.Value));
        var baseFilter = RequestQuery.Parse(shared, errors);
        int? org = null;
        if (Value(query, "fournisseur") is { } f)
        {
            if (int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) org = id;
            else errors.Add(new("$.fournisseur", null, "Le fournisseur choisi est inconnu."));
        }
        var from = Date(query, "deposeDu", errors);
        var to = Date(query, "deposeAu", errors);
        if (from is { } a && to is { } b && a > b) errors.Add(new("$.deposeAu", null, "La date de fin doit suivre la date de début."));
        var sort = Value(query, "tri") ?? "anciennete";
        if (!QueueFilter.Sorts.Contains(sort))
        {
            errors.Add(new("$.tri", null, $"Tri inconnu. Valeurs possibles : {string.Join(", ", QueueFilter.Sorts)}."));
            sort = "anciennete";
        }
        var assignment = Value(query, "attribution");
        if (assignment is not null && !QueueFilter.Assignments.Contains(assignment))
        {
            errors.Add(new("$.attribution", null, "Filtre d'attribution inconnu. Valeurs possibles : moi, aucune."));
            assignment = null;
        }
        return new QueueFilter(baseFilter, org, from, to, Flag(query, "modifiee"), Flag(query, "delaiDepasse"), sort, assignment);
    }

    /// <summary>The filtered requests (no paging, no order).</summary>
    public static IQueryable<FundingRequest> Filter(GuichetDbContext db, string userId, QueueFilter f)
    {
        IQueryable<FundingRequest> q = db.Requests;
        var b = f.Base;
        if (b.Status is { } st) q = q.Where(r => r.Status == st);
        if (b.Type is { } ty) q = q.Where(r => r.Type == ty);
        if (b.Scheme is { } sc) q = q.Where(r => r.SchemeCode == sc);
        if (f.OrganisationId is { } org) q = q.Where(r => r.OrganisationId == org);
        if (f.DepositedFrom is { } from)
        {
            var start = ParisCalendar.StartOfDayUtc(from);
            q = q.Where(r => r.DepositedAt >= start);
        }
        if (f.DepositedTo is { } to)
        {
            var end = ParisCalendar.StartOfDayUtc(to.AddDays(1));
            q = q.Where(r => r.DepositedAt < end);
        }
        if (f.Assignment == "moi") q = q.Where(r => r.AssignedToUserId == userId);
        else if (f.Assignment == "aucune") q = q.Where(r => r.AssignedToUserId == null);
        if (b.Text is { } text) q = q.MatchingText(text);
        if (f.ModifiedSinceMyLastView)
            q = q.Where(r => r.LastModifiedByVendorAt != null && !db.RequestViews.Any(v =>
                v.UserId == userId && v.FundingRequestId == r.Id && v.ViewedAt >= r.LastModifiedByVendorAt));
        // « Its latest round closed for want of an answer »: the request carries its latest round's outcome (indexed).
        if (f.DeadlineExpired)
            q = q.Where(r => r.Status == RequestStatus.EnCours && r.LastRoundOutcome == RoundOutcome.Expired);
        return q;
    }

    public static IQueryable<FundingRequest> Sorted(IQueryable<FundingRequest> q, string sort) => sort switch
    {
        "recent" => q.OrderByDescending(r => r.DepositedAt).ThenByDescending(r => r.Id),
        "modification" => q.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id),
        _ => q.OrderBy(r => r.DepositedAt).ThenBy(r => r.Id),
    };

    public static async Task<(int Total, List<QueueRow> Rows, Dictionary<RequestStatus, int> Counts)> RunAsync(
        GuichetDbContext db, string userId, QueueFilter f, CancellationToken ct)
    {
        var filtered = Filter(db, userId, f);
        var rows = await AgencyRows.Of(db, Sorted(filtered, f.Sort)).Skip((f.Base.Page - 1) * f.Base.Size).Take(f.Base.Size).ToListAsync(ct);
        // Counts per status over the other filters, so each status link says what it would show: from the counter table
        // when the other filters are among its keys (vendor, scheme, type), else counted on the requests.
        Dictionary<RequestStatus, int> counts;
        if (f is { DepositedFrom: null, DepositedTo: null, ModifiedSinceMyLastView: false, DeadlineExpired: false, Base.Text: null }
            && f.Assignment is null or "aucune")
        {
            IQueryable<RequestCount> c = db.RequestCounts;
            if (f.OrganisationId is { } org) c = c.Where(x => x.OrganisationId == org);
            if (f.Base.Scheme is { } sc) c = c.Where(x => x.SchemeCode == sc);
            if (f.Base.Type is { } ty) c = c.Where(x => x.Type == ty);
            var tallies = c.Select(x => new { x.Status, x.Count });
            // « Non attribuées » is nearly every request: the counter table's totals less the assigned ones (few, indexed),
            // in one statement so that both sides read the same snapshot.
            if (f.Assignment == "aucune")
                tallies = tallies.Concat(Filter(db, userId, f with { Base = f.Base with { Status = null }, Assignment = null })
                    .Where(r => r.AssignedToUserId != null).Select(r => new { r.Status, Count = -1 }));
            counts = (await tallies.GroupBy(x => x.Status).Select(g => new { g.Key, Count = g.Sum(x => x.Count) }).ToListAsync(ct))
                .Where(g => g.Count > 0).ToDictionary(g => g.Key, g => g.Count);
        }
        else
        {
            var unfiltered = Filter(db, userId, f with { Base = f.Base with { Status = null } });
            counts = await unfiltered.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        }
        // The total is one of those counts (or their sum): no second pass over the same rows.
        var total = f.Base.Status is { } st ? counts.GetValueOrDefault(st) : counts.Values.Sum();
        return (total, rows, counts);
    }

    /// <summary>This queue's URL with some parameters changed (null removes one).</summary>
    public static string Link(string path, IQueryCollection query, IDictionary<string, string?> changes)
    {
        var qb = new QueryBuilder();
        foreach (var (key, value) in query)
        {
            if (changes.ContainsKey(key) || StringValues.IsNullOrEmpty(value)) continue;
            qb.Add(key, value.ToString());
        }
        foreach (var (key, value) in changes) if (!string.IsNullOrEmpty(value)) qb.Add(key, value);
        return path + qb.ToQueryString();
    }

    private static DateOnly? Date(IQueryCollection q, string key, List<ErrorItem> errors) => DateParameter.Parse(q, key, errors);

    private static bool Flag(IQueryCollection q, string key) => Value(q, key) is "1" or "true" or "on";

    private static string? Value(IQueryCollection q, string key) =>
        q.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
}
