using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Admin;

/// <summary>The administration home: vendor organisations, and adding one.</summary>
[Authorize(Roles = Roles.Administrateur)]
public sealed class IndexModel(GuichetDbContext db) : PageModel
{
    public sealed record Row(int Id, string Name, string Siret, int Users, int Solutions);
    public List<Row> Organisations { get; private set; } = [];
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Siret { get; set; }
    public List<string> Errors { get; } = [];

    public async Task OnGetAsync() => await Load();

    public async Task<IActionResult> OnPostAsync()
    {
        var name = Name?.Trim();
        var siret = Siret?.Replace(" ", "");
        if (string.IsNullOrEmpty(name) || name.Length > 200) Errors.Add("Indiquez la raison sociale (200 caractères au plus).");
        if (!Identifiers.IsValidSiret(siret)) Errors.Add(Identifiers.InvalidMessage(ClientIdType.Siret));
        else if (await db.Organisations.AnyAsync(o => o.Siret == siret)) Errors.Add($"Un organisme de SIRET {siret} existe déjà.");
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await Load();
            return Page();
        }
        var organisation = new Organisation { Name = name!, Siret = siret! };
        db.Organisations.Add(organisation);
        try { await db.SaveChangesAsync(); }
        catch (DbUpdateException)
        {
            Errors.Add($"Un organisme de SIRET {siret} existe déjà.");
            Response.StatusCode = StatusCodes.Status409Conflict;
            db.ChangeTracker.Clear();
            await Load();
            return Page();
        }
        return Redirect($"/admin/organismes/{organisation.Id}");
    }

    private async Task Load() => Organisations = await db.Organisations.OrderBy(o => o.Name)
        .Select(o => new Row(o.Id, o.Name, o.Siret, db.Users.Count(u => u.OrganisationId == o.Id), o.Solutions.Count)).ToListAsync();
}
