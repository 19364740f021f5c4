using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Requests;

public sealed record RequestFilter(RequestStatus? Status, RequestType? Type, string? Scheme, string? Text, int Page, int Size, string Sort)
{
    public const int DefaultSize = 20;
    public const int MaxSize = 100;
    public static readonly string[] Sorts = ["recent", "ancien", "numero", "montant"];
}

public sealed record RequestRow(string Number, string VendorReference, RequestType Type, string SchemeCode, RequestStatus Status,
    decimal Amount, ClientIdType ClientIdType, string ClientId, string ClientName, DateTime UpdatedAt, string OrganisationName);

public sealed record RequestPage(int Total, IReadOnlyList<RequestRow> Rows, IReadOnlyDictionary<RequestStatus, int> Counts);

/// <summary>The request list of the tracking page and of <c>GET /api/v1/demandes</c>: one query, scoped to the caller.</summary>
public static class RequestQuery
{
    /// <summary>Parses statut, type, dispositif, q, page, taille, tri; every malformed value gives a French error.</summary>
    public static RequestFilter Parse(IQueryCollection query, List<ErrorItem> errors)
    {
        RequestStatus? status = null;
        RequestType? type = null;
        string? scheme = null;
        var page = 1;
        var size = RequestFilter.DefaultSize;
        var sort = "recent";

        if (Value(query, "statut") is { } s)
        {
            if (Codes.TryParseStatus(s, out var st)) status = st;
            else errors.Add(new("$.statut", null, $"Statut inconnu « {Fr.Clip(s, 40)} ». Valeurs possibles : {string.Join(", ", Codes.AllStatuses.Select(c => c.Code()))}."));
        }
        if (Value(query, "type") is { } t)
        {
            if (Codes.TryParseType(t, out var ty)) type = ty;
            else errors.Add(new("$.type", null, $"Type inconnu « {Fr.Clip(t, 40)} ». Valeurs possibles : AVANCE, SOLDE."));
        }
        if (Value(query, "dispositif") is { } d)
        {
            if (FundingScheme.IsKnown(d)) scheme = d;
            else errors.Add(new("$.dispositif", null, $"Dispositif inconnu « {Fr.Clip(d, 40)} ». Valeurs possibles : {string.Join(", ", FundingScheme.KnownCodes)}."));
        }
        if (Value(query, "page") is { } p && (!int.TryParse(p, out page) || page < 1 || page > 1_000_000))
        {
            errors.Add(new("$.page", null, "Le numéro de page doit être un entier positif."));
            page = 1;
        }
        if (Value(query, "taille") is { } z && (!int.TryParse(z, out size) || size < 1 || size > RequestFilter.MaxSize))
        {
            errors.Add(new("$.taille", null, $"La taille de page doit être un entier entre 1 et {RequestFilter.MaxSize}."));
            size = RequestFilter.DefaultSize;
        }
        if (Value(query, "tri") is { } o)
        {
            if (RequestFilter.Sorts.Contains(o)) sort = o;
            else errors.Add(new("$.tri", null, $"Tri inconnu « {Fr.Clip(o, 40)} ». Valeurs possibles : {string.Join(", ", RequestFilter.Sorts)}."));
        }
        var text = Value(query, "q")?.Trim();
        if (text is { Length: > 100 })
        {
            errors.Add(new("$.q", null, "La recherche est limitée à 100 caractères."));
            text = null;
        }
        return new RequestFilter(status, type, scheme, string.IsNullOrEmpty(text) ? null : text, page, size, sort);
    }

    public static async Task<RequestPage> RunAsync(GuichetDbContext db, ClaimsPrincipal user, RequestFilter f, CancellationToken ct)
    {
        if (IsFirstView(f) && RequestAccess.VendorOrganisation(user) is { } organisation)
            return await VendorFirstViewAsync(db, organisation, f, ct);
        var filtered = RequestAccess.Visible(db, user);
        if (f.Status is { } st) filtered = filtered.Where(r => r.Status == st);
        if (f.Type is { } ty) filtered = filtered.Where(r => r.Type == ty);
        if (f.Scheme is { } sc) filtered = filtered.Where(r => r.SchemeCode == sc);
        if (f.Text is { } q) filtered = filtered.MatchingText(q);
        // Counts per status, and the total unless the text search narrows it, from the counter table: a few rows.
        var tally = await RequestAccess.VisibleCounts(db, user)
            .GroupBy(c => new { c.SchemeCode, c.Type, c.Status })
            .Select(g => new Tally(g.Key.SchemeCode, g.Key.Type, g.Key.Status, g.Sum(c => c.Count)))
            .ToListAsync(ct);
        var total = f.Text is null
            ? tally.Where(t => (f.Status is null || t.Status == f.Status) && (f.Type is null || t.Type == f.Type)
                && (f.Scheme is null || t.SchemeCode == f.Scheme)).Sum(t => t.Count)
            : await filtered.CountAsync(ct);
        var sorted = f.Sort switch
        {
            "ancien" => filtered.OrderBy(r => r.UpdatedAt).ThenBy(r => r.Id),
            "numero" => filtered.OrderBy(r => r.Number),
            "montant" => filtered.OrderByDescending(r => r.Amount).ThenByDescending(r => r.Id),
            _ => filtered.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id),
        };
        var rows = await sorted.Join(db.Organisations, r => r.OrganisationId, o => o.Id, Row).Skip((f.Page - 1) * f.Size).Take(f.Size).ToListAsync(ct);
        return new RequestPage(total, rows, CountsPerStatus(tally));
    }

    private sealed record Tally(string SchemeCode, RequestType Type, RequestStatus Status, int Count);

    // A list's row with its organisation's name, joined explicitly before the page is cut (sorted.Join(…).Skip().Take()):
    // through the navigation, EF pages the requests in a subquery and joins the organisations around it, a statement SQLite
    // takes half as long again to prepare and run as this flat SELECT … JOIN … ORDER BY … LIMIT (docs/architecture.md,
    // « Performances »).
    private static readonly System.Linq.Expressions.Expression<Func<FundingRequest, Organisation, RequestRow>> Row = (r, o) =>
        new RequestRow(r.Number, r.VendorReference, r.Type, r.SchemeCode, r.Status, r.Amount, r.ClientIdType, r.ClientId, r.ClientName,
            r.UpdatedAt, o.Name);

    private static Dictionary<RequestStatus, int> CountsPerStatus(List<Tally> tally) =>
        tally.GroupBy(t => t.Status).Select(g => (g.Key, Count: g.Sum(t => t.Count))).Where(c => c.Count > 0)
            .ToDictionary(c => c.Key, c => c.Count);

    /// <summary>No filter, most recent first: the tracking page as a vendor opens it, and the API list as most systems poll it.</summary>
    private static bool IsFirstView(RequestFilter f) =>
        f is { Status: null, Type: null, Scheme: null, Text: null, Sort: "recent" };

    // The first view of a vendor, the most frequent list by far, runs compiled (Data/PerModel.cs): the same two queries
    // as the general path above with the vendor's scope of RequestAccess.Visible, without building and looking up their
    // LINQ trees at every request. RequestQueryTests compares both paths.
    private static readonly PerModel<Func<GuichetDbContext, int, IAsyncEnumerable<Tally>>> VendorTally = new(() =>
        EF.CompileAsyncQuery((GuichetDbContext db, int organisation) => db.RequestCounts.Where(c => c.OrganisationId == organisation)
            .GroupBy(c => new { c.SchemeCode, c.Type, c.Status })
            .Select(g => new Tally(g.Key.SchemeCode, g.Key.Type, g.Key.Status, g.Sum(c => c.Count)))));

    private static readonly PerModel<Func<GuichetDbContext, int, int, int, IAsyncEnumerable<RequestRow>>> VendorRecent = new(() =>
        EF.CompileAsyncQuery((GuichetDbContext db, int organisation, int skip, int take) => db.Requests
            .Where(r => r.OrganisationId == organisation).OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id)
            .Join(db.Organisations, r => r.OrganisationId, o => o.Id, Row).Skip(skip).Take(take)));

    private static async Task<RequestPage> VendorFirstViewAsync(GuichetDbContext db, int organisation, RequestFilter f, CancellationToken ct)
    {
        var tally = await VendorTally.For(db)(db, organisation).ToListAsync(ct);
        var rows = await VendorRecent.For(db)(db, organisation, (f.Page - 1) * f.Size, f.Size).ToListAsync(ct);
        return new RequestPage(tally.Sum(t => t.Count), rows, CountsPerStatus(tally));
    }

    /// <summary>
    /// Free text, case ignored: a part of the number or the vendor's reference, the exact client identifier, a part of the
    /// client's name. The lower() of each column is what PostgreSQL's trigram indexes hold (FundingRequestConfiguration).
    /// </summary>
    public static IQueryable<FundingRequest> MatchingText(this IQueryable<FundingRequest> requests, string text)
    {
        var lower = text.ToLowerInvariant();
        return requests.Where(r => r.Number.ToLower().Contains(lower) || r.VendorReference.ToLower().Contains(lower) || r.ClientId == text
            || r.ClientName.ToLower().Contains(lower));
    }

    private static string? Value(IQueryCollection q, string key) =>
        q.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;

}

/// <summary>A request as the agency's lists show it (instruction queue, its export, the support desk's search).</summary>
public sealed record QueueRow(long Id, string Number, string VendorReference, RequestType Type, string SchemeCode, RequestStatus Status,
    decimal Amount, string ClientName, DateTime DepositedAt, DateTime UpdatedAt, string OrganisationName, string Siret, string? AssignedToName);

public static class AgencyRows
{
    /// <summary>The rows of sorted requests; page them after (joined explicitly for one flat statement, see RequestQuery.Row).</summary>
    public static IQueryable<QueueRow> Of(GuichetDbContext db, IQueryable<FundingRequest> sorted) =>
        sorted.Join(db.Organisations, r => r.OrganisationId, o => o.Id, (r, o) => new QueueRow(r.Id, r.Number, r.VendorReference, r.Type,
            r.SchemeCode, r.Status, r.Amount, r.ClientName, r.DepositedAt, r.UpdatedAt, o.Name, o.Siret, r.AssignedToName));
}
