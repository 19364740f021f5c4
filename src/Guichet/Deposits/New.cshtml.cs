using Guichet.Accounts;
using Guichet.Data;
using Guichet.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>« Déposer des demandes »: uploads a JSON and an optional ZIP, then shows the deposit's result page.</summary>
[Authorize(Roles = Roles.Fournisseur)]
[IgnoreAntiforgeryToken(Order = 1001)] // after the pages' own check (order 1000): checked in OnPostAsync once the streamed form is read
public sealed class NewModel(GuichetDbContext db, DepositRunner runner, AttachmentStore store, IAntiforgery antiforgery,
    IOptions<AntiforgeryOptions> antiforgeryOptions, IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files)
    : DepositFormPage(db, store, antiforgery, antiforgeryOptions, deposits, files)
{
    protected override async Task<IActionResult> HandleAsync(Domain.Organisation org, DepositUpload upload, CancellationToken ct)
    {
        var (job, background) = await runner.AcceptAsync(Db, org.Id, User.Id(), upload, ct);
        if (background) runner.Enqueue(job.Id);
        else await runner.RunNowAsync(job.Id); // runs to its end even if the browser leaves
        return Redirect($"/depots/{job.Id}");
    }
}
