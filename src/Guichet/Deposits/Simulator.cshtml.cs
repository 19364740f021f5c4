using Guichet.Accounts;
using Guichet.Data;
using Guichet.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>« Simulateur »: the same input and verdict as a deposit, nothing stored.</summary>
[Authorize(Roles = Roles.Fournisseur)]
[IgnoreAntiforgeryToken(Order = 1001)] // after the pages' own check (order 1000): checked in OnPostAsync once the streamed form is read
public sealed class SimulatorModel(GuichetDbContext db, SimulateUpload simulate, AttachmentStore store, IAntiforgery antiforgery,
    IOptions<AntiforgeryOptions> antiforgeryOptions, IOptions<DepositOptions> deposits, IOptions<AttachmentOptions> files)
    : DepositFormPage(db, store, antiforgery, antiforgeryOptions, deposits, files)
{
    public DepositResult? Result { get; private set; }

    protected override async Task<IActionResult> HandleAsync(Domain.Organisation org, DepositUpload upload, CancellationToken ct)
    {
        Result = await simulate.RunAsync(org, upload, ct);
        return Page();
    }
}
