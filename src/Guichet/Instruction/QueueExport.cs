using System.Globalization;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Requests;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>
/// <c>GET /instruction/export.csv</c>: the filtered queue as CSV for French Excel (UTF-8 with BOM, « ; »), streamed
/// row by row from the database so that a million rows never sit in memory.
/// </summary>
public static class QueueExport
{
    public static void MapQueueExport(this IEndpointRouteBuilder app) =>
        app.MapGet("/instruction/export.csv", ExportAsync).RequireAuthorization(p => p.RequireRole(Roles.Gestionnaire)).ExcludeFromDescription();

    private static async Task ExportAsync(HttpContext http, GuichetDbContext db, CancellationToken ct)
    {
        var errors = new List<ErrorItem>();
        var filter = QueueQuery.Parse(http.Request.Query, errors);
        if (errors.Count > 0)
        {
            await Problems.Write(http, StatusCodes.Status400BadRequest, "Filtres invalides", string.Join(" ", errors.Select(e => e.Message)), errors);
            return;
        }
        var rows = AgencyRows.Of(QueueQuery.Sorted(QueueQuery.Filter(db, http.User.Id(), filter), filter.Sort))
            .AsNoTracking().AsAsyncEnumerable();

        await using var csv = await CsvDownload.StartAsync(http, "demandes-instruction.csv",
            ["Numéro", "Référence fournisseur", "Fournisseur", "SIRET", "Type", "Dispositif", "Client", "Montant demandé (€)", "Statut", "Déposée le", "Dernière modification"], ct);
        await foreach (var r in rows.WithCancellation(ct))
            await csv.LineAsync(string.Join(';',
                Cell(r.Number), Cell(r.VendorReference), Cell(r.OrganisationName), Cell(r.Siret), Cell(r.Type.Label()),
                Cell(Fr.SchemeLabel(r.SchemeCode)), Cell(r.ClientName), r.Amount.ToString("0.00", CultureInfo.GetCultureInfo("fr-FR")),
                Cell(r.Status.Label()), Fr.Date(r.DepositedAt), Fr.Date(r.UpdatedAt)));
    }

    private static string Cell(string value) => CsvDownload.Cell(value);
}
