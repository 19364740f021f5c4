namespace Guichet.Domain;

/// <summary>Checks of the French identifiers used in requests (SIRET, FINESS, RPPS).</summary>
public static class Identifiers
{
    // La Poste's establishments share one SIREN whose SIRETs follow a digit-sum rule instead of Luhn.
    private const string LaPosteSiren = "356000000";

    public static bool IsValidSiret(string? value)
    {
        if (value is null || value.Length != 14 || !value.All(char.IsAsciiDigit)) return false;
        if (value.StartsWith(LaPosteSiren, StringComparison.Ordinal))
            return value.Sum(c => c - '0') % 5 == 0;
        return Luhn(value);
    }

    public static bool IsValidFiness(string? value) =>
        value is not null && value.Length == 9 && value.All(char.IsAsciiDigit) && Luhn(value);

    public static bool IsValidRpps(string? value) =>
        value is not null && value.Length == 11 && value.All(char.IsAsciiDigit);

    public static bool IsValid(ClientIdType type, string? value) => type switch
    {
        ClientIdType.Siret => IsValidSiret(value),
        ClientIdType.Finess => IsValidFiness(value),
        ClientIdType.Rpps => IsValidRpps(value),
        _ => false,
    };

    /// <summary>The French message for an invalid identifier of that type.</summary>
    public static string InvalidMessage(ClientIdType type) => type switch
    {
        ClientIdType.Siret => "Le SIRET doit comporter 14 chiffres et respecter la clé de contrôle (Luhn).",
        ClientIdType.Finess => "Le numéro FINESS doit comporter 9 chiffres et respecter la clé de contrôle (Luhn).",
        ClientIdType.Rpps => "Le numéro RPPS doit comporter 11 chiffres.",
        _ => "Identifiant invalide.",
    };

    public static bool Luhn(string digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }
}

public enum ClientIdType { Finess, Siret, Rpps }
