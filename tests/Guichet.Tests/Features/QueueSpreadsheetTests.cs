using System.Globalization;
using System.Net;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Guichet.Domain;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tests.Features;

/// <summary>The queue's xlsx export, read back with a real reader (Open XML SDK).</summary>
public abstract class QueueSpreadsheetTests(GuichetApp app)
{
    private const string Injection = "=cmd|' /C calc'!A0";

    [Fact]
    public async Task The_xlsx_export_has_a_frozen_header_typed_dates_and_amounts_and_defused_formulas()
    {
        var number = await app.NewAsync();
        await app.Db(db => db.Requests.Where(r => r.Number == number).ExecuteUpdateAsync(s => s.SetProperty(r => r.ClientName, Injection)));
        var request = await app.LoadAsync(number);

        var manager = await app.SignedIn("gestionnaire@asp.test");
        var response = await manager.GetAsync($"/instruction/export.xlsx?q={number}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("demandes-instruction.xlsx", response.Content.Headers.ContentDisposition?.ToString());
        Assert.True(response.Headers.CacheControl?.NoStore, "a personal export is never kept by a cache");

        var sheet = Sheet.Read(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(["Numéro", "Référence fournisseur", "Fournisseur", "SIRET", "Type", "Dispositif", "Client", "Montant demandé (€)",
            "Statut", "Déposée le", "Dernière modification", "Attribuée à"], sheet.Rows[0].Select(c => c.Text));
        Assert.True(sheet.FrozenRows == 1, "the header row stays in view");
        var row = Assert.Single(sheet.Rows.Skip(1));

        Assert.Equal((number, true), (row[0].Text, row[0].IsText));
        Assert.Equal(("AgendaPro", true), (row[2].Text, row[2].IsText));
        Assert.Equal(("'" + Injection, true), (row[6].Text, row[6].IsText));
        Assert.False(row[6].IsFormula);

        Assert.False(row[7].IsText);
        Assert.Equal(request.Amount, decimal.Parse(row[7].Text, CultureInfo.InvariantCulture));
        Assert.Contains("€", row[7].Format);

        Assert.False(row[9].IsText);
        Assert.Contains("dd/mm/yyyy", row[9].Format);
        var deposited = DateTime.FromOADate(double.Parse(row[9].Text, CultureInfo.InvariantCulture));
        Assert.Equal(ParisCalendar.ToParis(request.DepositedAt), deposited, TimeSpan.FromSeconds(1));
        Assert.Equal("En cours", row[8].Text);
    }

    [Fact]
    public async Task The_xlsx_export_holds_the_same_rows_as_the_filtered_queue()
    {
        var manager = await app.SignedIn("gestionnaire@asp.test");
        var sheet = Sheet.Read(await manager.GetByteArrayAsync("/instruction/export.xlsx?statut=VALIDEE&dispositif=SAS_REGULATEUR&tri=recent"));
        var expected = await app.Db(db => db.Requests.Where(r => r.Status == RequestStatus.Validee && r.SchemeCode == FundingScheme.SasRegulateur)
            .OrderByDescending(r => r.DepositedAt).ThenByDescending(r => r.Id).Select(r => r.Number).ToListAsync());
        Assert.NotEmpty(expected);
        Assert.Equal(expected, sheet.Rows.Skip(1).Select(r => r[0].Text));
        Assert.All(sheet.Rows.Skip(1), r => Assert.Equal(("Regulis", "Validée"), (r[2].Text, r[8].Text)));
    }

    [Fact]
    public async Task A_bad_filter_gets_a_French_400_and_no_spreadsheet()
    {
        var manager = await app.SignedIn("gestionnaire@asp.test");
        var response = await manager.GetAsync("/instruction/export.xlsx?deposeDu=hier");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("aaaa-mm-jj", await response.Content.ReadAsStringAsync());
        var vendor = await app.SignedIn("editeur@agendapro.test");
        var refused = await vendor.GetAsync("/instruction/export.xlsx");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/acces-refuse", refused.Headers.Location!.PathAndQuery);
    }

    private sealed record CellRead(string Text, bool IsText, bool IsFormula, string Format);

    private sealed record Sheet(List<List<CellRead>> Rows, int FrozenRows)
    {
        public static Sheet Read(byte[] bytes)
        {
            using var doc = SpreadsheetDocument.Open(new MemoryStream(bytes), false);
            var book = doc.WorkbookPart!;
            var shared = book.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(i => i.InnerText).ToList() ?? [];
            var formats = book.WorkbookStylesPart!.Stylesheet;
            var custom = formats.NumberingFormats?.Elements<NumberingFormat>().ToDictionary(f => f.NumberFormatId!.Value, f => f.FormatCode!.Value!) ?? [];
            var cellFormats = formats.CellFormats!.Elements<CellFormat>().ToList();
            var part = book.WorksheetParts.Single();
            var pane = part.Worksheet.GetFirstChild<SheetViews>()?.GetFirstChild<SheetView>()?.GetFirstChild<Pane>();
            var frozen = pane is { State.Value: var state } && state == PaneStateValues.Frozen ? (int)(pane.VerticalSplit?.Value ?? 0) : 0;
            var rows = part.Worksheet.GetFirstChild<SheetData>()!.Elements<Row>().Select(row => row.Elements<Cell>().Select(c =>
            {
                var type = c.DataType?.Value;
                var isText = type == CellValues.InlineString || type == CellValues.SharedString || type == CellValues.String;
                var text = type == CellValues.InlineString ? c.InlineString!.InnerText
                    : type == CellValues.SharedString ? shared[int.Parse(c.CellValue!.Text, CultureInfo.InvariantCulture)]
                    : c.CellValue?.Text ?? "";
                var format = c.StyleIndex?.Value is { } s && cellFormats[(int)s].NumberFormatId?.Value is { } id && custom.TryGetValue(id, out var code) ? code : "";
                return new CellRead(text, isText, c.CellFormula is not null, format);
            }).ToList()).ToList();
            return new Sheet(rows, frozen);
        }
    }
}

public sealed class QueueSpreadsheetTestsOnSqlite(SqliteApp app) : QueueSpreadsheetTests(app), IClassFixture<SqliteApp>;

public sealed class QueueSpreadsheetTestsOnPostgres(PostgresApp app) : QueueSpreadsheetTests(app), IClassFixture<PostgresApp>;
