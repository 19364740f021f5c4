using Guichet.Domain;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Hosting;

/// <summary>Unexpected errors and bare status codes become French messages: Problem Details on the API, a page elsewhere.</summary>
public static class ErrorHandling
{
    public static void Handle(IApplicationBuilder errorApp) => errorApp.Run(async context =>
    {
        var error = context.Features.Get<IExceptionHandlerPathFeature>();
        var (status, message) = Classify(error?.Error);
        var isApi = (error?.Path ?? context.Request.Path.Value ?? "").StartsWith("/api", StringComparison.Ordinal);
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Guichet.Errors");
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            // The database, a bounded queue of the portal, the scanner or the storage is away or busy: the client is told when to come back; the log says why, without alarm.
            if (error?.Error is Guichet.Storage.StorageUnavailableException storage)
                logger.LogWarning("Service momentanément indisponible sur {Path} : stockage des pièces injoignable ({Detail})", error.Path, storage.Detail);
            else
                logger.LogWarning("Service momentanément indisponible sur {Path} (base de données injoignable ou occupée, file pleine ou antivirus injoignable) : {Error}",
                    error?.Path, Describe(error?.Error));
            context.Response.Headers.RetryAfter = TransientFailures.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (status >= 500)
            logger.LogError(error?.Error, "Erreur non gérée sur {Path}", error?.Path);
        if (isApi)
        {
            await Problems.Write(context, status, Problems.TitleFor(status), message);
            return;
        }
        await WritePageAsync(context, status, message);
    });

    public static async Task ApiStatusCode(StatusCodeContext context)
    {
        var status = context.HttpContext.Response.StatusCode;
        await Problems.Write(context.HttpContext, status, Problems.TitleFor(status), DetailFor(status));
    }

    public static (int Status, string Message) Classify(Exception? e) => e switch
    {
        BadHttpRequestException b when b.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            (413, "Le contenu envoyé dépasse la taille maximale autorisée."),
        BadHttpRequestException b => (b.StatusCode, "La requête est mal formée."),
        ArgumentException when ThrownByFormReader(e) => (400, "Le formulaire multipart est mal formé."),
        Refusal r => (Problems.StatusOf(r.Kind), r.Message),
        DbUpdateConcurrencyException => (409, "La demande a été modifiée par quelqu'un d'autre entre-temps. Rechargez la page et recommencez."),
        OperationCanceledException => (400, "La requête a été interrompue."),
        ServiceBusyException busy => (503, busy.Message),
        Guichet.Antivirus.ScannerUnavailableException scanner => (503, scanner.Message),
        // Before the transient check: a storage timeout wraps a TimeoutException, and is not the database.
        Guichet.Storage.StorageUnavailableException storage => (503, storage.Message),
        _ when TransientFailures.Is(e) => (503, TransientFailures.Message),
        _ => (500, "Une erreur inattendue est survenue. Réessayez plus tard ; si elle persiste, contactez l'assistance."),
    };

    // ASP.NET Core's form reader throws ArgumentNullException on a part whose RFC 5987 file name has no value
    // (« filename* » of a header cut short): bad input, wherever the form is read (antiforgery, model binding).
    private static bool ThrownByFormReader(Exception e) =>
        new System.Diagnostics.StackTrace(e).GetFrames().Any(f =>
            f.GetMethod()?.DeclaringType?.FullName?.StartsWith("Microsoft.AspNetCore.Http.Features.FormFeature", StringComparison.Ordinal) == true);

    public static string DetailFor(int status) => status switch
    {
        400 => "La requête est mal formée.",
        401 => "Authentification requise.",
        403 => "Votre rôle ne permet pas cette action.",
        404 => "La ressource demandée n'existe pas ou ne vous est pas accessible.",
        405 => "Cette méthode n'est pas acceptée à cette adresse.",
        413 => "Le contenu envoyé dépasse la taille maximale autorisée.",
        415 => "Ce type de contenu n'est pas accepté.",
        503 => TransientFailures.Message,
        _ => "Une erreur est survenue.",
    };

    // The exception and what it wraps, one line: « NpgsqlException: … ← SocketException: Connection refused ».
    private static string Describe(Exception? e)
    {
        var parts = new List<string>();
        for (; e is not null && parts.Count < 4; e = e.InnerException) parts.Add($"{e.GetType().Name}: {e.Message}");
        return string.Join(" ← ", parts);
    }

    /// <summary>A static French error page (used where no Razor page renders, e.g. a rate-limit refusal).</summary>
    public static Task WritePageAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(ErrorPageHtml(status, message));
    }

    // French text as is (« Réessayez », not « R&#233;essayez »), markup characters still encoded.
    private static readonly System.Text.Encodings.Web.HtmlEncoder Html =
        System.Text.Encodings.Web.HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    // Static fallback used when the error happens before (or during) page rendering.
    private static string ErrorPageHtml(int status, string message) => $"""
        <!DOCTYPE html>
        <html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Erreur {status} — Guichet Ségur numérique</title>
        <link rel="stylesheet" href="/lib/bootstrap/css/bootstrap.min.css"><link rel="stylesheet" href="/css/theme.css"></head>
        <body><main class="container py-5" id="contenu"><h1>{Problems.TitleFor(status)}</h1>
        <p>{Html.Encode(message)}</p><p><a href="/">Retour à l'accueil</a></p></main></body></html>
        """;
}
