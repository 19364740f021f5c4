using Microsoft.AspNetCore.Identity;

namespace Guichet.Accounts;

/// <summary>A portal user; vendors belong to one organisation.</summary>
public class GuichetUser : IdentityUser
{
    public string FullName { get; set; } = "";
    public int? OrganisationId { get; set; }
    public bool IsActive { get; set; } = true;
}

/// <summary>The four roles (code names; labels are shown in the UI).</summary>
public static class Roles
{
    public const string Fournisseur = "Fournisseur";
    public const string Gestionnaire = "Gestionnaire";
    public const string Assistance = "Assistance";
    public const string Administrateur = "Administrateur";

    public static readonly string[] All = [Fournisseur, Gestionnaire, Assistance, Administrateur];

    public static string Label(string role) => role switch
    {
        Assistance => "Assistance utilisateur",
        _ => role,
    };
}

/// <summary>A personal API token; only its SHA-256 is stored.</summary>
public class ApiToken
{
    public int Id { get; private set; }
    public required string UserId { get; init; }
    public required string Name { get; init; }
    public required string Hash { get; init; }
    /// <summary>The first characters of the token, to recognise it in the list.</summary>
    public required string Prefix { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? RevokedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}
