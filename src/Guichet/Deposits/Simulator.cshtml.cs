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

/// <summary>« Simulateur »: the same input and verdict as a deposit, nothing stored.</summary>
[Authorize(Roles = Roles.Fournisseur)]
[IgnoreAntiforgeryToken(Order = 1001)] // after the pages' own check (order 1000): checked in OnPostAsync once the streamed form is read
public sealed class SimulatorModel(GuichetDbContext db, DepositService service, AttachmentStore store, IAntiforgery antiforgery,
    IOptions<AntiforgeryOptions> antiforgeryOptions, IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files) : PageModel
{
    public List<ErrorItem> Errors { get; private set; } = [];
    public DepositResult? Result { get; private set; }

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
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        Result = await DepositUploads.SimulateAsync(service, org, upload, ct);
        return Page();
    }
}
