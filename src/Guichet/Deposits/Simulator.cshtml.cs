using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>« Simulateur »: the same input and verdict as a deposit, nothing stored.</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class SimulatorModel(GuichetDbContext db, DepositService service, AttachmentStore store,
    IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files) : PageModel
{
    [BindProperty] public IFormFile? Json { get; set; }
    [BindProperty] public IFormFile? Zip { get; set; }
    public List<ErrorItem> Errors { get; private set; } = [];
    public DepositResult? Result { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var org = await DepositUploads.OrganisationAsync(db, User, ct);
        if (org is null) return Forbid();
        Errors = DepositUploads.Check(Json, Zip, deposits.Value, files.Value);
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        Result = await DepositUploads.SimulateAsync(service, store, org, Json!, Zip, ct);
        return Page();
    }
}
