using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Guichet.Accounts;

/// <summary>Bearer authentication with personal API tokens, looked up by their SHA-256.</summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    GuichetDbContext db, TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 200) return AuthenticateResult.Fail("Jeton invalide.");

        // One connection for the request's queries, as for a session (Accounts/SessionCheck.cs).
        await db.Database.OpenConnectionAsync(Context.RequestAborted);
        var found = await FindByHash(db, ApiTokens.Hash(token), Context.RequestAborted);
        if (found is null) return AuthenticateResult.Fail("Jeton inconnu ou révoqué.");
        var principal = GuichetClaims.Build(found.User, found.Roles, SchemeName);

        // Last use is informative: one guarded update, at most once a minute per token.
        var now = clock.UtcNow();
        if (found.LastUsedAt is null || now - found.LastUsedAt > TimeSpan.FromMinutes(1))
            await db.ApiTokens.Where(t => t.Id == found.TokenId)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private sealed record Holder(int TokenId, DateTime? LastUsedAt, GuichetUser User, List<string> Roles);

    // One row per role of the token's user (or one row without a role).
    private sealed record Row(int TokenId, DateTime? LastUsedAt, string UserId, string? Email, string? UserName, string FullName,
        int? OrganisationId, string? Role);

    // The live token, its active user and the user's roles in one query, read at every request (never cached): a
    // revocation, a deactivation or a role change applies to the very next call. Compiled, once per model (Data/PerModel.cs).
    // A flat statement (joins, no subquery, no sort; the hash is unique): the nested form EF writes for a projected role
    // list took SQLite twice as long to prepare and run (docs/architecture.md, « Performances »).
    private static readonly PerModel<Func<GuichetDbContext, string, IAsyncEnumerable<Row>>> ByHash = new(() =>
        EF.CompileAsyncQuery((GuichetDbContext db, string hash) =>
            from t in db.ApiTokens.AsNoTracking()
            where t.Hash == hash && t.RevokedAt == null
            join u in db.Users on t.UserId equals u.Id
            where u.IsActive
            from ur in db.UserRoles.Where(ur => ur.UserId == u.Id).DefaultIfEmpty()
            from r in db.Roles.Where(r => r.Id == ur!.RoleId).DefaultIfEmpty()
            select new Row(t.Id, t.LastUsedAt, u.Id, u.Email, u.UserName, u.FullName, u.OrganisationId, r!.Name)));

    private static async Task<Holder?> FindByHash(GuichetDbContext db, string hash, CancellationToken ct)
    {
        var rows = await ByHash.For(db)(db, hash).ToListAsync(ct);
        if (rows.Count == 0) return null;
        var first = rows[0];
        var user = new GuichetUser { Id = first.UserId, Email = first.Email, UserName = first.UserName, FullName = first.FullName, OrganisationId = first.OrganisationId };
        return new Holder(first.TokenId, first.LastUsedAt, user, [.. rows.Where(x => x.Role is not null).Select(x => x.Role!)]);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Problems.Write(Context, StatusCodes.Status401Unauthorized, "Authentification requise",
            "Fournissez un jeton d'API valide dans l'en-tête Authorization: Bearer <jeton>.");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Problems.Write(Context, StatusCodes.Status403Forbidden, "Accès refusé",
            "Votre rôle ne permet pas cette action.");
    }
}

public static class ApiTokens
{
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>A new random token, shown once to its owner.</summary>
    public static string Generate() => "gui_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The claims every signed-in principal carries, cookie or token.</summary>
public static class GuichetClaims
{
    public const string OrganisationId = "guichet:organisation";
    public const string FullName = "guichet:name";

    public static ClaimsPrincipal Build(GuichetUser user, IEnumerable<string> roles, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id),
            new(ClaimTypes.Name, user.Email ?? user.UserName ?? user.Id),
            new(FullName, string.IsNullOrEmpty(user.FullName) ? user.Email ?? "" : user.FullName),
        };
        if (user.OrganisationId is { } org) claims.Add(new Claim(OrganisationId, org.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}

/// <summary>Adds the organisation, name and two-factor claims to the cookie principal.</summary>
public sealed class GuichetClaimsFactory(UserManager<GuichetUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<GuichetUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(GuichetUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(GuichetClaims.FullName, string.IsNullOrEmpty(user.FullName) ? user.Email ?? "" : user.FullName));
        if (user.OrganisationId is { } org)
            identity.AddClaim(new Claim(GuichetClaims.OrganisationId, org.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (user.TwoFactorEnabled) identity.AddClaim(new Claim(TwoFactorGate.EnabledClaim, "1"));
        return identity;
    }
}

/// <summary>Reads who is acting from the principal: organisation scope and the actor recorded in the history.</summary>
public static class CurrentUser
{
    public static string Id(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";

    public static int? OrganisationId(this ClaimsPrincipal user) =>
        int.TryParse(user.FindFirstValue(GuichetClaims.OrganisationId), out var id) ? id : null;

    public static string DisplayName(this ClaimsPrincipal user) => user.FindFirstValue(GuichetClaims.FullName) ?? user.Identity?.Name ?? "";

    /// <summary>Managers, support and administrators see every organisation; vendors only theirs.</summary>
    public static bool SeesAllOrganisations(this ClaimsPrincipal user) =>
        user.IsInRole(Roles.Gestionnaire) || user.IsInRole(Roles.Assistance) || user.IsInRole(Roles.Administrateur);

    public static bool IsVendor(this ClaimsPrincipal user) => user.IsInRole(Roles.Fournisseur);

    public static Domain.Actor Actor(this ClaimsPrincipal user, string role) => new(user.DisplayName(), Roles.Label(role), user.Id());
}
