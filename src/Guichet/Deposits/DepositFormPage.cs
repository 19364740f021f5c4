using Guichet.Data;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>
/// The deposit and simulator pages' common post: streams the form (JSON and optional ZIP), checks its antiforgery token,
/// the vendor's organisation and the files, then hands the upload to the page. Refused files redisplay the page with
/// their errors: 413 when a file is over its size limit, else 400.
/// </summary>
public abstract class DepositFormPage(GuichetDbContext db, AttachmentStore store, IAntiforgery antiforgery,
    IOptions<AntiforgeryOptions> antiforgeryOptions, IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files) : PageModel
{
    public List<ErrorItem> Errors { get; private set; } = [];

    protected GuichetDbContext Db => db;

    public void OnGet() { }

    // No handler parameter: binding one would make MVC read (and buffer) the whole form first.
    public async Task<IActionResult> OnPostAsync()
    {
        var ct = HttpContext.RequestAborted;
        using var upload = await DepositUploads.ReadPageFormAsync(HttpContext, antiforgery, antiforgeryOptions.Value.FormFieldName!,
            store, deposits.Value, files.Value, ct);
        if (upload is null) return BadRequest();
        var org = await DepositUploads.OrganisationAsync(db, User, ct);
        if (org is null) return Forbid();
        if (DepositUploads.Check(upload, deposits.Value, files.Value) is { } refused)
        {
            Errors = [.. refused.Errors];
            Response.StatusCode = Problems.StatusOf(refused.Kind);
            return Page();
        }
        return await HandleAsync(org, upload, ct);
    }

    /// <summary>What the page does with a checked upload; the upload's files are deleted after it, unless a job took them.</summary>
    protected abstract Task<IActionResult> HandleAsync(Domain.Organisation org, DepositUpload upload, CancellationToken ct);
}
