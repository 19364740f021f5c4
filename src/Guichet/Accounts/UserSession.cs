using System.Security.Cryptography;

namespace Guichet.Accounts;

/// <summary>
/// One signed-in device: opened at each sign-in, named in the cookie by its id, checked at every request
/// (<see cref="SessionCheck"/>) and ended by « Se déconnecter » or from « Mon compte ».
/// </summary>
public class UserSession
{
    public const int UserAgentLength = 300;

    /// <summary>Random and unguessable (128 bits); the cookie carries it inside its protected ticket.</summary>
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime LastSeenAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    /// <summary>The client's address as ASP.NET Core sees it (the forwarded one behind a known proxy).</summary>
    public string? IpAddress { get; init; }
    public string? UserAgent { get; init; }

    public static UserSession Open(string userId, DateTime now, string? ipAddress, string? userAgent) => new()
    {
        Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        UserId = userId, CreatedAt = now, LastSeenAt = now, IpAddress = ipAddress,
        UserAgent = string.IsNullOrEmpty(userAgent) ? null : userAgent.Length > UserAgentLength ? userAgent[..UserAgentLength] : userAgent,
    };
}
