using Guichet.Accounts;
using Guichet.Hosting;

namespace Guichet.Api;

/// <summary>The <c>/api/v1</c> group: Bearer tokens, no antiforgery, and the one place where a refused action becomes Problem Details.</summary>
public static class ApiV1
{
    /// <summary>Upload limit of a single attachment sent alone (the file itself is checked against Attachments:MaxFileBytes).</summary>
    public const long MaxAttachmentBody = 64L * 1024 * 1024;

    public static RouteGroupBuilder MapApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName).RequireAuthenticatedUser())
            .DisableAntiforgery();
        group.AddEndpointFilter(async (context, next) =>
        {
            try { return await next(context); }
            catch (Refusal refusal) { return Problems.Result(refusal); }
        });
        return group;
    }

    /// <summary>Only these roles reach the endpoint; anyone else gets a French 403.</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder endpoint, params string[] roles) where TBuilder : IEndpointConventionBuilder =>
        endpoint.RequireAuthorization(p => p.AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName).RequireRole(roles));

    /// <summary>A small multipart form (one attachment and its type); anything else is a French 4xx.</summary>
    public static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasFormContentType)
            throw Refusal.Unsupported("Envoyez un formulaire multipart avec les champs « type » et « fichier ».");
        try
        {
            return await request.ReadFormAsync(ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw Refusal.TooLarge("Le contenu envoyé dépasse la taille maximale autorisée.");
        }
        // ArgumentException: a part's « filename* » without a value (a header cut short) makes the form reader's decoder throw.
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException or ArgumentException)
        {
            throw Refusal.Invalid("Le formulaire multipart est mal formé ou trop volumineux.");
        }
    }
}
