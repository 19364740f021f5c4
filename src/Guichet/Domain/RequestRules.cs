using System.Net.Mail;
using System.Text.RegularExpressions;

namespace Guichet.Domain;

/// <summary>Field rules a request's values must pass wherever they are written: deposit, simulator and modification.</summary>
public static partial class RequestRules
{
    public const int MaxTextLength = 500;

    /// <summary>
    /// A free text written by a person (comment, reason): line breaks and tabs are fine, other control characters (NUL,
    /// ESC…) are refused — PostgreSQL cannot even store a NUL.
    /// </summary>
    public static string? FreeTextError(string value, string what) =>
        value.Any(c => char.IsControl(c) && c is not ('\r' or '\n' or '\t'))
            ? $"{what} contient un caractère de contrôle non autorisé." : null;

    /// <summary>
    /// Returns the French error for a « contactSupport » value, or null when it is valid. A function of the text alone:
    /// the format reader checks a contact repeated from request to request once (FormatV1.Recent).
    /// </summary>
    public static string? ContactSupportError(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return "Les coordonnées de contact ou le lien vers la plateforme de support sont obligatoires.";
        if (value.Length > MaxTextLength)
            return $"Les coordonnées de contact ne doivent pas dépasser {MaxTextLength} caractères.";
        if (value.Any(char.IsControl))
            return "Les coordonnées de contact ne doivent pas contenir de caractère de contrôle (tabulation, retour à la ligne…).";
        var v = value.Trim();
        if (IsEmail(v) || FrenchPhone().IsMatch(v) || IsHttpsUrl(v)) return null;
        return "Indiquez une adresse e-mail, un numéro de téléphone français ou un lien commençant par https://.";
    }

    private static bool IsEmail(string v) =>
        !v.Contains(' ') && EmailShape().IsMatch(v) && MailAddress.TryCreate(v, out var a) && a.Address == v;

    private static bool IsHttpsUrl(string v) =>
        Uri.TryCreate(v, UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttps && u.Host.Contains('.') && !v.Contains(' ');

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailShape();

    // 0X XX XX XX XX, +33 X XX XX XX XX, with optional spaces, dots or dashes.
    [GeneratedRegex(@"^(?:(?:\+33|0033)\s?[1-9]|0[1-9])(?:[\s.\-]?\d{2}){4}$")]
    private static partial Regex FrenchPhone();
}
