using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>« Déposer des demandes »: uploads a JSON and an optional ZIP, then shows the deposit's result page.</summary>
[Authorize(Roles = Roles.Fournisseur)]
[IgnoreAntiforgeryToken(Order = 1001)] // after the pages' own check (order 1000): checked in OnPostAsync once the streamed form is read
public sealed class NewModel(GuichetDbContext db, DepositRunner runner, AttachmentStore store, IAntiforgery antiforgery,
    IOptions<AntiforgeryOptions> antiforgeryOptions, IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files) : PageModel
{
    public List<ErrorItem> Errors { get; private set; } = [];

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
        Errors = DepositUploads.Check(upload, deposits.Value, files.Value);
        if (Errors.Count > 0)
        {
            Response.StatusCode = Errors.Any(e => e.Message.Contains("taille maximale")) ? 413 : 400;
            return Page();
        }
        var (job, background) = await runner.AcceptAsync(db, org.Id, User.Id(), upload, ct);
        if (background) runner.Enqueue(job.Id);
        else await runner.RunAsync(job.Id, CancellationToken.None); // runs to its end even if the browser leaves
        return Redirect($"/depots/{job.Id}");
    }
}
