using Guichet.Accounts;
using Guichet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Deposits;

/// <summary>A deposit's outcome, visible to its organisation only: progress, created requests or every error.</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class ResultModel(GuichetDbContext db) : PageModel
{
    public DepositJob Job { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var org = User.OrganisationId();
        var job = await db.DepositJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.OrganisationId == org, ct);
        if (job is null) return NotFound();
        Job = job;
        if (job.Status == DepositJobStatus.Echec) Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
