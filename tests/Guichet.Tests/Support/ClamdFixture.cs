using Guichet.Testing;

namespace Guichet.Tests.Support;

/// <summary>The test run's own clamd (the shared <see cref="ClamdServer"/> of tests/Shared), for the antivirus tests' collection.</summary>
public sealed class ClamdFixture : IAsyncLifetime
{
    private ClamdServer? _server;

    public ClamdServer Server => _server ?? throw new InvalidOperationException("clamd n'est pas démarré.");

    public async ValueTask InitializeAsync() =>
        _server = await ClamdServer.StartAsync("guichet-clamd-", "lancez ./test.sh, qui l'installe.");

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
