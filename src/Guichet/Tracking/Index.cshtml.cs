using Guichet.Accounts;
using Guichet.Data;
using Guichet.Requests;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Tracking;

/// <summary>« Suivi des demandes de financement »: filters, sort, paging, counts per status and the « A modifier » banner.</summary>
[Authorize]
public sealed class IndexModel(GuichetDbContext db) : PageModel
{
    public RequestFilter Filter { get; private set; } = new(null, null, null, null, 1, RequestFilter.DefaultSize, "recent");
    public RequestPage Result { get; private set; } = new(0, [], new Dictionary<RequestStatus, int>());
    public List<ErrorItem> Errors { get; } = [];
    private bool? _showOrganisation;
    public bool ShowOrganisation => _showOrganisation ??= User.SeesAllOrganisations(); // read for each row
    public bool IsVendor => User.IsVendor();

    public int Count(RequestStatus s) => Result.Counts.GetValueOrDefault(s);
    public int TotalCount => Result.Counts.Values.Sum();
    public int PageCount => Math.Max(1, (Result.Total + Filter.Size - 1) / Filter.Size);

    public async Task OnGetAsync(CancellationToken ct)
    {
        Filter = RequestQuery.Parse(Request.Query, Errors);
        if (Errors.Count > 0) Response.StatusCode = StatusCodes.Status400BadRequest;
        Result = await RequestQuery.RunAsync(db, User, Filter, ct);
    }

    /// <summary>The URL of this list with some parameters changed (null removes one); called a dozen times per page.</summary>
    // The type, scheme and text filters, then the page size: the same in each of the page's thirty-odd links.
    private string? _filters, _size;

    public string Link(RequestStatus? status = null, bool keepStatus = true, int? page = null, string? sort = null)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        _filters ??= Part("type", Filter.Type?.Code()) + Part("dispositif", Filter.Scheme) + Part("q", Filter.Text);
        _size ??= Part("taille", Filter.Size == RequestFilter.DefaultSize ? null : Filter.Size.ToString(inv));
        var query = string.Concat(
            Part("statut", keepStatus ? (status ?? Filter.Status)?.Code() : status?.Code()), _filters,
            Part("tri", (sort ?? Filter.Sort) == "recent" ? null : sort ?? Filter.Sort), _size,
            page is > 1 ? "&page=" + page.Value.ToString(inv) : "");
        return query.Length == 0 ? "/demandes" : string.Concat("/demandes?", query.AsSpan(1));
    }

    private static string Part(string key, string? value) => value is null ? "" : "&" + key + "=" + Uri.EscapeDataString(value);

}
