using System.Text;

namespace Guichet.Hosting;

/// <summary>
/// A CSV download for French Excel (UTF-8 with BOM, « ; », CRLF), written line by line to the response so that a large
/// export never sits in memory; not kept by any cache. Used by the manager queue's and the security journal's exports.
/// </summary>
public sealed class CsvDownload : IAsyncDisposable
{
    private readonly StreamWriter _writer;
    private readonly CancellationToken _ct;
    private int _lines;

    private CsvDownload(StreamWriter writer, CancellationToken ct) { _writer = writer; _ct = ct; }

    /// <summary>Sends the headers, the BOM and the header line (its names are written as they are).</summary>
    public static async Task<CsvDownload> StartAsync(HttpContext http, string fileName, IEnumerable<string> columns, CancellationToken ct)
    {
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        http.Response.Headers.CacheControl = "private, no-store";
        var body = http.Response.Body;
        await body.WriteAsync(Encoding.UTF8.Preamble.ToArray(), ct);
        var csv = new CsvDownload(new StreamWriter(body, new UTF8Encoding(false), 65536, leaveOpen: true), ct);
        await csv.LineAsync(string.Join(';', columns));
        return csv;
    }

    /// <summary>One line of cells already made safe by <see cref="Cell"/> (or numbers).</summary>
    public async Task LineAsync(string line)
    {
        await _writer.WriteAsync(line + "\r\n");
        if (++_lines % 1000 == 0) await _writer.FlushAsync(_ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.FlushAsync(_ct);
        await _writer.DisposeAsync();
    }

    // Quoted when needed; a leading = + - @ is neutralised so that a text never runs as a spreadsheet formula.
    public static string Cell(string? value)
    {
        value = Defused(value);
        return value.IndexOfAny([';', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>The text with a leading = + - @ (or tab, CR) prefixed by « ' »: the CSV's and the xlsx's one rule.</summary>
    public static string Defused(string? value)
    {
        value ??= "";
        return value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
    }
}
