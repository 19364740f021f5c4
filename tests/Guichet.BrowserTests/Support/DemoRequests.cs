using Guichet.Data;
using Guichet.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.BrowserTests.Support;

/// <summary>Demo requests picked by what they are, so that a page path can name « a request to modify » rather than a number.</summary>
public static class DemoRequests
{
    /// <summary>Replaces {a-modifier} (an AgendaPro balance « A modifier », the last one: the deck journeys take the first),
    /// {incomplete} (an AgendaPro request « Incomplète ») and {organisme} (AgendaPro's id) in a path.</summary>
    public static async Task<string> Resolve(BrowserApp app, string path)
    {
        if (!path.Contains('{')) return path;
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var agendaPro = await db.Organisations.Where(o => o.Name == "AgendaPro").Select(o => o.Id).SingleAsync();
        if (path.Contains("{a-modifier}"))
            path = path.Replace("{a-modifier}", await LastNumber(db, agendaPro, RequestStatus.AModifier, RequestType.Solde));
        if (path.Contains("{incomplete}"))
            path = path.Replace("{incomplete}", await LastNumber(db, agendaPro, RequestStatus.Incomplete, null));
        return path.Replace("{organisme}", agendaPro.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The number of the vendor's first request in that status and type (the deck's order: by number).</summary>
    public static async Task<string> FirstNumber(BrowserApp app, RequestStatus status, RequestType type, string vendor = "AgendaPro")
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        return await db.Requests.Where(r => r.Organisation!.Name == vendor && r.Status == status && r.Type == type)
            .OrderBy(r => r.Number).Select(r => r.Number).FirstAsync();
    }

    private static Task<string> LastNumber(GuichetDbContext db, int organisation, RequestStatus status, RequestType? type) =>
        db.Requests.Where(r => r.OrganisationId == organisation && r.Status == status && (type == null || r.Type == type))
            .OrderByDescending(r => r.Number).Select(r => r.Number).FirstAsync();
}
