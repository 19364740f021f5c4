using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>The checks on the two uploaded files common to the page and the API, before anything is read.</summary>
public static class DepositUploads
{
    public static List<ErrorItem> Check(IFormFile? json, IFormFile? zip, DepositOptions deposits, AttachmentOptions files)
    {
        var errors = new List<ErrorItem>();
        if (json is null || json.Length == 0)
            errors.Add(new("json", null, "Joignez le fichier JSON des demandes (champ « json »)."));
        else if (json.Length > deposits.MaxJsonBytes)
            errors.Add(new("json", null, $"Le fichier JSON dépasse la taille maximale de {Fr.Size(deposits.MaxJsonBytes)}."));
        else if (!json.FileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            errors.Add(new("json", null, "Le fichier des demandes doit être un fichier .json."));
        if (zip is not null && zip.Length > 0)
        {
            if (zip.Length > files.MaxZipBytes)
                errors.Add(new("zip", null, $"L'archive ZIP dépasse la taille maximale de {Fr.Size(files.MaxZipBytes)}."));
            else if (!zip.FileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                errors.Add(new("zip", null, "Les pièces justificatives doivent être réunies dans une archive .zip."));
        }
        return errors;
    }

    /// <summary>The largest body a deposit may have: the ZIP, the JSON and some room for the multipart framing.</summary>
    public static long MaxBody(IConfiguration configuration)
    {
        var files = configuration.GetSection("Attachments").Get<AttachmentOptions>() ?? new AttachmentOptions();
        var deposits = configuration.GetSection("Deposits").Get<DepositOptions>() ?? new DepositOptions();
        return files.MaxZipBytes + deposits.MaxJsonBytes + 1024 * 1024;
    }

    /// <summary>The depositor's organisation, tracked (requests are attached to it).</summary>
    public static Task<Domain.Organisation?> OrganisationAsync(GuichetDbContext db, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct) =>
        user.OrganisationId() is { } id && user.IsVendor()
            ? db.Organisations.FirstOrDefaultAsync(o => o.Id == id, ct)
            : Task.FromResult<Domain.Organisation?>(null);

    /// <summary>The simulator reads the ZIP from a temporary file that is deleted afterwards.</summary>
    public static async Task<DepositResult> SimulateAsync(DepositService service, AttachmentStore store, Domain.Organisation org,
        IFormFile json, IFormFile? zip, CancellationToken ct)
    {
        var bytes = new byte[json.Length];
        await using (var s = json.OpenReadStream()) await s.ReadExactlyAsync(bytes, ct);
        string? zipPath = null;
        try
        {
            if (zip is { Length: > 0 })
            {
                zipPath = Path.Combine(store.Root, "_simulations", Guid.NewGuid().ToString("N") + ".zip");
                Directory.CreateDirectory(Path.GetDirectoryName(zipPath)!);
                await using var target = File.Create(zipPath);
                await zip.CopyToAsync(target, ct);
            }
            return await service.SimulateAsync(org, bytes, zipPath, ct);
        }
        finally
        {
            if (zipPath is not null) File.Delete(zipPath);
        }
    }
}
