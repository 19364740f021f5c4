using System.Globalization;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Requests;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>
/// <c>GET /instruction/export.csv</c> and <c>/instruction/export.xlsx</c>: the filtered queue as CSV for French Excel
/// (UTF-8 with BOM, « ; ») or as a typed spreadsheet, streamed row by row from the database so that a million rows
/// never sit in memory.
/// </summary>
public static class QueueExport
{
    private static readonly (string Name, double Width)[] Columns =
    [
        ("Numéro", 22), ("Référence fournisseur", 22), ("Fournisseur", 28), ("SIRET", 16), ("Type", 9), ("Dispositif", 14),
        ("Client", 30), ("Montant demandé (€)", 16), ("Statut", 20), ("Déposée le", 17), ("Dernière modification", 17), ("Attribuée à", 24),
    ];

    public static void MapQueueExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/instruction/export.csv", CsvAsync).RequireAuthorization(p => p.RequireRole(Roles.Gestionnaire)).ExcludeFromDescription();
        app.MapGet("/instruction/export.xlsx", XlsxAsync).RequireAuthorization(p => p.RequireRole(Roles.Gestionnaire)).ExcludeFromDescription();
    }

    private static async Task CsvAsync(HttpContext http, GuichetDbContext db, CancellationToken ct)
    {
        if (await RowsAsync(http, db) is not { } rows) return;
        await using var csv = await CsvDownload.StartAsync(http, "demandes-instruction.csv", Columns.Select(c => c.Name), ct);
        await foreach (var r in rows.WithCancellation(ct))
            await csv.LineAsync(string.Join(';',
                Cell(r.Number), Cell(r.VendorReference), Cell(r.OrganisationName), Cell(r.Siret), Cell(r.Type.Label()),
                Cell(Fr.SchemeLabel(r.SchemeCode)), Cell(r.ClientName), r.Amount.ToString("0.00", CultureInfo.GetCultureInfo("fr-FR")),
                Cell(r.Status.Label()), Fr.Date(r.DepositedAt), Fr.Date(r.UpdatedAt), Cell(r.AssignedToName ?? "")));
    }

    private static async Task XlsxAsync(HttpContext http, GuichetDbContext db, CancellationToken ct)
    {
        if (await RowsAsync(http, db) is not { } rows) return;
        await using var xlsx = await XlsxDownload.StartAsync(http, "demandes-instruction.xlsx", "Demandes", Columns, ct);
        await foreach (var r in rows.WithCancellation(ct))
        {
            xlsx.Text(r.Number).Text(r.VendorReference).Text(r.OrganisationName).Text(r.Siret).Text(r.Type.Label())
                .Text(Fr.SchemeLabel(r.SchemeCode)).Text(r.ClientName).Euros(r.Amount)
                .Text(r.Status.Label()).Date(r.DepositedAt).Date(r.UpdatedAt).Text(r.AssignedToName);
            await xlsx.EndRowAsync();
        }
    }

    /// <summary>The queue's rows under the query's filters, or null once a 400 listing the bad filters is written.</summary>
    private static async Task<IAsyncEnumerable<QueueRow>?> RowsAsync(HttpContext http, GuichetDbContext db)
    {
        var errors = new List<ErrorItem>();
        var filter = QueueQuery.Parse(http.Request.Query, errors);
        if (errors.Count > 0)
        {
            await Problems.Write(http, StatusCodes.Status400BadRequest, "Filtres invalides", string.Join(" ", errors.Select(e => e.Message)), errors);
            return null;
        }
        return AgencyRows.Of(db, QueueQuery.Sorted(QueueQuery.Filter(db, http.User.Id(), filter), filter.Sort))
            .AsNoTracking().AsAsyncEnumerable();
    }

    private static string Cell(string value) => CsvDownload.Cell(value);
}
