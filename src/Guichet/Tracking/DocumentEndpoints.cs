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
            if (doc is null || (doc.IsDraft && !user.IsVendor()) || !store.Exists(doc.StorageKey))
                return Results.NotFound();
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.CacheControl = "private, no-store";
            // Inline so that « Consulter » opens the PDF or image; nosniff keeps the browser to the declared type.
            var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("inline");
            disposition.SetHttpFileName(doc.FileName);
            http.Response.Headers.ContentDisposition = disposition.ToString();
            return Results.File(store.OpenRead(doc.StorageKey), doc.ContentType, enableRangeProcessing: true);
        }).RequireAuthorization().ExcludeFromDescription();
}
