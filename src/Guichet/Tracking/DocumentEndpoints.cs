using Guichet.Accounts;
using Guichet.Data;
using Guichet.Requests;
using Guichet.Storage;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tracking;

/// <summary>« Consulter »: serves an attachment to the users allowed to see its request, never to others.</summary>
public static class DocumentEndpoints
{
    public static void MapDocumentEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/demandes/{numero}/pieces/{id:guid}", async (string numero, Guid id, HttpContext http, GuichetDbContext db, AttachmentStore store, CancellationToken ct) =>
        {
            var user = http.User;
            var doc = await RequestAccess.Visible(db, user).Where(r => r.Number == numero)
                .SelectMany(r => r.Documents).Where(d => d.Id == id)
                .FirstOrDefaultAsync(ct);
            // Draft attachments are the vendor's until « Confirmer »: the agency does not see them.
            if (doc is null || (doc.IsDraft && !user.IsVendor()) || !await store.ExistsAsync(doc.StorageKey, ct))
                return Results.NotFound();
            // Found infected by a later scan (« rescan »): kept for the record, never served again, to anyone.
            if (doc.IsQuarantined)
                return Results.Text(QuarantineMessage(doc.QuarantineSignature), "text/plain; charset=utf-8", statusCode: StatusCodes.Status410Gone);
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.CacheControl = "private, no-store";
            http.Response.Headers.ContentSecurityPolicy = Policy(doc.ContentType);
            // Inline so that « Consulter » opens the PDF or image; nosniff keeps the browser to the declared type.
            var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("inline");
            disposition.SetHttpFileName(doc.FileName);
            http.Response.Headers.ContentDisposition = disposition.ToString();
            var content = await store.OpenReadAsync(doc.StorageKey, ct);
            if (content is null) return Results.NotFound();
            return Results.File(content, doc.ContentType, enableRangeProcessing: true);
        }).RequireAuthorization().ExcludeFromDescription();

    /// <summary>Why a quarantined attachment is not served (the pages show the same flag beside it).</summary>
    public static string QuarantineMessage(string? signature) =>
        $"Cette pièce est en quarantaine (signature {signature}) : une analyse antivirus l'a détectée comme malveillante, elle n'est plus consultable.";

    private const string NothingLoads = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// The attachment's own policy: no script source at all, so that a hostile file (HTML/PDF polyglot…) cannot run
    /// script with the portal's origin even if a browser rendered it as something else than its declared type.
    /// Images are also sandboxed (opaque origin). PDFs are not: Safari's viewer refuses a sandboxed PDF (empty page or
    /// download) while Chromium renders it (checked with Chromium 156); they get what the browsers' viewers need
    /// (object-src 'self' for the plugin document, inline styles for Chromium's wrapper page), and nothing else.
    /// </summary>
    public static string Policy(string contentType) => contentType == "application/pdf"
        ? NothingLoads + "; object-src 'self'; img-src 'self'; style-src 'unsafe-inline'"
        : "sandbox; " + NothingLoads + "; img-src 'self'; style-src 'unsafe-inline'";
}
