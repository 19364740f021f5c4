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

/// <summary>Section « Storage »: where attachments are kept, outside the web root.</summary>
public sealed class StorageOptions
{
    [Required] public string Path { get; set; } = "data/pieces";
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
