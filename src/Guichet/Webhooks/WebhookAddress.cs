using System.Net;
using System.Net.Sockets;
using Guichet.Domain;

namespace Guichet.Webhooks;

/// <summary>
/// Where a webhook may post (SSRF): https only, and a host that resolves to public addresses only — never private,
/// loopback, link-local, unique-local, shared or multicast ones. <c>Webhooks:AllowLoopback</c> also lets http:// and
/// loopback addresses through, for development and tests. Checked when a subscription is saved and at every connection
/// (the address checked is the one connected to).
/// </summary>
public static class WebhookAddress
{
    public const int MaxLength = 2000;

    /// <summary>The URL as typed, refused in French when it cannot be a webhook's.</summary>
    public static async Task<Uri> CheckAsync(string? url, bool allowLoopback, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url)) throw Refusal.Invalid("L'adresse du webhook est obligatoire.", "$.url");
        if (url.Length > MaxLength) throw Refusal.Invalid($"L'adresse du webhook ne doit pas dépasser {MaxLength} caractères.", "$.url");
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw Refusal.Invalid("L'adresse du webhook doit être une URL complète commençant par https://.", "$.url");
        if (!string.IsNullOrEmpty(uri.UserInfo)) throw Refusal.Invalid("L'adresse du webhook ne doit pas contenir d'identifiant ni de mot de passe.", "$.url");
        if (uri.Scheme == Uri.UriSchemeHttp && !allowLoopback) throw Refusal.Invalid("L'adresse du webhook doit commencer par https://.", "$.url");
        var addresses = await ResolveAsync(uri.IdnHost, allowLoopback, ct);
        if (uri.Scheme == Uri.UriSchemeHttp && !addresses.All(IPAddress.IsLoopback))
            throw Refusal.Invalid("L'adresse du webhook doit commencer par https:// (http:// n'est admis que vers cette machine, en développement).", "$.url");
        return uri;
    }

    /// <summary>The host's addresses, all allowed; refused in French when it does not resolve or one is not public.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, bool allowLoopback, CancellationToken ct)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        }
        catch (SocketException)
        {
            throw Refusal.Invalid($"Le nom « {Hosting.Fr.Clip(host, 100)} » ne correspond à aucune adresse.", "$.url");
        }
        if (addresses.Length == 0) throw Refusal.Invalid($"Le nom « {Hosting.Fr.Clip(host, 100)} » ne correspond à aucune adresse.", "$.url");
        if (addresses.FirstOrDefault(a => !IsAllowed(a, allowLoopback)) is { } refused)
            throw Refusal.Invalid($"L'adresse {refused} est privée, locale ou réservée : un webhook ne peut viser qu'une adresse publique.", "$.url");
        return addresses;
    }

    public static bool IsAllowed(IPAddress address, bool allowLoopback)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return allowLoopback;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || address.IsIPv6UniqueLocal || address.IsIPv6Teredo) return false;
            var b6 = address.GetAddressBytes();
            return !(b6[0] == 0x20 && b6[1] == 0x02); // 6to4 may wrap any IPv4 address
        }
        var b = address.GetAddressBytes();
        return !(b[0] == 0 || b[0] == 10 || b[0] == 127
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)   // shared address space (CGNAT)
            || (b[0] == 169 && b[1] == 254)                   // link-local, cloud metadata
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 192 && b[1] == 0 && b[2] == 0)
            || (b[0] == 198 && (b[1] == 18 || b[1] == 19))
            || b[0] >= 224);                                  // multicast, reserved, broadcast
    }
}
