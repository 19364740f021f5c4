using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Admin;

/// <summary><c>GET /admin/journal/export.csv</c>: the filtered security journal as CSV, streamed from the database.</summary>
public static class JournalExport
{
    public static void MapJournalExport(this IEndpointRouteBuilder app) =>
        app.MapGet("/admin/journal/export.csv", ExportAsync).RequireAuthorization(p => p.RequireRole(Roles.Administrateur)).ExcludeFromDescription();

    private static async Task ExportAsync(HttpContext http, GuichetDbContext db, CancellationToken ct)
    {
        var errors = new List<ErrorItem>();
        var filter = JournalQuery.Parse(http.Request.Query, errors);
        if (errors.Count > 0)
        {
            await Problems.Write(http, StatusCodes.Status400BadRequest, "Filtres invalides", string.Join(" ", errors.Select(e => e.Message)), errors);
            return;
        }
        var rows = JournalQuery.Filter(db, filter).AsNoTracking().AsAsyncEnumerable();
        await using var csv = await CsvDownload.StartAsync(http, "journal-de-securite.csv",
            ["Date (heure de Paris)", "Événement", "Code", "Auteur", "Compte concerné", "Source", "Navigateur", "Détail"], ct);
        await foreach (var e in rows.WithCancellation(ct))
            await csv.LineAsync(string.Join(';',
                JournalQuery.When(e.At), CsvDownload.Cell(e.Kind.Label()), e.Kind.Code(), CsvDownload.Cell(JournalQuery.Actor(e)),
                CsvDownload.Cell(JournalQuery.Subject(e)), CsvDownload.Cell(e.Source), CsvDownload.Cell(e.UserAgent), CsvDownload.Cell(e.Detail)));
    }
}
