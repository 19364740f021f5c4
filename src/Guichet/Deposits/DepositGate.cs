using Guichet.Hosting;
using Microsoft.Extensions.Options;

namespace Guichet.Deposits;

/// <summary>
/// The one bound on large files checked at once (<see cref="DepositOptions.LargeChecksAtOnce"/>): each background deposit
/// and each large simulation holds a slot while its JSON is in memory, so the memory of large files does not grow with the
/// number of callers. Deposits wait as long as it takes; a simulation waits at most
/// <see cref="DepositOptions.SimulationWaitSeconds"/>, then is answered 503 with Retry-After.
/// </summary>
public sealed class DepositGate(IOptions<DepositOptions> options) : IDisposable
{
    public const string BusyMessage = "Trop de fichiers volumineux sont en cours de vérification. Réessayez dans quelques instants.";

    private readonly SemaphoreSlim _slots = new(options.Value.LargeChecksAtOnce, options.Value.LargeChecksAtOnce);
    private int _waiting, _running, _peak;

    public int Size => options.Value.LargeChecksAtOnce;
    /// <summary>Callers waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);
    /// <summary>Slots held now.</summary>
    public int Running => Volatile.Read(ref _running);
    /// <summary>Slots free now.</summary>
    public int Free => _slots.CurrentCount;
    /// <summary>The most slots ever held at once since the start (never above <see cref="Size"/>).</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>A slot for a background deposit: waits until one is free, or the host stops.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken ct) =>
        await TryEnterAsync(Timeout.InfiniteTimeSpan, ct) ?? throw new InvalidOperationException("Attente sans limite terminée sans place.");

    /// <summary>
    /// A slot for a large simulation, or <see cref="ServiceBusyException"/> when none came free in time. A caller whose
    /// request is cancelled while it waits gets <see cref="OperationCanceledException"/> and holds nothing.
    /// </summary>
    public async Task<IDisposable> EnterForSimulationAsync(CancellationToken ct) =>
        await TryEnterAsync(TimeSpan.FromSeconds(options.Value.SimulationWaitSeconds), ct) ?? throw new ServiceBusyException(BusyMessage);

    private async Task<IDisposable?> TryEnterAsync(TimeSpan wait, CancellationToken ct)
    {
        Interlocked.Increment(ref _waiting);
        bool entered;
        try { entered = await _slots.WaitAsync(wait, ct); }
        finally { Interlocked.Decrement(ref _waiting); }
        if (!entered) return null;
        var running = Interlocked.Increment(ref _running);
        for (var peak = Peak; running > peak; peak = Peak)
            if (Interlocked.CompareExchange(ref _peak, running, peak) == peak) break;
        return new Slot(this);
    }

    private void Exit()
    {
        Interlocked.Decrement(ref _running);
        _slots.Release();
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>Given back once, however many times it is disposed.</summary>
    private sealed class Slot(DepositGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Exit();
        }
    }
}
