using SpreadCheetah;
using SpreadCheetah.Styling;
using SpreadCheetah.Worksheets;

namespace Guichet.Hosting;

/// <summary>
/// An .xlsx download written row by row to the response with SpreadCheetah (only its buffer is in memory), one sheet
/// with a bold, frozen header row; typed cells: text neutralised as in the CSV, dates as Paris dates, amounts in euros.
/// </summary>
public sealed class XlsxDownload : IAsyncDisposable
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    private readonly Spreadsheet _sheet;
    private readonly CancellationToken _ct;
    private readonly StyleId _date;
    private readonly StyleId _euros;
    private readonly Cell[] _row;
    private int _column;

    private readonly AsyncOnlyBody _body;

    private XlsxDownload(Spreadsheet sheet, AsyncOnlyBody body, int columns, CancellationToken ct)
    {
        _sheet = sheet;
        _body = body;
        _ct = ct;
        _row = new Cell[columns];
        _date = sheet.AddStyle(new Style { Format = NumberFormat.Custom("dd/mm/yyyy hh:mm") });
        _euros = sheet.AddStyle(new Style { Format = NumberFormat.Custom("#,##0.00\\ \"€\"") });
    }

    /// <summary>Sends the headers and the header row.</summary>
    public static async Task<XlsxDownload> StartAsync(HttpContext http, string fileName, string sheetName,
        IReadOnlyList<(string Name, double Width)> columns, CancellationToken ct)
    {
        http.Response.ContentType = ContentType;
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        http.Response.Headers.CacheControl = "private, no-store";
        var body = new AsyncOnlyBody(http.Response.Body);
        var sheet = await Spreadsheet.CreateNewAsync(body, new SpreadCheetahOptions { BufferSize = 65536 }, ct);
        var options = new WorksheetOptions { FrozenRows = 1 };
        for (var i = 0; i < columns.Count; i++) options.Column(i + 1).Width = columns[i].Width;
        await sheet.StartWorksheetAsync(sheetName, options, ct);
        var bold = sheet.AddStyle(new Style { Font = { Bold = true } });
        await sheet.AddRowAsync(columns.Select(c => new Cell(c.Name, bold)).ToArray(), ct);
        return new XlsxDownload(sheet, body, columns.Count, ct);
    }

    public XlsxDownload Text(string? value) => Add(new Cell(Defused(value)));

    /// <summary>A UTC instant shown as the Paris wall clock, typed as a date.</summary>
    public XlsxDownload Date(DateTime utc) => Add(new Cell(Domain.ParisCalendar.ToParis(utc), _date));

    public XlsxDownload Euros(decimal amount) => Add(new Cell(amount, _euros));

    /// <summary>Writes the cells added since the last row.</summary>
    public async Task EndRowAsync()
    {
        if (_column != _row.Length) throw new InvalidOperationException($"Row has {_column} cells, expected {_row.Length}.");
        await _sheet.AddRowAsync(_row, _ct);
        _column = 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _sheet.FinishAsync(_ct);
        await _sheet.DisposeAsync();
        await _body.FlushAsync(_ct);
    }

    // The CSV's rule: a text starting with = + - @ (or a tab, a CR) is prefixed with « ' » so it never becomes a formula when edited.
    public static string Defused(string? value) => CsvDownload.Defused(value);

    private XlsxDownload Add(Cell cell)
    {
        _row[_column++] = cell;
        return this;
    }

    /// <summary>
    /// The response body for the zip writer: the deflate stream ends each entry with a small synchronous write, which
    /// Kestrel refuses; those bytes wait here and go out with the next asynchronous write or flush.
    /// </summary>
    private sealed class AsyncOnlyBody(Stream inner) : Stream
    {
        private readonly MemoryStream _pending = new();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _pending.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => _pending.Write(buffer);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            await SendPendingAsync(ct);
            await inner.WriteAsync(buffer, ct);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override void Flush() { }

        public override async Task FlushAsync(CancellationToken ct)
        {
            await SendPendingAsync(ct);
            await inner.FlushAsync(ct);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        private async Task SendPendingAsync(CancellationToken ct)
        {
            if (_pending.Length == 0) return;
            await inner.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), ct);
            _pending.SetLength(0);
        }
    }
}
