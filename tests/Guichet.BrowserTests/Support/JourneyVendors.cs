using System.Globalization;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Domain;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.BrowserTests.Support;

/// <summary>
/// A vendor of one journey only, with its sign-in account and its advances « en cours »: journeys that change hundreds of
/// requests leave the demo vendors' lists as the other journeys expect them.
/// </summary>
public static class JourneyVendors
{
    /// <summary>Creates the vendor, its solution of the scheme and a vendor account (demo password), then deposits
    /// <paramref name="count"/> advances whose client names start with <paramref name="client"/>; returns their numbers.</summary>
    public static async Task<List<string>> SeedAsync(BrowserApp app, string name, string siret, string schemeCode, string email,
        string client, int count, int depositedDaysAgo)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var org = new Organisation { Name = name, Siret = siret };
        var solution = new Solution
        {
            Name = name + " SAS", Version = "1", ReferencingNumber = "SAS-LOT-" + siret,
            ReferencingDate = new DateOnly(2025, 9, 1), SchemeCode = schemeCode,
        };
        org.Solutions.Add(solution);
        db.Organisations.Add(org);
        await db.SaveChangesAsync();
        var user = new GuichetUser { UserName = email, Email = email, EmailConfirmed = true, FullName = "Éditeur " + name, OrganisationId = org.Id };
        Assert.True((await users.CreateAsync(user, DemoSeeder.Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, Roles.Fournisseur)).Succeeded);

        var scheme = await db.Schemes.SingleAsync(s => s.Code == schemeCode);
        var vendor = new Actor($"Fournisseur ({org.Name})", "Fournisseur", null);
        var depositedAt = now.AddDays(-depositedDaysAgo);
        var numbers = await NumberAllocator.NextAsync(db, RequestType.Avance, ParisCalendar.DateOf(now).Year, count);
        foreach (var number in numbers)
        {
            var docs = scheme.RequiredDocuments(RequestType.Avance)
                .Select(t => SupportingDocument.Create(t, "bc.pdf", Guid.NewGuid().ToString("N"), "application/pdf", 10, new string('0', 64), now));
            db.Requests.Add(FundingRequest.Deposit(number, org, solution, scheme,
                new FundingRequest.DepositData("LOT-" + number, RequestType.Avance, ClientIdType.Rpps,
                    (30_000_000_000L + Random.Shared.NextInt64(0, 9_999_999_999L)).ToString(CultureInfo.InvariantCulture),
                    $"{client} {number}", "BC-LOT", DateOnly.FromDateTime(depositedAt), null, null, scheme.AdvanceAmount,
                    "https://support.example.test/sas"),
                docs, vendor, depositedAt));
        }
        await db.SaveChangesAsync();
        return [.. numbers];
    }
}
