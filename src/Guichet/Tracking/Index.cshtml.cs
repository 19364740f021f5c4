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

    /// <summary>The URL of this list with some parameters changed (null removes one); called a dozen times per page.</summary>
    public string Link(RequestStatus? status = null, bool keepStatus = true, int? page = null, string? sort = null)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var url = new System.Text.StringBuilder("/demandes", 96);
        var first = true;
        void Add(string key, string? value)
        {
            if (value is null) return;
            url.Append(first ? '?' : '&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }
        Add("statut", keepStatus ? (status ?? Filter.Status)?.Code() : status?.Code());
        Add("type", Filter.Type?.Code());
        Add("dispositif", Filter.Scheme);
        Add("q", Filter.Text);
        Add("tri", (sort ?? Filter.Sort) == "recent" ? null : sort ?? Filter.Sort);
        Add("taille", Filter.Size == RequestFilter.DefaultSize ? null : Filter.Size.ToString(inv));
        Add("page", page is > 1 ? page.Value.ToString(inv) : null);
        return url.ToString();
    }
}
