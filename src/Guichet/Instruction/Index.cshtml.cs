using Guichet.Accounts;
using Guichet.Data;
using Guichet.Requests;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>The manager queue: filters, oldest first, paging, counts per status, CSV and xlsx exports of the same filters.</summary>
[Authorize(Roles = Roles.Gestionnaire)]
public sealed class IndexModel(GuichetDbContext db) : PageModel
{
    public QueueFilter Filter { get; private set; } = null!;
    public int Total { get; private set; }
    public List<QueueRow> Rows { get; private set; } = [];
    public Dictionary<RequestStatus, int> Counts { get; private set; } = [];
    public List<(int Id, string Name)> Vendors { get; private set; } = [];
    public List<ErrorItem> Errors { get; } = [];

    public int PageCount => Math.Max(1, (Total + Filter.Base.Size - 1) / Filter.Base.Size);

    public async Task OnGetAsync(CancellationToken ct)
    {
        Filter = QueueQuery.Parse(Request.Query, Errors);
        if (Errors.Count > 0) Response.StatusCode = StatusCodes.Status400BadRequest;
        (Total, Rows, Counts) = await QueueQuery.RunAsync(db, User.Id(), Filter, ct);
        Vendors = (await db.Organisations.OrderBy(o => o.Name).Select(o => new { o.Id, o.Name }).ToListAsync(ct))
            .Select(o => (o.Id, o.Name)).ToList();
    }

    public string Link(params (string Key, string? Value)[] changes) =>
        QueueQuery.Link("/instruction", Request.Query, changes.ToDictionary(c => c.Key, c => c.Value));

    /// <summary>The current filters (without paging), carried by « tous les résultats du filtre ».</summary>
    public string FilterQuery =>
        QueueQuery.Link("", Request.Query, new Dictionary<string, string?> { ["page"] = null, ["taille"] = null });

    /// <summary>What a bulk round may ask for: every editable field and every attachment type (each request's scheme checks its own).</summary>
    public IReadOnlyList<(string Code, string Label)> RoundChoices =>
        EditableField.Labels.Keys.Select(f => (f, EditableField.ItemLabel(f)))
            .Concat(Enum.GetValues<DocumentType>().Select(t => (EditableField.DocumentItem(t), EditableField.ItemLabel(EditableField.DocumentItem(t)))))
            .ToList();

    public string ExportLink(string format) =>
        QueueQuery.Link("/instruction/export." + format, Request.Query, new Dictionary<string, string?> { ["page"] = null, ["taille"] = null });
}
