using Guichet.Testing;
using Microsoft.AspNetCore.Hosting;

namespace Guichet.Tests.Support;

/// <summary>
/// The portal with its attachments in a bucket of its own s3rver (<see cref="S3Server"/>), started before the host and
/// stopped after it; Storage:Path stays its local working folder. Parts of 5 MB, the smallest S3 allows, so that a file
/// of a few megabytes already goes through a multipart upload.
/// </summary>
public abstract class S3App : GuichetApp
{
    private S3Server? _s3;

    public S3Server S3 => _s3 ?? throw new InvalidOperationException("Le serveur S3 n'est pas démarré.");

    protected override async ValueTask StartDependenciesAsync() =>
        _s3 = await S3Server.StartAsync("guichet-s3-", "pieces", "lancez ./test.sh, qui l'installe");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        foreach (var (key, value) in S3.Settings()) builder.UseSetting(key, value);
    }

    protected override IEnumerable<(string Key, string Value)> VerbSettings() => S3.Settings();

    public override async Task<int> StoredFilesAsync() => await base.StoredFilesAsync() + (await S3.ObjectsAsync()).Count;

    public override async ValueTask DisposeAsync()
    {
        try { await base.DisposeAsync(); }
        finally { if (_s3 is not null) await _s3.DisposeAsync(); }
    }
}

public sealed class SqliteS3App : S3App
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
}

public sealed class PostgresS3App(PostgresFixture postgres) : S3App
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
}
