using System.Net;

namespace Guichet.Tests.Support;

/// <summary>
/// A body as its reader sees it: the encoders write the no-break spaces of French typography as <c>&amp;#xA0;</c>
/// (HTML) or <c>\u00A0</c> (JSON), so a test decodes them before looking for a sentence.
/// </summary>
public static class Readable
{
    public static string Of(string body) =>
        WebUtility.HtmlDecode(body).Replace("\\u00A0", "\u00A0").Replace("\\u202F", "\u202F");
}
