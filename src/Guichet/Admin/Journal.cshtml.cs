using Guichet.Accounts;
using Guichet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Admin;

/// <summary>« Journal de sécurité »: who did what to which account, when and from where; filters, paging, CSV export.</summary>
[Authorize(Roles = Roles.Administrateur)]
public sealed class JournalModel(GuichetDbContext db) : PageModel
{
    public JournalFilter Filter { get; private set; } = null!;
    public int Total { get; private set; }
    public List<SecurityEvent> Rows { get; private set; } = [];
    public List<ErrorItem> Errors { get; } = [];

    public int PageCount => Math.Max(1, (Total + JournalQuery.PageSize - 1) / JournalQuery.PageSize);

    public async Task OnGetAsync(CancellationToken ct)
    {
        Filter = JournalQuery.Parse(Request.Query, Errors);
        if (Errors.Count > 0)
        {
            // A bad filter shows its French errors, not a list filtered otherwise than asked.
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        (Total, Rows) = await JournalQuery.RunAsync(db, Filter, ct);
    }

    public string Link(params (string Key, string? Value)[] changes) =>
        JournalQuery.Link("/admin/journal", Request.Query, changes.ToDictionary(c => c.Key, c => c.Value));

    public string ExportLink => JournalQuery.Link("/admin/journal/export.csv", Request.Query, new Dictionary<string, string?> { ["page"] = null });
}
