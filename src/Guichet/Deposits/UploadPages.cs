using Guichet.Hosting;

namespace Guichet.Deposits;

public sealed record UploadFieldsModel(string? JsonError, string? ZipError)
{
    public static UploadFieldsModel From(IEnumerable<ErrorItem> errors) => new(
        errors.FirstOrDefault(e => e.Chemin == "json")?.Message, errors.FirstOrDefault(e => e.Chemin == "zip")?.Message);

    /// <summary>The form's error summary: the file fields in error, linked to their inputs.</summary>
    public Guichet.Pages.Shared.ErrorSummary Summary(string? intro) =>
        Guichet.Pages.Shared.ErrorSummary.Of(intro, (JsonError, "json"), (ZipError, "zip"));
}
