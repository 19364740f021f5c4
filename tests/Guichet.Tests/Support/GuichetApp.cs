using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Guichet.Demo;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(Guichet.Tests.Support.PostgresFixture))]

namespace Guichet.Tests.Support;

/// <summary>The portal in-process on one provider, migrated and seeded with the demo data, with its own folders.</summary>
public abstract partial class GuichetApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    protected readonly string Folder = Path.Combine(Path.GetTempPath(), "guichet-test-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A SQLite database file of this app's own, in its folder.</summary>
    protected Task<string> SqliteFileAsync()
    {
        Directory.CreateDirectory(Folder);
        return Task.FromResult($"Data Source={Path.Combine(Folder, "guichet.db")}");
    }
    protected abstract string Provider { get; }
    protected abstract Task<string> ConnectionStringAsync();
    private string _connectionString = "";

    /// <summary>The app's clock: it starts at the real time once, then moves only when a test moves it.</summary>
    public TestClock Clock { get; } = new(TimeProvider.System.GetUtcNow());

    public string StoragePath => Path.Combine(Folder, "pieces");
    public string MailPath => Path.Combine(Folder, "mail");

    public async ValueTask InitializeAsync()
    {
        await StartDependenciesAsync();
        _connectionString = await ConnectionStringAsync();
        // Starting the host applies the migrations and seeds the demo data, as a developer's first run would.
        _ = Services;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Database:Provider", Provider);
        builder.UseSetting("ConnectionStrings:Guichet", _connectionString);
        builder.UseSetting("Database:MigrateOnStart", "true");
        builder.UseSetting("Demo:SeedOnStart", "true");
        builder.UseSetting("Storage:Path", StoragePath);
        builder.UseSetting("Email:PickupDirectory", MailPath);
        builder.UseSetting("Workers:Enabled", "false");
        // The look at stale deposit jobs runs once at start: the tests that need it call DepositRunner.TakeOverStaleAsync.
        builder.UseSetting("Deposits:CheckSeconds", "86400");
        builder.UseSetting("Deposits:MaxJsonBytes", (8 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Tests sign in, ask for resets and call the API far more often than anyone would: the limits are out of their way
        // here, and RateLimitTests checks them on an app of their own with small limits.
        foreach (var limit in new[] { "SignInPerAddress", "SignInPerSource", "ForgotPasswordPerAddress", "ForgotPasswordPerSource", "ApiPerUser", "SimulationsPerOrganisation", "TwoFactorPerUser" })
            builder.UseSetting($"RateLimits:{limit}:Permits", "1000000");
        // The demo agency accounts sign in with their password alone here; TwoFactorTests turns the requirement on.
        builder.UseSetting("TwoFactor:RequiredForAgency", "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "None");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.DataProtection", "Error");
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>Runs an administration verb (<c>dotnet Guichet.dll verb</c>) as an operator would, on this app's database and folders.</summary>
    public Task<(int ExitCode, string Output, string Error)> RunVerbAsync(string verb, params string[] args) => RunVerbWithAsync([], verb, args);

    /// <summary>The same with <paramref name="settings"/> (« Section:Key ») over this app's own, e.g. a scanner that does not answer.</summary>
    public async Task<(int ExitCode, string Output, string Error)> RunVerbWithAsync((string Key, string Value)[] settings, string verb, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet")
            { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Guichet.dll"));
        psi.ArgumentList.Add(verb);
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Database__Provider"] = Provider;
        psi.Environment["ConnectionStrings__Guichet"] = _connectionString;
        psi.Environment["Storage__Path"] = StoragePath;
        psi.Environment["Email__PickupDirectory"] = MailPath;
        psi.Environment["Workers__Enabled"] = "false";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in VerbSettings().Concat(settings)) psi.Environment[key.Replace(":", "__")] = value;
        using var process = System.Diagnostics.Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts what the app needs before its host (e.g. the S3 server of the S3 apps).</summary>
    protected virtual ValueTask StartDependenciesAsync() => default;

    /// <summary>How many files the app holds: on disk (attachments and working folders), and in its bucket for the S3 apps.</summary>
    public virtual Task<int> StoredFilesAsync() => Task.FromResult(Directory.Exists(StoragePath)
        ? Directory.GetFiles(StoragePath, "*", SearchOption.AllDirectories).Length : 0);

    /// <summary>Settings this app adds to its verbs' process, as « Section:Key » (e.g. the antivirus of the scanned apps).</summary>
    protected virtual IEnumerable<(string Key, string Value)> VerbSettings() => [];

    private readonly List<string> _contractViolations = [];
    private Task<ApiContract>? _contract;

    /// <summary>The OpenAPI document this app serves, read once (through a client that checks nothing).</summary>
    public Task<ApiContract> ContractAsync() => _contract ??= LoadContract();

    private async Task<ApiContract> LoadContract() => new(await Server.CreateClient().GetStringAsync("/api/openapi/v1.json"));

    /// <summary>A client without redirects, keeping cookies; every /api/v1 answer it receives is checked against the OpenAPI document.</summary>
    public HttpClient Anonymous() => CreateDefaultClient(new Uri("http://localhost"),
        new ContractCheck(ContractAsync, _contractViolations), new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler());

    /// <summary>A client carrying a Bearer token.</summary>
    public HttpClient Bearer(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A browser-like client signed in through the « Se connecter » form.</summary>
    public async Task<HttpClient> SignedIn(string email, string password = DemoSeeder.Password)
    {
        var client = Anonymous();
        var response = await client.PostForm("/connexion", new() { ["Email"] = email, ["Password"] = password });
        if (response.StatusCode != System.Net.HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Connexion de {email} refusée : {(int)response.StatusCode}");
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        // Whatever the tests of this class did, the counter table must still agree with the requests.
        var wrong = await this.Db(db => Guichet.Data.RequestCounters.DifferencesAsync(db, default));
        await base.DisposeAsync();
        if (wrong.Count > 0)
            throw new InvalidOperationException("Compteurs de demandes faux après les tests de cette classe : "
                + string.Join(" ; ", wrong.Select(w => $"{w.Key} compté {w.Actual}, stocké {w.Stored}")));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
        // A violation that a test caught and swallowed still fails the class.
        if (_contractViolations.Count > 0)
            throw new ContractViolation(string.Join("\n", _contractViolations));
    }
}

public sealed class SqliteApp : GuichetApp
{
    protected override string Provider => "Sqlite";
    protected override Task<string> ConnectionStringAsync() => SqliteFileAsync();
}

public sealed class PostgresApp(PostgresFixture postgres) : GuichetApp
{
    protected override string Provider => "Postgres";
    protected override Task<string> ConnectionStringAsync() => postgres.CreateDatabaseAsync();
}

public static partial class HttpExtensions
{
    /// <summary>GETs the form page first for its antiforgery token (as a browser would), then posts the fields.</summary>
    public static async Task<HttpResponseMessage> PostForm(this HttpClient client, string url, Dictionary<string, string> fields, string? formPage = null)
    {
        var page = await client.GetStringAsync(formPage ?? url);
        var token = Token().Match(page);
        if (!token.Success) throw new InvalidOperationException($"Aucun jeton antiforgery sur {formPage ?? url}");
        var body = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token.Groups[1].Value };
        return await client.PostAsync(url, new FormUrlEncodedContent(body));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
