using System.Net;
using System.Text.RegularExpressions;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>
/// The portal in Production behind a TLS-terminating proxy (10.0.0.5, or any address of 10.1.0.0/16): the proxy's
/// X-Forwarded-Proto is believed, nobody else's (loopback included); HSTS, redirection to HTTPS, Secure cookies.
/// </summary>
public sealed partial class ProxyTests(ProxyTests.ProxiedApp app) : IClassFixture<ProxyTests.ProxiedApp>
{
    private const string Proxy = "10.0.0.5";
    private const string Password = "Mot-de-passe-du-proxy-1";

    /// <summary>Production, no demo data, known proxies configured; the test server has no remote address of its
    /// own, so each request says which one it comes from (header X-Test-Remote-Address, read before the app).</summary>
    public sealed class ProxiedApp : GuichetApp
    {
        protected override string Provider => "Sqlite";
        protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment("Production");
            builder.UseSetting("ReverseProxy:KnownProxies:0", Proxy);
            builder.UseSetting("ReverseProxy:KnownNetworks:0", "10.1.0.0/16");
            builder.ConfigureTestServices(s => s.AddSingleton<IStartupFilter, RemoteAddress>());
        }

        private sealed class RemoteAddress : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => a =>
            {
                a.Use((c, n) =>
                {
                    c.Connection.RemoteIpAddress = IPAddress.Parse(c.Request.Headers["X-Test-Remote-Address"].FirstOrDefault() ?? "203.0.113.9");
                    return n(c);
                });
                next(a);
            };
        }

        /// <summary>A client without cookie jar (cookies are read and sent by hand), on a public host name (HSTS is never sent for localhost).</summary>
        public HttpClient From(string address, string? forwardedProto)
        {
            var client = new HttpClient(Server.CreateHandler()) { BaseAddress = new Uri("http://guichet.example.fr/") };
            client.DefaultRequestHeaders.Add("X-Test-Remote-Address", address);
            if (forwardedProto is not null) client.DefaultRequestHeaders.Add("X-Forwarded-Proto", forwardedProto);
            return client;
        }
    }

    [Theory]
    [InlineData(Proxy)]
    [InlineData("10.1.42.7")]
    public async Task Through_a_known_proxy_over_HTTPS_HSTS_is_sent_and_every_cookie_is_Secure(string proxy)
    {
        var client = app.From(proxy, "https");
        var page = await client.GetAsync("/connexion");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("max-age=", page.Headers.GetValues("Strict-Transport-Security").Single());
        var antiforgery = Cookie(page, "guichet-af");
        Assert.Contains("secure", antiforgery, StringComparison.OrdinalIgnoreCase);

        // Sign in: the session cookie (and any other cookie written on the way) is Secure too.
        var email = $"proxy-{Guid.NewGuid():N}@asp.test";
        await app.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<Guichet.Accounts.AccountAdmin>()
            .CreateAsync(email, "Claire Petit", "Gestionnaire", null, Password);
        var token = Token().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/connexion")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
                { ["Email"] = email, ["Password"] = Password, ["__RequestVerificationToken"] = token }),
        };
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        var signedIn = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Contains("secure", Cookie(signedIn, "guichet"), StringComparison.OrdinalIgnoreCase);
        Assert.All(signedIn.Headers.GetValues("Set-Cookie"), c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_session_opened_through_the_proxy_records_the_clients_forwarded_address()
    {
        var client = app.From(Proxy, "https");
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.23");
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0 " + new string('x', 400));
        var page = await client.GetAsync("/connexion");
        var email = $"proxy-{Guid.NewGuid():N}@asp.test";
        await app.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<Guichet.Accounts.AccountAdmin>()
            .CreateAsync(email, "Claire Petit", "Gestionnaire", null, Password);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/connexion")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
                { ["Email"] = email, ["Password"] = Password, ["__RequestVerificationToken"] = Token().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value }),
        };
        post.Headers.Add("Cookie", Cookie(page, "guichet-af").Split(';')[0]);
        Assert.Equal(HttpStatusCode.Redirect, (await client.SendAsync(post)).StatusCode);

        var session = await app.Db(db => db.UserSessions.SingleAsync(s => db.Users.Any(u => u.Id == s.UserId && u.Email == email)));
        Assert.Equal("198.51.100.23", session.IpAddress);
        Assert.Equal(Guichet.Accounts.UserSession.UserAgentLength, session.UserAgent!.Length);
        Assert.StartsWith("Mozilla/5.0 (X11; Linux x86_64", session.UserAgent);
    }

    [Fact]
    public async Task Plain_HTTP_through_the_proxy_is_redirected_to_HTTPS_but_the_health_probe_is_answered()
    {
        var client = app.From(Proxy, "http");
        var page = await client.GetAsync("/connexion");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, page.StatusCode);
        Assert.Equal("https://guichet.example.fr/connexion", page.Headers.Location!.ToString());
        Assert.False(page.Headers.Contains("Set-Cookie"));

        var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(health.Headers.Contains("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData("203.0.113.9")]
    [InlineData("127.0.0.1")] // loopback is trusted by ASP.NET's defaults, not here
    [InlineData("10.2.0.1")]
    public async Task From_an_unknown_address_the_forwarded_scheme_is_ignored(string address)
    {
        var page = await app.From(address, "https").GetAsync("/connexion");
        // Taken for what it is, plain HTTP: redirected, no HSTS, no cookie.
        Assert.Equal(HttpStatusCode.TemporaryRedirect, page.StatusCode);
        Assert.StartsWith("https://", page.Headers.Location!.ToString());
        Assert.False(page.Headers.Contains("Strict-Transport-Security"));
        Assert.False(page.Headers.Contains("Set-Cookie"));
    }

    private static string Cookie(HttpResponseMessage response, string name) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name + "=", StringComparison.Ordinal));

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
