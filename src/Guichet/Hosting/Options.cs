using System.ComponentModel.DataAnnotations;

namespace Guichet.Hosting;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>Section « Database ». The provider is chosen by this one key, never guessed.</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    /// <summary>Apply migrations at start (default: Development only).</summary>
    public bool? MigrateOnStart { get; set; }
}

public enum StorageProvider { FileSystem, S3 }

/// <summary>
/// Section « Storage »: where attachments are kept, outside the web root. <see cref="Provider"/> chooses the disk
/// (<see cref="Path"/>) or an S3-compatible bucket (<see cref="S3"/>); <see cref="Path"/> stays the local working folder
/// of uploads and deposits in both.
/// </summary>
public sealed class StorageOptions
{
    public StorageProvider Provider { get; set; } = StorageProvider.FileSystem;
    [Required] public string Path { get; set; } = "data/pieces";
    public S3StorageOptions S3 { get; set; } = new();

    /// <summary>What is wrong with the settings, in French (one line each); none for the disk.</summary>
    public IEnumerable<string> Errors()
    {
        if (Provider != StorageProvider.S3) yield break;
        if (string.IsNullOrWhiteSpace(S3.Bucket)) yield return "Storage:S3:Bucket (nom du compartiment) est requis quand Storage:Provider vaut S3.";
        if (string.IsNullOrWhiteSpace(S3.ServiceUrl) && string.IsNullOrWhiteSpace(S3.Region))
            yield return "Storage:S3:ServiceUrl (adresse du service) ou Storage:S3:Region est requis quand Storage:Provider vaut S3.";
        if (!string.IsNullOrWhiteSpace(S3.ServiceUrl) && !Uri.TryCreate(S3.ServiceUrl, UriKind.Absolute, out _))
            yield return $"Storage:S3:ServiceUrl « {S3.ServiceUrl} » n'est pas une adresse absolue (http://… ou https://…).";
        if (string.IsNullOrWhiteSpace(S3.AccessKey) != string.IsNullOrWhiteSpace(S3.SecretKey))
            yield return "Storage:S3:AccessKey et Storage:S3:SecretKey vont ensemble : donnez les deux, ou aucun (identifiants de l'environnement).";
        if (S3.PartSizeMegabytes is < 5 or > 512)
            yield return "Storage:S3:PartSizeMegabytes doit être compris entre 5 et 512 (taille des parties d'un envoi en plusieurs parties).";
        if (S3.TimeoutSeconds is < 1 or > 3600)
            yield return "Storage:S3:TimeoutSeconds doit être compris entre 1 et 3600 (délai d'attente d'une requête au service S3).";
        if (S3.Prefix.Length > 0 && !S3.Prefix.EndsWith('/')) yield return "Storage:S3:Prefix doit se terminer par « / » (ex. « guichet/ »).";
    }
}

/// <summary>Each wrong or missing Storage setting is named, in French, when the portal refuses to start.</summary>
public sealed class StorageValidation : Microsoft.Extensions.Options.IValidateOptions<StorageOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, StorageOptions options) =>
        options.Errors().ToList() is { Count: > 0 } errors
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors) : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}

/// <summary>Section « Storage:S3 »: any S3-compatible service (AWS, Scaleway, OVHcloud, MinIO, Ceph…).</summary>
public sealed class S3StorageOptions
{
    public string Bucket { get; set; } = "";
    /// <summary>The service's address (e.g. https://s3.fr-par.scw.cloud); empty for AWS itself, found from <see cref="Region"/>.</summary>
    public string ServiceUrl { get; set; } = "";
    public string Region { get; set; } = "";
    /// <summary>Empty: the SDK's own chain (environment variables, instance role…).</summary>
    public string AccessKey { get; set; } = "";
    public string SecretKey { get; set; } = "";
    /// <summary>Addresses as <c>service/bucket/key</c> rather than <c>bucket.service/key</c> (MinIO, most self-hosted services).</summary>
    public bool ForcePathStyle { get; set; }
    /// <summary>Prepended to every object key, to share a bucket (e.g. « guichet/ »).</summary>
    public string Prefix { get; set; } = "";
    /// <summary>The size of each part of a multipart upload, and of the one buffer a file upload holds.</summary>
    public int PartSizeMegabytes { get; set; } = 8;
    /// <summary>How long one request to the service may take (a part upload included); connecting is given 5 s at most.</summary>
    public int TimeoutSeconds { get; set; } = 30;
}

/// <summary>Section « Workers »: background loops (deadline sweep, e-mail dispatch).</summary>
public sealed class WorkersOptions
{
    public bool Enabled { get; set; } = true;
}

/// <summary>Section « Demo »: demonstration data, never in Production.</summary>
public sealed class DemoOptions
{
    public bool? SeedOnStart { get; set; }
}

/// <summary>
/// Validation of a section whose options list their own errors in French: the start is refused with the section's
/// heading followed by each wrong setting, so that the operator reads which key to fix.
/// </summary>
public static class OptionsErrors
{
    public static Microsoft.Extensions.Options.OptionsBuilder<T> ValidateErrors<T>(this Microsoft.Extensions.Options.OptionsBuilder<T> builder,
        Func<T, IEnumerable<string>> errors, string heading) where T : class
    {
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<T>>(new ErrorsValidation<T>(builder.Name, errors, heading));
        return builder;
    }

    private sealed class ErrorsValidation<T>(string name, Func<T, IEnumerable<string>> errors, string heading)
        : Microsoft.Extensions.Options.IValidateOptions<T> where T : class
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? optionsName, T options)
        {
            if (optionsName != name) return Microsoft.Extensions.Options.ValidateOptionsResult.Skip;
            var lines = errors(options).ToList();
            return lines.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
                : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(heading + " : " + string.Join(" ", lines));
        }
    }
}
