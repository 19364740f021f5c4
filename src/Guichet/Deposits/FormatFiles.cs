namespace Guichet.Deposits;

/// <summary>The published format v1: JSON Schema, blank template and example, served from the assembly.</summary>
public static class FormatFiles
{
    public static readonly string[] Names = ["schema.json", "modele-vierge.json", "exemple.json"];

    public static Stream Open(string name) =>
        typeof(FormatFiles).Assembly.GetManifestResourceStream("Format." + name) ?? throw new FileNotFoundException(name);

    public static void MapFormatFiles(this IEndpointRouteBuilder app)
    {
        foreach (var name in Names)
            app.MapGet("/format/" + name, (HttpContext http) =>
            {
                http.Response.Headers.CacheControl = "public, max-age=3600";
                var disposition = name == "schema.json" ? "inline" : "attachment";
                http.Response.Headers.ContentDisposition = $"{disposition}; filename=\"{name}\"";
                return Results.Stream(Open(name), "application/json; charset=utf-8");
            }).AllowAnonymous().ExcludeFromDescription();
    }
}
