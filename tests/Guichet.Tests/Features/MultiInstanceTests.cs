using System.Net;
using System.Text.RegularExpressions;
using Guichet.Data;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Guichet.Tests.Features;

/// <summary>Two instances on one PostgreSQL database: a cookie and an antiforgery token from one are honoured by the other.</summary>
public sealed partial class MultiInstanceTests(PostgresApp first) : IClassFixture<PostgresApp>
{
    private sealed class SecondInstance(string connectionString) : GuichetApp
    {
        protected override string Provider => "Postgres";
        protected override Task<string> ConnectionStringAsync() => Task.FromResult(connectionString);
    }

    // A hand-held cookie jar, so that exactly the cookies of one instance are shown to the other.
    private readonly Dictionary<string, string> _jar = [];

    private void Keep(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies)) return;
        foreach (var pair in cookies.Select(c => c.Split(';')[0].Split('=', 2))) _jar[pair[0]] = pair[1];
    }

    private string Cookies() => string.Join("; ", _jar.Select(kv => kv.Key + "=" + kv.Value));

    private static HttpClient Raw(GuichetApp app) =>
        app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });

    [Fact]
    public async Task A_session_and_a_form_token_from_one_instance_work_on_another()
    {
        string connection;
        using (var scope = first.Services.CreateScope())
            connection = scope.ServiceProvider.GetRequiredService<GuichetDbContext>().Database.GetConnectionString()!;
        await using var second = new SecondInstance(connection);
        await second.InitializeAsync();

        // Sign in on the first instance (form token and cookie from the first instance too).
        var a = Raw(first);
        var loginPage = await a.GetAsync("/connexion");
        Keep(loginPage);
        var token = Token().Match(await loginPage.Content.ReadAsStringAsync()).Groups[1].Value;
        var login = new HttpRequestMessage(HttpMethod.Post, "/connexion")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Email"] = "editeur@agendapro.test", ["Password"] = "Guichet-Demo-2026!", ["__RequestVerificationToken"] = token,
            }),
        };
        login.Headers.Add("Cookie", Cookies());
        var signedIn = await a.SendAsync(login);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Keep(signedIn);

        // The second instance knows the session…
        var b = Raw(second);
        var tracking = new HttpRequestMessage(HttpMethod.Get, "/demandes");
        tracking.Headers.Add("Cookie", Cookies());
        var page = await b.SendAsync(tracking);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Camille Durand", await page.Content.ReadAsStringAsync());

        // …and accepts a form token issued by the first one.
        var tokensPage = new HttpRequestMessage(HttpMethod.Get, "/compte/jetons");
        tokensPage.Headers.Add("Cookie", Cookies());
        var fromFirst = await a.SendAsync(tokensPage);
        Keep(fromFirst);
        var formToken = Token().Match(await fromFirst.Content.ReadAsStringAsync()).Groups[1].Value;
        var post = new HttpRequestMessage(HttpMethod.Post, "/compte/jetons?handler=Create")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Name"] = "Deux instances", ["__RequestVerificationToken"] = formToken }),
        };
        post.Headers.Add("Cookie", Cookies());
        var created = await b.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Contains("Jeton « Deux instances » créé", Readable.Of(await created.Content.ReadAsStringAsync()));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
