using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using Npgsql;
using SpreadCheetah;
using SpreadCheetah.Styling;

namespace Guichet.Bench;

/// <summary>One export as the client saw it: time to the first and to the last byte, bytes and data rows received.</summary>
public sealed record ExportResult(TimeSpan FirstByte, TimeSpan Elapsed, long Bytes, long Rows);

/// <summary>
/// The queue's CSV and xlsx exports (src/Guichet/Instruction/QueueExport.cs) downloaded from the portal, and their bare
/// baselines: the same SQL read with a DataReader and written as CSV or with SpreadCheetah to a null stream, and
/// PostgreSQL's own <c>COPY (SELECT …) TO STDOUT</c>.
/// </summary>
public static class Exports
{
    /// <summary>A typical manager filter: the queue's first filter set (about a fifth of the requests).</summary>
    public const string TypicalFilter = "statut=EN_COURS&dispositif=SAS_EFFECTEUR&type=AVANCE";

    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    /// <summary>Downloads <paramref name="url"/> to its last byte; CSV rows are counted on the fly, xlsx rows in the saved file's sheet.</summary>
    public static async Task<ExportResult> DownloadAsync(CookieContainer cookies, string url, bool xlsx, string work)
    {
        using var client = Load.Client(cookies);
        client.Timeout = TimeSpan.FromMinutes(30);
        var watch = Stopwatch.StartNew();
        using var r = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"{url} : HTTP {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        await using var body = await r.Content.ReadAsStreamAsync();
        var path = Path.Combine(work, "export.xlsx");
        await using (var file = xlsx ? new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 65536, useAsync: true) : null)
        {
            var buffer = new byte[65536];
            TimeSpan? first = null;
            long bytes = 0, lines = 0;
            int n;
            // Megabytes received per second of the download, printed at the end: a stall or a slow tail shows in it.
            var perSecond = new List<long>();
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                first ??= watch.Elapsed;
                bytes += n;
                var second = (int)watch.Elapsed.TotalSeconds;
                while (perSecond.Count <= second) perSecond.Add(0);
                perSecond[second] += n;
                if (file is not null) await file.WriteAsync(buffer.AsMemory(0, n));
                else lines += buffer.AsSpan(0, n).Count((byte)'\n');
            }
            var elapsed = watch.Elapsed;
            Console.WriteLine($"    Mo reçus par seconde : {string.Join(' ', perSecond.Select(b => (b / 1048576.0).ToString("F1", CultureInfo.InvariantCulture)))}");
            if (file is null) return new ExportResult(first ?? elapsed, elapsed, bytes, lines - 1);
            await file.FlushAsync();
            file.Close();
            var rows = XlsxRows(path) - 1;
            File.Delete(path);
            return new ExportResult(first ?? elapsed, elapsed, bytes, rows);
        }
    }

    /// <summary>The rows of the first worksheet (header included), counted in its XML as it is inflated.</summary>
    private static long XlsxRows(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var sheet = zip.Entries.First(e => e.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal) && e.FullName.EndsWith(".xml", StringComparison.Ordinal));
        using var xml = sheet.Open();
        ReadOnlySpan<byte> tag = "<row"u8;
        var buffer = new byte[65536];
        long rows = 0;
        var matched = 0;
        int n;
        while ((n = xml.Read(buffer)) > 0)
            foreach (var b in buffer.AsSpan(0, n))
            {
                // "<row" has no repeated prefix, so a mismatch only needs to check whether it restarts the tag.
                matched = b == tag[matched] ? matched + 1 : b == tag[0] ? 1 : 0;
                if (matched == tag.Length) { rows++; matched = 0; }
            }
        return rows;
    }

    // AgencyRows.Of(QueueQuery.Sorted(QueueQuery.Filter(…), "anciennete")) as EF Core writes it.
    private const string Select = """
        SELECT r."Id", r."Number", r."VendorReference", r."Type", r."SchemeCode", r."Status", r."Amount", r."ClientName", r."DepositedAt", r."UpdatedAt", o."Name", o."Siret", r."AssignedToName"
        FROM "Requests" AS r
        INNER JOIN "Organisations" AS o ON r."OrganisationId" = o."Id"
        """;

    private static string Where(bool filtered, bool literal) => !filtered ? ""
        : literal ? "WHERE r.\"Status\" = 'EN_COURS' AND r.\"Type\" = 'AVANCE' AND r.\"SchemeCode\" = 'SAS_EFFECTEUR'"
        : "WHERE r.\"Status\" = @st AND r.\"Type\" = @ty AND r.\"SchemeCode\" = @sc";

    private static (string, object?)[] Parameters(bool filtered) => filtered ? [("st", "EN_COURS"), ("ty", "AVANCE"), ("sc", "SAS_EFFECTEUR")] : [];

    /// <summary>PostgreSQL's COPY of the same rows as CSV to a null stream: the database's own floor for the export.</summary>
    public static async Task<ExportResult> CopyAsync(Database db, bool filtered)
    {
        await using var c = (NpgsqlConnection)await db.OpenAsync();
        var watch = Stopwatch.StartNew();
        using var copy = await c.BeginTextExportAsync(
            $"COPY ({Select} {Where(filtered, literal: true)} ORDER BY r.\"DepositedAt\", r.\"Id\") TO STDOUT (FORMAT csv, DELIMITER ';', HEADER)");
        var buffer = new char[65536];
        long bytes = 0, lines = 0;
        int n;
        while ((n = await copy.ReadAsync(buffer)) > 0)
        {
            bytes += Encoding.UTF8.GetByteCount(buffer.AsSpan(0, n));
            lines += buffer.AsSpan(0, n).Count('\n');
        }
        return new ExportResult(watch.Elapsed, watch.Elapsed, bytes, lines - 1);
    }

    /// <summary>The same SQL read with a DataReader, each row formatted as the portal's CSV line and written to a null stream.</summary>
    public static async Task<ExportResult> ReaderCsvAsync(Database db, bool filtered)
    {
        var fr = CultureInfo.GetCultureInfo("fr-FR");
        var counting = new CountingStream();
        var watch = Stopwatch.StartNew();
        await using (var writer = new StreamWriter(counting, new UTF8Encoding(true), 65536))
        {
            await writer.WriteAsync("Numéro;Référence fournisseur;Fournisseur;SIRET;Type;Dispositif;Client;Montant demandé (€);Statut;Déposée le;Dernière modification;Attribuée à\r\n");
            await ReadAsync(db, filtered, async row =>
            {
                await writer.WriteAsync(string.Join(';', row.Number, row.Reference, row.Vendor, row.Siret, row.Type, row.Scheme, row.Client,
                    row.Amount.ToString("0.00", fr), row.Status, row.Deposited.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture),
                    row.Updated.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture), row.AssignedTo) + "\r\n");
            });
        }
        return new ExportResult(watch.Elapsed, watch.Elapsed, counting.Bytes, counting.Lines - 1);
    }

    /// <summary>The same SQL read with a DataReader and written with SpreadCheetah (same cells and styles) to a null stream.</summary>
    public static async Task<ExportResult> ReaderXlsxAsync(Database db, bool filtered)
    {
        var counting = new CountingStream();
        var watch = Stopwatch.StartNew();
        long rows = 0;
        await using (var sheet = await Spreadsheet.CreateNewAsync(counting, new SpreadCheetahOptions { BufferSize = 65536 }))
        {
            await sheet.StartWorksheetAsync("Demandes", new SpreadCheetah.Worksheets.WorksheetOptions { FrozenRows = 1 });
            var date = sheet.AddStyle(new Style { Format = NumberFormat.Custom("dd/mm/yyyy hh:mm") });
            var euros = sheet.AddStyle(new Style { Format = NumberFormat.Custom("#,##0.00\\ \"€\"") });
            await sheet.AddRowAsync(Enumerable.Range(0, 12).Select(i => new Cell($"Colonne {i}")).ToArray());
            var cells = new Cell[12];
            await ReadAsync(db, filtered, async row =>
            {
                cells[0] = new Cell(row.Number); cells[1] = new Cell(row.Reference); cells[2] = new Cell(row.Vendor); cells[3] = new Cell(row.Siret);
                cells[4] = new Cell(row.Type); cells[5] = new Cell(row.Scheme); cells[6] = new Cell(row.Client); cells[7] = new Cell(row.Amount, euros);
                cells[8] = new Cell(row.Status); cells[9] = new Cell(row.Deposited, date); cells[10] = new Cell(row.Updated, date); cells[11] = new Cell(row.AssignedTo);
                await sheet.AddRowAsync(cells);
                rows++;
            });
            await sheet.FinishAsync();
        }
        return new ExportResult(watch.Elapsed, watch.Elapsed, counting.Bytes, rows);
    }

    private sealed record Row(string Number, string Reference, string Vendor, string Siret, string Type, string Scheme, string Client,
        decimal Amount, string Status, DateTime Deposited, DateTime Updated, string AssignedTo);

    private static async Task ReadAsync(Database db, bool filtered, Func<Row, Task> write)
    {
        await using var c = await db.OpenAsync();
        await using var cmd = Database.Command(c, $"{Select} {Where(filtered, literal: false)} ORDER BY r.\"DepositedAt\", r.\"Id\"", Parameters(filtered));
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            await write(new Row(reader.GetString(1), reader.GetString(2), reader.GetString(10), reader.GetString(11), reader.GetString(3),
                reader.GetString(4), reader.GetString(7), Amount(db, reader), reader.GetString(5), ParisTime(db, reader, 8), ParisTime(db, reader, 9),
                reader.IsDBNull(12) ? "" : reader.GetString(12)));
    }

    // The portal's SQLite converter keeps amounts in cents.
    private static decimal Amount(Database db, DbDataReader reader) => db.IsPostgres ? reader.GetDecimal(6) : reader.GetInt64(6) / 100m;

    private static DateTime ParisTime(Database db, DbDataReader reader, int i)
    {
        var utc = db.IsPostgres ? reader.GetDateTime(i)
            : DateTime.SpecifyKind(DateTime.Parse(reader.GetString(i), CultureInfo.InvariantCulture), DateTimeKind.Utc);
        return TimeZoneInfo.ConvertTimeFromUtc(utc, Paris);
    }

    /// <summary>A write-only sink that counts bytes and line feeds.</summary>
    private sealed class CountingStream : Stream
    {
        public long Bytes { get; private set; }
        public long Lines { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Bytes;
        public override long Position { get => Bytes; set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Bytes += buffer.Length;
            Lines += buffer.Count((byte)'\n');
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
