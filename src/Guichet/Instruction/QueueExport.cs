using System.Globalization;
using System.Text;
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

        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"demandes-instruction.csv\"";
        http.Response.Headers.CacheControl = "private, no-store";
        var body = http.Response.Body;
        await body.WriteAsync(Encoding.UTF8.Preamble.ToArray(), ct);
        await using var writer = new StreamWriter(body, new UTF8Encoding(false), 65536, leaveOpen: true);
        await writer.WriteAsync("Numéro;Référence fournisseur;Fournisseur;SIRET;Type;Dispositif;Client;Montant demandé (€);Statut;Déposée le;Dernière modification\r\n");
        var n = 0;
        await foreach (var r in rows.WithCancellation(ct))
        {
            await writer.WriteAsync(string.Join(';',
                Cell(r.Number), Cell(r.VendorReference), Cell(r.OrganisationName), Cell(r.Siret), Cell(r.Type.Label()),
                Cell(Fr.SchemeLabel(r.SchemeCode)), Cell(r.ClientName), r.Amount.ToString("0.00", CultureInfo.GetCultureInfo("fr-FR")),
                Cell(r.Status.Label()), Fr.Date(r.DepositedAt), Fr.Date(r.UpdatedAt)) + "\r\n");
            if (++n % 1000 == 0) await writer.FlushAsync(ct);
        }
        await writer.FlushAsync(ct);
    }

    // Quoted when needed; a leading = + - @ is neutralised so that a client name never runs as a spreadsheet formula.
    private static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([';', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
