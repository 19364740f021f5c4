using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>« Déposer des demandes »: uploads a JSON and an optional ZIP, then shows the deposit's result page.</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class NewModel(GuichetDbContext db, DepositRunner runner, IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files) : PageModel
{
    [BindProperty] public IFormFile? Json { get; set; }
    [BindProperty] public IFormFile? Zip { get; set; }
    public List<ErrorItem> Errors { get; private set; } = [];

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var org = await DepositUploads.OrganisationAsync(db, User, ct);
        if (org is null) return Forbid();
        Errors = DepositUploads.Check(Json, Zip, deposits.Value, files.Value);
        if (Errors.Count > 0)
        {
            Response.StatusCode = Errors.Any(e => e.Message.Contains("taille maximale")) ? 413 : 400;
            return Page();
        }
        var (job, background) = await runner.AcceptAsync(db, org.Id, User.Id(), Json!, Zip is { Length: > 0 } ? Zip : null, ct);
        if (background) runner.Enqueue(job.Id);
        else await runner.RunAsync(job.Id, CancellationToken.None); // runs to its end even if the browser leaves
        return Redirect($"/depots/{job.Id}");
    }
}
