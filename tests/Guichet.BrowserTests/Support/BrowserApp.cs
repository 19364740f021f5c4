using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Guichet.BrowserTests.Support.BrowserApp))]

namespace Guichet.BrowserTests.Support;

/// <summary>
/// The portal on a real Kestrel listener (127.0.0.1, free port) on SQLite with the demo data, and Debian's Chromium
/// driven by Playwright (never a downloaded browser). One per test run; each test takes a fresh browser context.
/// </summary>
public sealed class BrowserApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "guichet-browser-" + Guid.NewGuid().ToString("N")[..8]);
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";

    /// <summary>Where screenshots are saved (kept as test artifacts).</summary>
    public static string ArtifactsFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "captures");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        Directory.CreateDirectory(ArtifactsFolder);
        UseKestrel(0);
        StartServer();
        BaseUrl = ClientOptions.BaseAddress.ToString().TrimEnd('/');

        _playwright = await Playwright.CreateAsync();
        // Generous bounds for readiness waits, never timing assertions: in CI both test projects share 2 cores, and pages
        // have taken more than 30 s to load there.
        Assertions.SetDefaultExpectTimeout(30_000);
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
        });
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Database:Provider", "Sqlite");
        builder.UseSetting("ConnectionStrings:Guichet", $"Data Source={Path.Combine(_folder, "guichet.db")}");
        builder.UseSetting("Database:MigrateOnStart", "true");
        builder.UseSetting("Demo:SeedOnStart", "true");
        builder.UseSetting("Storage:Path", Path.Combine(_folder, "pieces"));
        builder.UseSetting("Email:PickupDirectory", Path.Combine(_folder, "mail"));
        builder.UseSetting("Workers:Enabled", "false");
        builder.UseSetting("RateLimits:Enabled", "false"); // the limits are tested in Guichet.Tests (RateLimitTests)
        builder.UseSetting("TwoFactor:RequiredForAgency", "false"); // the journeys sign in as the demo agency accounts
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "None");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.DataProtection", "Error");
        builder.UseUrls("http://127.0.0.1:0");
    }

    /// <summary>A fresh, isolated browser context (cookies, storage) with French locale and Paris time zone;
    /// optionally starting from a saved storage state (an account already signed in).</summary>
    public async Task<IPage> NewPage(string? storageState = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl, Locale = "fr-FR", TimezoneId = "Europe/Paris", ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            StorageState = storageState,
        });
        context.SetDefaultTimeout(90_000);
        context.SetDefaultNavigationTimeout(90_000);
        return await context.NewPageAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
