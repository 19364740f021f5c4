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
    public bool ShowOrganisation => User.SeesAllOrganisations();
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

    /// <summary>The URL of this list with some parameters changed (null removes one).</summary>
    public string Link(RequestStatus? status = null, bool keepStatus = true, int? page = null, string? sort = null)
    {
        var p = new Dictionary<string, string?>
        {
            ["statut"] = keepStatus ? (status ?? Filter.Status)?.Code() : status?.Code(),
            ["type"] = Filter.Type?.Code(),
            ["dispositif"] = Filter.Scheme,
            ["q"] = Filter.Text,
            ["tri"] = (sort ?? Filter.Sort) == "recent" ? null : sort ?? Filter.Sort,
            ["taille"] = Filter.Size == RequestFilter.DefaultSize ? null : Filter.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["page"] = page is > 1 ? page.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        };
        var qs = string.Join("&", p.Where(kv => kv.Value is not null).Select(kv => kv.Key + "=" + Uri.EscapeDataString(kv.Value!)));
        return "/demandes" + (qs.Length > 0 ? "?" + qs : "");
    }
}
