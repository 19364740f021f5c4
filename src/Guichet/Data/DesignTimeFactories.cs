using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Guichet.Data;

// Used by `dotnet ef migrations add` only: each provider keeps its own migration set.
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteGuichetDbContext>
{
    public SqliteGuichetDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteGuichetDbContext>().UseSqlite("Data Source=design.db").Options);
}

public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresGuichetDbContext>
{
    public PostgresGuichetDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresGuichetDbContext>().UseNpgsql("Host=127.0.0.1;Database=design").Options);
}
