namespace Guichet.Accounts;

/// <summary>
/// The events of the administrators' « Journal de sécurité ». Stored by their code (text), so the list can grow without
/// touching the rows already written; the label is what the page and the export show.
/// </summary>
public enum SecurityEventKind
{
    SignInSucceeded, SignInFailed, SignInThrottled, PasswordResetRequested, PasswordSet, SignedOut, AllSessionsEnded,
    ApiTokenCreated, ApiTokenRevoked, AccountCreated, AccountDeactivated, AccountReactivated, RoleChanged,
    TwoFactorEnabled, TwoFactorDisabled, TwoFactorCodeFailed, RecoveryCodeUsed, RecoveryCodesRegenerated,
    AdvanceLookupAcrossVendors,
}

/// <summary>One line of the security journal: who, when, from where, on which account. Written once, never changed.</summary>
public sealed class SecurityEvent
{
    public const int EmailLength = 256;
    public const int SourceLength = 64;
    public const int UserAgentLength = 200;
    public const int DetailLength = 300;

    /// <summary>Where an event without a web request comes from.</summary>
    public const string CommandLine = "ligne de commande";
    public const string System = "système";

    public long Id { get; private set; }
    public DateTime At { get; init; }
    public SecurityEventKind Kind { get; init; }
    /// <summary>Who acted; empty for an anonymous visitor, the system or the command line (see <see cref="Source"/>).</summary>
    public string? ActorId { get; init; }
    public string? ActorEmail { get; init; }
    /// <summary>The account concerned: its id when it exists, and the address (as typed, on a failed sign-in).</summary>
    public string? SubjectId { get; init; }
    public string? SubjectEmail { get; init; }
    /// <summary>The client's IP address, or <see cref="CommandLine"/> / <see cref="System"/>.</summary>
    public string? Source { get; init; }
    public string? UserAgent { get; init; }
    public string? Detail { get; init; }
}

public static class SecurityEventKinds
{
    public static readonly SecurityEventKind[] All = Enum.GetValues<SecurityEventKind>();

    public static string Code(this SecurityEventKind k) => k switch
    {
        SecurityEventKind.SignInSucceeded => "CONNEXION_REUSSIE",
        SecurityEventKind.SignInFailed => "CONNEXION_ECHOUEE",
        SecurityEventKind.SignInThrottled => "TENTATIVES_RALENTIES",
        SecurityEventKind.PasswordResetRequested => "REINITIALISATION_DEMANDEE",
        SecurityEventKind.PasswordSet => "MOT_DE_PASSE_DEFINI",
        SecurityEventKind.SignedOut => "DECONNEXION",
        SecurityEventKind.AllSessionsEnded => "SESSIONS_FERMEES",
        SecurityEventKind.ApiTokenCreated => "JETON_CREE",
        SecurityEventKind.ApiTokenRevoked => "JETON_REVOQUE",
        SecurityEventKind.AccountCreated => "COMPTE_CREE",
        SecurityEventKind.AccountDeactivated => "COMPTE_DESACTIVE",
        SecurityEventKind.AccountReactivated => "COMPTE_REACTIVE",
        SecurityEventKind.RoleChanged => "ROLE_MODIFIE",
        SecurityEventKind.TwoFactorEnabled => "DOUBLE_AUTHENTIFICATION_ACTIVEE",
        SecurityEventKind.TwoFactorDisabled => "DOUBLE_AUTHENTIFICATION_DESACTIVEE",
        SecurityEventKind.TwoFactorCodeFailed => "CODE_DOUBLE_AUTHENTIFICATION_ERRONE",
        SecurityEventKind.RecoveryCodeUsed => "CODE_DE_SECOURS_UTILISE",
        SecurityEventKind.RecoveryCodesRegenerated => "CODES_DE_SECOURS_REGENERES",
        SecurityEventKind.AdvanceLookupAcrossVendors => "AVANCE_AUTRE_FOURNISSEUR",
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    public static string Label(this SecurityEventKind k) => k switch
    {
        SecurityEventKind.SignInSucceeded => "Connexion réussie",
        SecurityEventKind.SignInFailed => "Connexion échouée",
        SecurityEventKind.SignInThrottled => "Tentatives ralenties (trop de tentatives)",
        SecurityEventKind.PasswordResetRequested => "Réinitialisation du mot de passe demandée",
        SecurityEventKind.PasswordSet => "Mot de passe défini",
        SecurityEventKind.SignedOut => "Déconnexion",
        SecurityEventKind.AllSessionsEnded => "Déconnexion de tous les appareils",
        SecurityEventKind.ApiTokenCreated => "Jeton d'API créé",
        SecurityEventKind.ApiTokenRevoked => "Jeton d'API révoqué",
        SecurityEventKind.AccountCreated => "Compte créé",
        SecurityEventKind.AccountDeactivated => "Compte désactivé",
        SecurityEventKind.AccountReactivated => "Compte réactivé",
        SecurityEventKind.RoleChanged => "Rôle modifié",
        SecurityEventKind.TwoFactorEnabled => "Double authentification activée",
        SecurityEventKind.TwoFactorDisabled => "Double authentification désactivée",
        SecurityEventKind.TwoFactorCodeFailed => "Code de double authentification erroné",
        SecurityEventKind.RecoveryCodeUsed => "Code de secours utilisé",
        SecurityEventKind.RecoveryCodesRegenerated => "Codes de secours régénérés",
        SecurityEventKind.AdvanceLookupAcrossVendors => "Avance d'un autre fournisseur citée dans un dépôt",
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    public static bool TryParse(string? code, out SecurityEventKind kind)
    {
        foreach (var k in All)
            if (k.Code() == code) { kind = k; return true; }
        kind = default;
        return false;
    }

    /// <summary>Reads a stored code; throws on a code this version does not know (a newer version wrote it).</summary>
    public static SecurityEventKind Parse(string code) =>
        TryParse(code, out var k) ? k : throw new InvalidOperationException($"Événement de sécurité inconnu : {code}.");
}
