using System.Globalization;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Admin;

/// <summary>Scheme settings (SPEC §2): deposit windows to the minute (Paris), amounts, accepted identifiers, modification settings and delays.</summary>
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
        if (string.IsNullOrWhiteSpace(Label) || Label.Length > 200) Errors.Add("Indiquez le libellé (200 caractères au plus).");
        if (!decimal.TryParse(FlatAmount?.Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) || amount <= 0 || decimal.Round(amount, 2) != amount)
            Errors.Add("Le forfait doit être un montant positif au centime.");
        if (!decimal.TryParse(AdvanceSharePercent?.Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var share) || share <= 0 || share >= 100)
            Errors.Add("La part d'avance doit être un pourcentage entre 0 et 100.");
        if (AdvanceOpensAt is null || AdvanceClosesAt is null || AdvanceOpensAt >= AdvanceClosesAt) Errors.Add("La fenêtre des avances doit s'ouvrir avant de se fermer.");
        if (BalanceOpensAt is null || BalanceClosesAt is null || BalanceOpensAt >= BalanceClosesAt) Errors.Add("La fenêtre des soldes doit s'ouvrir avant de se fermer.");
        var types = ClientIdTypes.Where(t => Codes.TryParseClientIdType(t, out _)).Distinct().ToList();
        if (types.Count == 0) Errors.Add("Acceptez au moins un type d'identifiant client.");
        if (ReminderDelayDays is not (>= 1 and <= 60)) Errors.Add("Le délai de relance doit être compris entre 1 et 60 jours.");
        if (ClosingDelayDays is null || ClosingDelayDays <= ReminderDelayDays || ClosingDelayDays > 120) Errors.Add("Le délai de clôture doit dépasser celui de la relance (120 jours au plus).");
        if (!ContactEditable && !AttachmentsMayBeAdded) Errors.Add("Une demande de modification doit pouvoir porter sur au moins un élément.");
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            Schemes = await db.Schemes.OrderBy(s => s.Code).ToListAsync();
            return Page();
        }
        scheme.Label = Label!.Trim();
        scheme.FlatAmount = amount;
        scheme.AdvanceShare = share / 100m;
        scheme.AdvanceOpensAt = ParisCalendar.ParisToUtc(AdvanceOpensAt!.Value);
        scheme.AdvanceClosesAt = ParisCalendar.ParisToUtc(AdvanceClosesAt!.Value);
        scheme.BalanceOpensAt = ParisCalendar.ParisToUtc(BalanceOpensAt!.Value);
        scheme.BalanceClosesAt = ParisCalendar.ParisToUtc(BalanceClosesAt!.Value);
        scheme.AcceptedClientIdTypes = string.Join(",", types);
        scheme.ReminderDelayDays = ReminderDelayDays!.Value;
        scheme.ClosingDelayDays = ClosingDelayDays!.Value;
        scheme.EditableFields = ContactEditable ? EditableField.ContactSupport : "";
        scheme.AttachmentsMayBeAdded = AttachmentsMayBeAdded;
        scheme.IsDemoValues = false;
        await db.SaveChangesAsync();
        TempData["Succes"] = $"Dispositif {scheme.Code} enregistré. Les demandes de modification déjà ouvertes gardent leurs délais.";
        return Redirect("/admin/dispositifs");
    }
}
