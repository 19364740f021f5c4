using System.Text;

namespace Guichet.Demo;

/// <summary>Builds a small, valid one-page PDF with a few lines of text (demo attachments).</summary>
public static class DemoPdf
{
    public static byte[] Create(params string[] lines)
    {
        var text = new StringBuilder("BT /F1 14 Tf 60 780 Td 18 TL\n");
        foreach (var line in lines) text.Append('(').Append(Escape(line)).Append(") Tj T*\n");
        text.Append("ET");
        var content = text.ToString();
        var objects = new[]
        {
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            $"<< /Length {Latin1(content).Length} >>\nstream\n{content}\nendstream",
        };
        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(Latin1(pdf.ToString()).Length);
            pdf.Append(i + 1).Append(" 0 obj\n").Append(objects[i]).Append("\nendobj\n");
        }
        var xref = Latin1(pdf.ToString()).Length;
        pdf.Append("xref\n0 ").Append(objects.Length + 1).Append("\n0000000000 65535 f \n");
        foreach (var o in offsets) pdf.Append(o.ToString("D10")).Append(" 00000 n \n");
        pdf.Append("trailer\n<< /Size ").Append(objects.Length + 1).Append(" /Root 1 0 R >>\nstartxref\n").Append(xref).Append("\n%%EOF\n");
        return Latin1(pdf.ToString());
    }

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("(", "\\(").Replace(")", "\\)");
}
