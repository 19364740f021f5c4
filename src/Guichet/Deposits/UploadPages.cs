using Guichet.Hosting;

namespace Guichet.Deposits;

public sealed record UploadFieldsModel(string? JsonError, string? ZipError)
{
    public static UploadFieldsModel From(IEnumerable<ErrorItem> errors) => new(
        errors.FirstOrDefault(e => e.Chemin == "json")?.Message, errors.FirstOrDefault(e => e.Chemin == "zip")?.Message);
}
