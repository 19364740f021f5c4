using Guichet.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Support;

public static class Contexts
{
    /// <summary>A context on the app's database (its provider, its options) that also runs <paramref name="interceptor"/>.</summary>
    public static GuichetDbContext WithInterceptor(IServiceProvider services, DbCommandInterceptor interceptor) =>
        services.GetRequiredService<GuichetDbContext>() switch
        {
            SqliteGuichetDbContext => new SqliteGuichetDbContext(new DbContextOptionsBuilder<SqliteGuichetDbContext>(
                services.GetRequiredService<DbContextOptions<SqliteGuichetDbContext>>()).AddInterceptors(interceptor).Options),
            _ => new PostgresGuichetDbContext(new DbContextOptionsBuilder<PostgresGuichetDbContext>(
                services.GetRequiredService<DbContextOptions<PostgresGuichetDbContext>>()).AddInterceptors(interceptor).Options),
        };
}
