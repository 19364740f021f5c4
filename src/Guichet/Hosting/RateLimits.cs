using System.Globalization;
using System.Threading.RateLimiting;
using Guichet.Accounts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Guichet.Hosting;

/// <summary>One limit: at most <see cref="Permits"/> requests per window of <see cref="WindowSeconds"/>.</summary>
public sealed class RateLimit
{
    public int Permits { get; set; }
    public int WindowSeconds { get; set; }

    public RateLimit() { }
    public RateLimit(int permits, int windowSeconds) { Permits = permits; WindowSeconds = windowSeconds; }
}

/// <summary>
/// Section « RateLimits »: throttling of sign-in, « mot de passe oublié », the API per user and the simulations per
/// organisation. Sign-in is throttled per submitted address and per source instead of locking the account, so that the
/// answer is the same whether the address exists or not, and nobody can lock someone else's account.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    public bool Enabled { get; set; } = true;
    public RateLimit SignInPerAddress { get; set; } = new(10, 900);
    public RateLimit SignInPerSource { get; set; } = new(30, 300);
    public RateLimit ForgotPasswordPerAddress { get; set; } = new(3, 3600);
    public RateLimit ForgotPasswordPerSource { get; set; } = new(10, 3600);
    public RateLimit ApiPerUser { get; set; } = new(600, 60);
    public RateLimit SimulationsPerOrganisation { get; set; } = new(30, 60);
    /// <summary>Codes (authenticator or recovery) and password confirmations of the two-factor pages, per user. A guess hits
    /// about 1 time in 200 000 (Identity accepts 5 time steps): at 5 tries per 15 minutes, an even chance takes 9 months.</summary>
    public RateLimit TwoFactorPerUser { get; set; } = new(5, 900);

    public IEnumerable<string> Errors()
    {
        foreach (var (name, limit) in All())
            if (limit.Permits < 1 || limit.WindowSeconds < 1)
                yield return $"RateLimits:{name} : Permits et WindowSeconds doivent être supérieurs à 0.";
    }

    private IEnumerable<(string, RateLimit)> All() =>
    [
        (nameof(SignInPerAddress), SignInPerAddress), (nameof(SignInPerSource), SignInPerSource),
        (nameof(ForgotPasswordPerAddress), ForgotPasswordPerAddress), (nameof(ForgotPasswordPerSource), ForgotPasswordPerSource),
        (nameof(ApiPerUser), ApiPerUser), (nameof(SimulationsPerOrganisation), SimulationsPerOrganisation),
        (nameof(TwoFactorPerUser), TwoFactorPerUser),
    ];
}

/// <summary>
/// The limits as chained links: each link looks at the request and either counts it in its partition (address, source,
/// user, organisation) or lets it through. The security limits are counted in the database, shared by every instance
/// (<see cref="SharedCounters"/>); the throughput limits (API per user, simulations) by ASP.NET Core's rate limiter, per
/// instance. Refusals answer 429 with Retry-After, in French: Problem Details on <c>/api</c>, a page elsewhere.
/// </summary>
public static class RateLimits
{
    public const string SignInPath = "/connexion";
    public const string ForgotPasswordPath = "/compte/mot-de-passe-oublie";
    private const string AddressKey = "guichet:rate-limit-address";
    private const string MessageKey = "guichet:rate-limit-message";
    private const string TwoFactorUserKey = "guichet:rate-limit-2fa-user";
    private const string RefusedByKey = "guichet:rate-limit-refused-by";

    public static IServiceCollection AddGuichetRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => !o.Errors().Any(), "Configuration RateLimits invalide (Permits et WindowSeconds de chaque limite).")
            .ValidateOnStart();
        services.TryAddScoped<SharedCounters>();
        services.TryAddSingleton<SharedCounters.PurgeSchedule>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>((options, limits) =>
        {
            var o = limits.Value;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = OnRejectedAsync;
            if (!o.Enabled) return;
            // Throughput limits: counted in memory, per instance (a database write per API call would cost too much).
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                Link(o.SimulationsPerOrganisation, c => IsSimulation(c) ? "org:" + Organisation(c) : null, SimulationsMessage),
                Link(o.ApiPerUser, c => IsApiUser(c) ? "user:" + c.User.Id() : null, ApiMessage));
        });
        return services;
    }

    /// <summary>
    /// Before the limiter: the address typed in the sign-in and « mot de passe oublié » forms (small url-encoded forms,
    /// read once and kept by ASP.NET Core for the page), since a partition is chosen synchronously.
    /// </summary>
    public static IApplicationBuilder UseGuichetRateLimits(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            if ((IsPost(context, SignInPath) || IsPost(context, ForgotPasswordPath))
                && context.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
            {
                try
                {
                    var form = await context.Request.ReadFormAsync(context.RequestAborted);
                    context.Items[AddressKey] = form["Email"].ToString().Trim().ToUpperInvariant();
                }
                catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
                {
                    // A malformed form is the page's business (400); it is counted under the empty address.
                }
            }
            // The code steps of sign-in count against the user of Identity's two-factor cookie (no session yet).
            if (IsPost(context, LoginCodeModel.CodePath) || IsPost(context, LoginCodeModel.RecoveryPath))
                context.Items[TwoFactorUserKey] = await TwoFactorGate.PendingUserIdAsync(context);
            if (await RefusedBySharedLimitAsync(context) is { } seconds)
            {
                await RefuseAsync(context, seconds);
                return;
            }
            await next(context);
        });
        return app.UseRateLimiter();
    }

    /// <summary>
    /// The security limits (sign-in, « mot de passe oublié », two-factor codes), counted in the database so that every
    /// instance shares one budget: an attacker spreading over N instances gets no more tries. As a chained limiter, the
    /// links are counted in order up to the first refusal. Returns the seconds to wait, or null when the request may go on.
    /// A database outage propagates to <see cref="ErrorHandling"/>, which answers 503 « réessayez ».
    /// </summary>
    private static async Task<int?> RefusedBySharedLimitAsync(HttpContext context)
    {
        var o = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value;
        if (!o.Enabled) return null;
        SharedCounters? counters = null;
        foreach (var (name, limit, key, message) in SharedLinks(o))
        {
            if (key(context) is not { } partition) continue;
            counters ??= context.RequestServices.GetRequiredService<SharedCounters>();
            var hit = await counters.HitAsync(name + "|" + partition, limit, context.RequestAborted);
            if (hit.Count <= limit.Permits) continue;
            context.Items[MessageKey] = message;
            context.Items[RefusedByKey] = (partition, limit);
            return hit.SecondsLeft;
        }
        return null;
    }

    private static IEnumerable<(string Name, RateLimit Limit, Func<HttpContext, string?> Key, string Message)> SharedLinks(RateLimitOptions o) =>
    [
        ("connexion", o.SignInPerAddress, c => IsPost(c, SignInPath) ? "address:" + Address(c) : null, SignInMessage),
        ("connexion", o.SignInPerSource, c => IsPost(c, SignInPath) ? "source:" + Source(c) : null, SignInMessage),
        ("mot-de-passe-oublie", o.ForgotPasswordPerAddress, c => IsPost(c, ForgotPasswordPath) ? "address:" + Address(c) : null, ForgotMessage),
        ("mot-de-passe-oublie", o.ForgotPasswordPerSource, c => IsPost(c, ForgotPasswordPath) ? "source:" + Source(c) : null, ForgotMessage),
        ("double-authentification", o.TwoFactorPerUser, c => TwoFactorUser(c) is { } id ? "user:" + id : null, TwoFactorMessage),
    ];

    private const string SignInMessage = "Trop de tentatives de connexion pour cette adresse ou depuis votre connexion.";
    private const string ForgotMessage = "Trop de demandes de réinitialisation du mot de passe pour cette adresse ou depuis votre connexion. Aucun e-mail supplémentaire n'a été envoyé.";
    private const string SimulationsMessage = "Trop de simulations pour votre organisme.";
    private const string ApiMessage = "Trop de requêtes avec ce compte.";
    private const string TwoFactorMessage = "Trop de codes de vérification ou de mots de passe saisis pour ce compte.";

    private static PartitionedRateLimiter<HttpContext> Link(RateLimit limit, Func<HttpContext, string?> key, string message) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            var k = key(context);
            if (k is null) return RateLimitPartition.GetNoLimiter("");
            return RateLimitPartition.GetFixedWindowLimiter(k, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit.Permits,
                Window = TimeSpan.FromSeconds(limit.WindowSeconds),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }).WithMessage(message, key, limit);

    // Remembers which link refused, for the French message (the chain stops at the first refusal).
    private static PartitionedRateLimiter<HttpContext> WithMessage(this PartitionedRateLimiter<HttpContext> inner, string message,
        Func<HttpContext, string?> key, RateLimit limit) => new Labelled(inner, message, key, limit);

    private sealed class Labelled(PartitionedRateLimiter<HttpContext> inner, string message, Func<HttpContext, string?> key, RateLimit limit)
        : PartitionedRateLimiter<HttpContext>
    {
        public override RateLimiterStatistics? GetStatistics(HttpContext resource) => inner.GetStatistics(resource);

        protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) =>
            Note(resource, inner.AttemptAcquire(resource, permitCount));

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
            Note(resource, await inner.AcquireAsync(resource, permitCount, cancellationToken));

        private RateLimitLease Note(HttpContext resource, RateLimitLease lease)
        {
            if (lease.IsAcquired) return lease;
            resource.Items[MessageKey] = message;
            resource.Items[RefusedByKey] = (key(resource), limit); // for the security journal
            return lease;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        protected override ValueTask DisposeAsyncCore() => inner.DisposeAsync();
    }

    private static bool IsPost(HttpContext c, string path) =>
        HttpMethods.IsPost(c.Request.Method) && c.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase);

    private static bool IsSimulation(HttpContext c) =>
        HttpMethods.IsPost(c.Request.Method) && c.User.Identity?.IsAuthenticated == true
        && (c.Request.Path.Equals("/api/v1/simulations", StringComparison.OrdinalIgnoreCase)
            || c.Request.Path.Equals("/simulateur", StringComparison.OrdinalIgnoreCase));

    private static bool IsApiUser(HttpContext c) =>
        c.Request.Path.StartsWithSegments("/api/v1") && c.User.Identity?.IsAuthenticated == true;

    // Sign-in codes by the pending user; the « Double authentification » page's changes by the signed-in user.
    private static string? TwoFactorUser(HttpContext c) =>
        c.Items[TwoFactorUserKey] as string
        ?? (IsPost(c, TwoFactorGate.EnrolmentPath) && c.User.Identity?.IsAuthenticated == true ? c.User.Id() : null);

    private static string Address(HttpContext c) => c.Items[AddressKey] as string ?? "";

    /// <summary>The client's address as ASP.NET Core sees it (the proxy's forwarded address once forwarded headers are honoured).</summary>
    private static string Source(HttpContext c) => c.Connection.RemoteIpAddress?.ToString() ?? "inconnue";

    // A vendor's organisation; anyone else (agency staff) is counted alone.
    private static string Organisation(HttpContext c) =>
        c.User.OrganisationId()?.ToString(CultureInfo.InvariantCulture) ?? "user:" + c.User.Id();

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
        await RefuseAsync(rejected.HttpContext, seconds);
    }

    /// <summary>The one 429 of every limit, shared or per instance: Retry-After, French message, journal row for the sign-in pages.</summary>
    private static async Task RefuseAsync(HttpContext context, int seconds)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var reason = context.Items[MessageKey] as string ?? "Trop de requêtes.";
        var message = $"{reason} Réessayez dans {Wait(seconds)}.";
        if (context.Items[RefusedByKey] is (string partition, RateLimit limit) && (IsPost(context, SignInPath) || IsPost(context, ForgotPasswordPath)))
            await context.RequestServices.GetRequiredService<SecurityJournal>()
                .RecordThrottledAsync(IsPost(context, SignInPath) ? "Se connecter" : "Mot de passe oublié", partition, limit, Address(context));
        if (context.Request.Path.StartsWithSegments("/api"))
            await Problems.Write(context, StatusCodes.Status429TooManyRequests, Problems.TitleFor(429), message);
        else
            await ErrorHandling.WritePageAsync(context, StatusCodes.Status429TooManyRequests, message);
    }

    /// <summary>« 1 minute », « 15 minutes », « 30 secondes ».</summary>
    public static string Wait(int seconds) => seconds < 60
        ? (seconds == 1 ? "1 seconde" : $"{seconds} secondes")
        : (Minutes(seconds) == 1 ? "1 minute" : $"{Minutes(seconds)} minutes");

    private static int Minutes(int seconds) => (seconds + 59) / 60;
}
