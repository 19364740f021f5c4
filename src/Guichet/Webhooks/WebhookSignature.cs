using System.Security.Cryptography;
using System.Text;

namespace Guichet.Webhooks;

/// <summary>Standard Webhooks signatures: « v1, » + base64 HMAC-SHA256 of « id.timestamp.body » under the secret's bytes.</summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string Sign(string secret, string id, long timestamp, byte[] body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content, prefix.Length);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    /// <summary>The header value: one signature per secret, separated by spaces (both secrets during a rotation).</summary>
    public static string Header(IEnumerable<string> secrets, string id, long timestamp, byte[] body) =>
        string.Join(' ', secrets.Select(s => Sign(s, id, timestamp, body)));
}
