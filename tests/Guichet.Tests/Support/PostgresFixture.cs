using Guichet.Testing;

namespace Guichet.Tests.Support;

/// <summary>
/// The PostgreSQL cluster of the whole test run (the shared <see cref="PostgresCluster"/> of tests/Shared), one fresh
/// database per app.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;

    public async ValueTask InitializeAsync() =>
        _cluster = await PostgresCluster.StartAsync("guichet-pg-", "-c max_connections=300 -c shared_buffers=64MB",
            "Pooling=true;Maximum Pool Size=20", "lancez ./test.sh, qui l'installe.");

    public Task<string> CreateDatabaseAsync() =>
        (_cluster ?? throw new InvalidOperationException("Le cluster PostgreSQL n'est pas démarré."))
            .CreateDatabaseAsync("guichet_" + Guid.NewGuid().ToString("N")[..12]);

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}
