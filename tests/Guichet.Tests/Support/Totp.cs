using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Guichet.Tests.Support;

/// <summary>RFC 6238 codes (HMAC-SHA1, 30 seconds, 6 digits) from a Base32 key, as an authenticator app computes them.</summary>
public static class Totp
{
    public static string Code(string base32Key, DateTimeOffset? at = null) =>
        CodeAt(base32Key, (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds() / 30);

    /// <summary>A 6-digit code that is none of the codes accepted now (Identity accepts 2 steps either side).</summary>
    public static string Wrong(string base32Key)
    {
        var step = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
        var accepted = Enumerable.Range(-3, 7).Select(i => CodeAt(base32Key, step + i)).ToHashSet();
        for (var n = Random.Shared.Next(1_000_000); ; n = (n + 1) % 1_000_000)
            if (!accepted.Contains(n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)))
                return n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string CodeAt(string base32Key, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        var hash = HMACSHA1.HashData(FromBase32(base32Key), counter);
        var offset = hash[^1] & 0x0f;
        var binary = (BinaryPrimitives.ReadInt32BigEndian(hash.AsSpan(offset)) & 0x7fffffff) % 1_000_000;
        return binary.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] FromBase32(string key)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = 0;
        var value = 0;
        var bytes = new List<byte>();
        foreach (var c in key.ToUpperInvariant().Where(c => c is not (' ' or '=')))
        {
            value = ((value << 5) | alphabet.IndexOf(c)) & 0xFFFF; // 13 bits at most are pending
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(value >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }
}
