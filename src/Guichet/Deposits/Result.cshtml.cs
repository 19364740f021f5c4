using Guichet.Accounts;
using Guichet.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Deposits;

/// <summary>A deposit's outcome, visible to its organisation only: progress, created requests or every error.</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class ResultModel(GuichetDbContext db, DepositRunner runner) : PageModel
{
    public DepositJob Job { get; private set; } = null!;
    /// <summary>Steps done and steps in all (files written, then requests saved) while the job runs.</summary>
    public (int Done, int Total) Progress { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var org = User.OrganisationId();
        var job = await db.DepositJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.OrganisationId == org, ct);
        if (job is null) return NotFound();
        Job = job;
        Progress = job.Status == DepositJobStatus.EnTraitement && runner.LiveProgress(id) is { } live ? live : (job.Processed, job.Total);
        if (job.Status == DepositJobStatus.Echec) Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
