using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;

namespace Guichet.Hosting;

/// <summary>
/// The portal's own CSS and scripts, addressed with a version of their content (<c>/css/theme.css?v=…</c>) so a browser
/// never keeps a stale copy after a new release. The same as the <c>asp-append-version</c> tag helper, computed once per
/// file instead of by a tag helper on every page (about 2 % of a tracking page, BENCHMARKS.md); in Development a file
/// edited while the portal runs gets its new version at the next page.
/// </summary>
public sealed class StaticAssets(IWebHostEnvironment environment)
{
    private readonly ConcurrentDictionary<string, string> _versioned = new(StringComparer.Ordinal);
    private Func<string, string>? _compute;

    /// <summary>The address of a file under wwwroot (<paramref name="path"/> starts with « / ») with its version.</summary>
    public string Url(string path) =>
        environment.IsDevelopment() ? Versioned(path) : _versioned.GetOrAdd(path, _compute ??= Versioned);

    private string Versioned(string path)
    {
        var file = environment.WebRootFileProvider.GetFileInfo(path);
        if (!file.Exists || file.IsDirectory) return path;
        using var content = file.CreateReadStream();
        return path + "?v=" + WebEncoders.Base64UrlEncode(SHA256.HashData(content));
    }
}
