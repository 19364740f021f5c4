using Guichet.Accounts;
using Guichet.Admin;
using Guichet.Api;
using Guichet.Data;
using Guichet.Demo;
using Guichet.Deposits;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Instruction;
using Guichet.Instruction.Bulk;
using Guichet.Requests;
using Guichet.Storage;
using Guichet.Telemetry;
using Guichet.Tracking;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using Microsoft.AspNetCore.Identity;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args.Where(a => !AdminVerbs.IsVerb(a)).ToArray());
var verb = AdminVerbs.Find(args);
var started = false;
// Whatever fails from here on (database unreachable for the migrations, invalid options checked at start…) is logged in
// French and ends the process with a non-zero code, never an unhandled crash nor a 0 (Hosting/Lifecycle.cs).
try
{
    var isDevelopment = builder.Environment.IsDevelopment();
    // Logs: JSON lines in Production, text elsewhere (Logging:Format); traces and metrics when Telemetry:* asks (Telemetry/).
    builder.Logging.AddConsoleIn(builder.Configuration, builder.Environment.EnvironmentName);
    builder.AddGuichetTelemetry();

    // Options, bound by section and validated on start.
    builder.Services.AddOptions<DatabaseOptions>().BindConfiguration("Database").ValidateOnStart();
    builder.Services.AddOptions<StorageOptions>().BindConfiguration("Storage").ValidateDataAnnotations().ValidateOnStart();
    builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<StorageOptions>, StorageValidation>();
    builder.Services.AddOptions<WorkersOptions>().BindConfiguration("Workers");
    builder.Services.AddOptions<DemoOptions>().BindConfiguration("Demo");
    builder.Services.AddOptions<TwoFactorOptions>().BindConfiguration(TwoFactorOptions.Section).ValidateOnStart();
    builder.Services.AddOptions<EmailOptions>().BindConfiguration("Email")
        .ValidateErrors(o => o.Errors(), "Configuration Email invalide (Email:From, Email:PortalUrl, Email:Smtp:Port, Email:PickupDirectory ou Email:Dispatch).")
        .ValidateOnStart();

    // Clock: « Clock:Offset » shifts time in Development only, to show J+10 and J+20.
    var offset = builder.Configuration.GetValue<TimeSpan?>("Clock:Offset");
    builder.Services.AddSingleton<TimeProvider>(isDevelopment && offset is { } o && o != TimeSpan.Zero
        ? new OffsetTimeProvider(TimeProvider.System, o) : TimeProvider.System);

    // Data: one provider chosen by Database:Provider; data-protection keys in the database for several instances.
    // EF's concurrent-use check on where code is written and tested (Development, Testing), off in service (Data/DatabaseSetup.cs).
    builder.Services.AddGuichetDatabase(builder.Configuration, builder.Environment.ContentRootPath,
        threadSafetyChecks: isDevelopment || builder.Environment.IsEnvironment("Testing"));
    // New keys use AES-256-GCM: half the cost of the default CBC + HMAC for the cookies and antiforgery tokens of every
    // page (BENCHMARKS.md); keys already in the ring keep the algorithm they were made with.
    builder.Services.AddDataProtection().SetApplicationName("Guichet").PersistKeysToDbContext<GuichetDbContext>()
        .UseCryptographicAlgorithms(new AuthenticatedEncryptorConfiguration
        {
            EncryptionAlgorithm = EncryptionAlgorithm.AES_256_GCM,
            ValidationAlgorithm = ValidationAlgorithm.HMACSHA256,
        });
    builder.Services.AddOptions<AttachmentOptions>().BindConfiguration("Attachments").ValidateOnStart();
    builder.Services.AddOptions<DepositOptions>().BindConfiguration("Deposits")
        .ValidateErrors(o => o.Errors(), "Configuration Deposits invalide (HeartbeatSeconds, StaleAfterSeconds, CheckSeconds, OrphanFilesAfterSeconds, PurgeEverySeconds, LargeChecksAtOnce, SimulationWaitSeconds, MaxTakeovers).")
        .ValidateOnStart();
    // Attachments on disk or in an S3-compatible bucket (Storage:Provider); Storage:Path stays the local working folder.
    builder.Services.AddSingleton<AttachmentStore>(sp =>
        sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.Provider == StorageProvider.S3
            ? ActivatorUtilities.CreateInstance<S3AttachmentStore>(sp)
            : ActivatorUtilities.CreateInstance<FileSystemAttachmentStore>(sp));
    // Antivirus: every file that enters is scanned by clamd over INSTREAM; without Antivirus:Host or Antivirus:Socket, nothing is.
    builder.Services.AddOptions<Guichet.Antivirus.AntivirusOptions>().BindConfiguration(Guichet.Antivirus.AntivirusOptions.Section)
        .ValidateErrors(o => o.Errors(), "Configuration Antivirus invalide (Host et Socket exclusifs, Port, TimeoutSeconds, ChunkBytes).")
        .ValidateOnStart();
    builder.Services.AddSingleton<Guichet.Antivirus.ClamAvScanner>();
    builder.Services.AddScoped<Guichet.Antivirus.Rescan>();

    // Deposits: one service for deposit and simulator; large deposits run on a background queue.
    builder.Services.AddScoped<DepositService>();
    builder.Services.AddScoped<AdvanceLookups>(); // cross-vendor advance refusals: journaled, budgeted per organisation
    builder.Services.AddSingleton<DepositRunner>();
    builder.Services.AddSingleton<DepositGate>(); // Deposits:LargeChecksAtOnce, shared by background deposits and large simulations
    builder.Services.AddScoped<SimulateUpload>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<DepositRunner>());
    builder.Services.AddScoped<DemoSeeder>();
    builder.Services.AddScoped<AccountAdmin>();
    builder.Services.AddScoped<PasswordTiming>();
    // « Journal de sécurité »: written with the change it records; old rows purged (SecurityJournal:RetentionDays).
    builder.Services.AddSecurityJournal();

    // Actions on requests (Requests/): one class per action, called alike by pages, API endpoints, verbs and workers.
    builder.Services.AddRequestActions();

    // The e-mail outbox: written with the change, sent by the dispatcher loop.
    builder.Services.AddSingleton<EmailSender>();
    builder.Services.AddScoped<EmailDispatcher>();
    builder.Services.AddHostedService<EmailDispatchService>();

    // Webhooks: events written with each change (Data/EventJournal.cs), posted signed by a leased dispatcher (Webhooks:*).
    builder.Services.AddOptions<Guichet.Webhooks.WebhookOptions>().BindConfiguration(Guichet.Webhooks.WebhookOptions.Section)
        .ValidateDataAnnotations().ValidateOnStart();
    builder.Services.AddSingleton<Guichet.Webhooks.WebhookTransport>();
    builder.Services.AddScoped<Guichet.Webhooks.WebhookSubscriptions>();
    builder.Services.AddScoped<Guichet.Webhooks.WebhookDispatcher>();
    builder.Services.AddHostedService<Guichet.Webhooks.WebhookDispatchService>();

    // Opérations groupées: a manager's action on a frozen selection, run item by item through the single actions, resumed after a crash.
    builder.Services.AddOptions<Guichet.Instruction.Bulk.BulkOptions>().BindConfiguration(Guichet.Instruction.Bulk.BulkOptions.Section)
        .ValidateErrors(o => o.Errors(), "Configuration BulkOperations invalide (MaxRequests, HeartbeatSeconds, StaleAfterSeconds, CheckSeconds).")
        .ValidateOnStart();
    builder.Services.AddSingleton<Guichet.Instruction.Bulk.BulkRunner>();
    builder.Services.AddScoped<Guichet.Instruction.Bulk.StartBulkOperation>();
    builder.Services.AddHostedService<Guichet.Instruction.Bulk.BulkWorker>();

    // Deadlines: the J+10 reminder and J+20 closing, one plain class run by a loop and by the `sweep` verb.
    builder.Services.AddScoped<Guichet.Deadlines.DeadlineSweep>();
    builder.Services.AddOptions<Guichet.Deadlines.DeadlinesOptions>().BindConfiguration(Guichet.Deadlines.DeadlinesOptions.Section)
        .ValidateDataAnnotations().ValidateOnStart();
    builder.Services.AddHostedService<Guichet.Deadlines.DeadlineWorker>();

    // Accounts: Identity with cookies for pages, personal Bearer tokens for the API.
    builder.Services.AddIdentity<GuichetUser, IdentityRole>(o =>
        {
            o.Lockout.AllowedForNewUsers = false; // no hard lockout: sign-in is throttled instead (Hosting/RateLimits.cs)
            o.Password.RequiredLength = 12;
            o.User.RequireUniqueEmail = true;
        })
        .AddEntityFrameworkStores<GuichetDbContext>()
        .AddClaimsPrincipalFactory<GuichetClaimsFactory>()
        .AddErrorDescriber<FrenchIdentityErrors>()
        .AddDefaultTokenProviders();
    builder.Services.ConfigureApplicationCookie(o =>
    {
        o.Cookie.Name = "guichet";
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Lax;
        o.LoginPath = "/connexion";
        o.LogoutPath = "/deconnexion";
        o.AccessDeniedPath = "/acces-refuse";
        o.ExpireTimeSpan = TimeSpan.FromHours(8);
        o.SlidingExpiration = true;
        // Every sign-in opens a server-side session (Accounts/Sessions.cs), checked at every request: « Se déconnecter »
        // ends it; deactivation, a new password and a role change end every session of the user at its next request.
        o.Events.OnSigningIn = Sessions.OpenAsync;
        o.Events.OnValidatePrincipal = SessionCheck.ValidateAsync;
    });
    builder.Services.AddAuthentication()
        .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
    builder.Services.AddAuthorization();
    builder.Services.AddGuichetRateLimits(); // RateLimits:* — sign-in, codes, mot de passe oublié, API per user, simulations
    // SameSite=Strict (the framework's default, kept on purpose): ReusedAntiforgeryTokens relies on it.
    builder.Services.AddAntiforgery(o => { o.Cookie.Name = "guichet-af"; o.Cookie.SameSite = SameSiteMode.Strict; o.HeaderName = "X-CSRF-TOKEN"; });
    builder.Services.ReuseAntiforgeryTokens(); // one request token per browser, person and session, not one per page
    // Behind a proxy: X-Forwarded-* from ReverseProxy:KnownProxies/KnownNetworks only; HTTPS, HSTS, Secure cookies (Hosting/Transport.cs).
    builder.Services.AddGuichetTransport(builder.Configuration, builder.Environment);

    // Pages live with their feature (Tracking/, Accounts/…), so Razor Pages are rooted at the project.
    var maxDepositBody = DepositUploads.MaxBody(builder.Configuration);
    builder.Services.AddSingleton<StaticAssets>(); // CSS and scripts addressed with their content's version
    builder.Services.AddRazorPages(o =>
    {
        o.RootDirectory = "/";
        // Only the deposit and simulator pages accept large uploads (streamed by DepositUploads, not read by MVC).
        foreach (var page in new[] { "/Deposits/New", "/Deposits/Simulator" })
            o.Conventions.AddPageApplicationModelConvention(page, m =>
                m.Filters.Add(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(maxDepositBody)));
    });
    // French text is written as is, not as &#xE9; entities.
    builder.Services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
        o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
    builder.Services.AddProblemDetails();
    builder.Services.AddApiDocument();
    // API answers: French text as is; numbers are numbers, and nullability and required fields are those of the records (the OpenAPI document says the same).
    builder.Services.ConfigureHttpJsonOptions(o =>
    {
        o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        o.SerializerOptions.RespectNullableAnnotations = true;
        o.SerializerOptions.RespectRequiredConstructorParameters = true;
    });
    builder.Services.AddGuichetHealthChecks(); // /health (database), /health/live, /health/ready (Hosting/HealthEndpoints.cs)
    builder.Services.Configure<HostOptions>(Lifecycle.Configure);

    var app = builder.Build();

    // Admin verbs (AdminVerbs.Names) run on the same composition and exit.
    if (verb is not null)
        return await AdminVerbs.RunAsync(app, verb, args);

    // The operator learns at start whether files are scanned (a warning when they are not: the embedded default).
    var scanner = app.Services.GetRequiredService<Guichet.Antivirus.ClamAvScanner>();
    if (scanner.Enabled) app.Logger.LogInformation("Antivirus : chaque fichier reçu est analysé par clamd ({Endpoint}).", scanner.Endpoint);
    else app.Logger.LogWarning("Antivirus non configuré (Antivirus:Host ou Antivirus:Socket) : les fichiers reçus ne sont pas analysés.");

    var dbOptions = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value;
    if (dbOptions.MigrateOnStart ?? isDevelopment)
    {
        await DatabaseSetup.MigrateAsync(app.Services);
        await ReferenceData.EnsureAsync(app.Services);
    }
    var demo = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DemoOptions>>().Value;
    if ((demo.SeedOnStart ?? isDevelopment) && !app.Environment.IsProduction())
    {
        using var scope = app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync();
    }

    // Pipeline: forwarded headers, HSTS and HTTPS redirection, cookie policy; then errors in French (Problem Details on
    // the API), security headers, static files, auth.
    app.UseGuichetTransport();
    app.UseExceptionHandler(ErrorHandling.Handle);
    app.UseSecurityHeaders();
    app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"),
        a => a.UseStatusCodePages(ErrorHandling.ApiStatusCode));
    app.UseWhen(c => !c.Request.Path.StartsWithSegments("/api"),
        a => a.UseStatusCodePagesWithReExecute("/erreur/{0}"));
    app.UseStaticFiles();
    app.UseRouting();
    app.UseAuthentication();
    app.UseTwoFactorEnrolment(); // TwoFactor:RequiredForAgency — an agency session without it reaches only its enrolment
    app.UseAuthorization();
    app.UseGuichetRateLimits(); // after authorization: the API's Bearer user is known; refusals are 429 in French

    app.MapGuichetHealth();
    app.MapGuichetMetrics(); // /metrics when Telemetry:Prometheus, to Telemetry:PrometheusAllowedNetworks only
    app.MapOpenApi("/api/openapi/{documentName}.json");
    app.MapScalarApiReference("/api/documentation", o => o
        .WithTitle("Guichet Ségur numérique — API v1").WithOpenApiRoutePattern("/api/openapi/{documentName}.json").DisableDefaultFonts());
    app.MapRazorPages();
    app.MapDocumentEndpoints();
    app.MapDemandesApi();
    app.MapDepotsApi(app.Configuration);
    app.MapFormatFiles();
    app.MapModificationApi();
    app.MapDecisionsApi();
    app.MapOperationsGroupeesApi();
    app.MapEvenementsApi();
    app.MapWebhooksApi();
    app.MapQueueExport();
    app.MapBulkEndpoints();
    app.MapJournalExport();

    app.Lifetime.ApplicationStarted.Register(() => started = true);
    var loops = app.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
    await app.RunAsync();
    return Lifecycle.AfterRun(builder.Configuration, loops); // app.Configuration would ask the disposed host
}
catch (Exception e) when (e is not HostAbortedException) // HostAbortedException: the EF tools stopping the host on purpose
{
    return Lifecycle.StartFailure(builder.Configuration, e, verb, started);
}

public partial class Program;
