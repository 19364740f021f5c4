using System.Globalization;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Admin;

/// <summary>Scheme settings (docs/regles.md#dispositifs), checked and applied by <see cref="FundingScheme.Apply"/>: deposit windows to the minute (Paris), amounts, accepted identifiers, modification settings and delays.</summary>
[Authorize(Roles = Roles.Administrateur)]
public sealed class SchemesModel(GuichetDbContext db) : PageModel
{
    public List<FundingScheme> Schemes { get; private set; } = [];
    public List<string> Errors { get; } = [];

    [BindProperty] public string? Label { get; set; }
    [BindProperty] public string? FlatAmount { get; set; }
    [BindProperty] public string? AdvanceSharePercent { get; set; }
    [BindProperty] public DateTime? AdvanceOpensAt { get; set; }
    [BindProperty] public DateTime? AdvanceClosesAt { get; set; }
    [BindProperty] public DateTime? BalanceOpensAt { get; set; }
    [BindProperty] public DateTime? BalanceClosesAt { get; set; }
    [BindProperty] public List<string> ClientIdTypes { get; set; } = [];
    [BindProperty] public int? ReminderDelayDays { get; set; }
    [BindProperty] public int? ClosingDelayDays { get; set; }
    [BindProperty] public bool ContactEditable { get; set; }
    [BindProperty] public bool AttachmentsMayBeAdded { get; set; }

    public async Task OnGetAsync() => Schemes = await db.Schemes.OrderBy(s => s.Code).ToListAsync();

    public async Task<IActionResult> OnPostAsync(string? code)
    {
        var scheme = await db.Schemes.FirstOrDefaultAsync(s => s.Code == code);
        if (scheme is null) return NotFound();
        try
        {
            scheme.Apply(new FundingScheme.Settings(Label, Number(FlatAmount), Number(AdvanceSharePercent),
                AdvanceOpensAt, AdvanceClosesAt, BalanceOpensAt, BalanceClosesAt, ClientIdTypes, ReminderDelayDays, ClosingDelayDays,
                ContactEditable, AttachmentsMayBeAdded));
        }
        catch (Refusal refusal) when (refusal.Kind == RefusalKind.Invalid)
        {
            Errors.AddRange(refusal.Errors.Select(e => e.Message));
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Schemes = await db.Schemes.OrderBy(s => s.Code).ToListAsync();
            return Page();
        }
        await db.SaveChangesAsync();
        TempData["Succes"] = $"Dispositif {scheme.Code} enregistré. Les demandes de modification déjà ouvertes gardent leurs délais.";
        return Redirect("/admin/dispositifs");
    }

    /// <summary>A decimal typed with a comma or a dot; null when it cannot be read.</summary>
    private static decimal? Number(string? text) =>
        decimal.TryParse(text?.Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;
}
