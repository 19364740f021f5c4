using Guichet.Domain;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>
/// « Simuler » for the page and the API: the verdict of a deposit of the uploaded files, nothing stored. A large upload
/// is checked under a slot of the <see cref="DepositGate"/>, shared with background deposits, so that its JSON is read into
/// memory only when a slot is free; the answer stays synchronous.
/// </summary>
public sealed class SimulateUpload(DepositService service, DepositGate gate, IOptions<DepositOptions> options)
{
    public async Task<DepositResult> RunAsync(Organisation org, DepositUpload upload, CancellationToken ct)
    {
        var large = await DepositService.IsLargeAsync(options.Value, upload.JsonPath, upload.Json!.Length, upload.Zip?.Length ?? 0, ct);
        using var slot = large ? await gate.EnterForSimulationAsync(ct) : null;
        var json = await File.ReadAllBytesAsync(upload.JsonPath, ct);
        return await service.SimulateAsync(org, json, upload.Zip is null ? null : upload.ZipPath, ct);
    }
}
