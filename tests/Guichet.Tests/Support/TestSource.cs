using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Support;

/// <summary>
/// Test-only header « X-Test-Source » setting the client's address, so that each test has sources of its own (rate
/// limits per source, the security journal's « source »). Added to a test app with <see cref="AddTestSource"/>.
/// </summary>
public static class TestSource
{
    public const string Header = "X-Test-Source";

    public static IServiceCollection AddTestSource(this IServiceCollection services) => services.AddTransient<IStartupFilter, Filter>();

    private sealed class Filter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[Header], out var ip)) context.Connection.RemoteIpAddress = ip;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
