using Guichet.Accounts;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Data;

/// <summary>Configuration data every installation needs: the roles and the two SAS schemes (editable afterwards).</summary>
public static class ReferenceData
{
    public static async Task EnsureAsync(IServiceProvider services, CancellationToken ct = default)
    {
        using var scope = services.CreateScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));

        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var existing = await db.Schemes.Select(s => s.Code).ToListAsync(ct);
        // Demo values (docs/regles.md#donnees-de-demonstration): flat amounts and windows are not facts of the programme.
        var (opens, closes) = DemoWindow(scope.ServiceProvider.GetRequiredService<TimeProvider>().UtcNow());
        if (!existing.Contains(FundingScheme.SasRegulateur))
            db.Schemes.Add(new FundingScheme
            {
                Code = FundingScheme.SasRegulateur, Label = "SAS — solutions des Régulateurs",
                AcceptedClientIdTypes = "FINESS,SIRET", FlatAmount = 20_000m, AdvanceShare = 0.30m,
                AdvanceOpensAt = opens, AdvanceClosesAt = closes, BalanceOpensAt = opens, BalanceClosesAt = closes, IsDemoValues = true,
            });
        if (!existing.Contains(FundingScheme.SasEffecteur))
            db.Schemes.Add(new FundingScheme
            {
                Code = FundingScheme.SasEffecteur, Label = "SAS — solutions des Effecteurs",
                AcceptedClientIdTypes = "RPPS,SIRET,FINESS", FlatAmount = 1_000m, AdvanceShare = 0.30m,
                AdvanceOpensAt = opens, AdvanceClosesAt = closes, BalanceOpensAt = opens, BalanceClosesAt = closes, IsDemoValues = true,
            });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The demo schemes' deposit windows: from 1 January 2025 to 31 December 2027, or to the end of the year after the
    /// installation's own when that is later (no date past which a fresh demo refuses every deposit). Paris years.
    /// </summary>
    internal static (DateTime Opens, DateTime Closes) DemoWindow(DateTime utcNow) =>
        (ParisCalendar.ParisToUtc(new DateTime(2025, 1, 1, 0, 0, 0)),
            ParisCalendar.ParisToUtc(new DateTime(Math.Max(2027, ParisCalendar.DateOf(utcNow).Year + 1), 12, 31, 23, 59, 0)));
}
