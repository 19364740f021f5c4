using Guichet.Data;
using Guichet.Email;
using Guichet.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Accounts;

/// <summary>Creating accounts, the same for the administration pages and the <c>create-user</c> verb.</summary>
public sealed class AccountAdmin(GuichetDbContext db, UserManager<GuichetUser> users, TimeProvider clock, SecurityJournal journal)
{
    public sealed record Outcome(GuichetUser? User, IReadOnlyList<string> Errors);

    /// <summary>
    /// Creates a user in a role. Without a password, the user gets the « compte créé » e-mail with a link to choose
    /// one (written in the outbox with the account). A Fournisseur must belong to an organisation.
    /// </summary>
    public async Task<Outcome> CreateAsync(string? email, string? fullName, string? role, int? organisationId, string? password, CancellationToken ct = default)
    {
        var errors = new List<string>();
        email = email?.Trim();
        if (string.IsNullOrEmpty(email) || !System.Net.Mail.MailAddress.TryCreate(email, out _)) errors.Add("Indiquez une adresse e-mail valide.");
        if (role is null || !Roles.All.Contains(role)) errors.Add("Choisissez un rôle.");
        if (role == Roles.Fournisseur && organisationId is null) errors.Add("Un utilisateur Fournisseur doit être rattaché à un organisme.");
        if (role != Roles.Fournisseur && organisationId is not null) errors.Add("Seuls les utilisateurs Fournisseur sont rattachés à un organisme.");
        if (organisationId is { } org && !await db.Organisations.AnyAsync(o => o.Id == org, ct)) errors.Add("Organisme introuvable.");
        if (errors.Count > 0) return new(null, errors);

        var user = new GuichetUser
        {
            UserName = email, Email = email, EmailConfirmed = true, OrganisationId = organisationId,
            FullName = string.IsNullOrWhiteSpace(fullName) ? email! : fullName.Trim(),
        };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var result = password is null ? await users.CreateAsync(user) : await users.CreateAsync(user, password);
        if (result.Succeeded)
        {
            // Saved with the role, in the account's transaction.
            var organisation = organisationId is { } o ? await db.Organisations.Where(x => x.Id == o).Select(x => x.Name).FirstAsync(ct) : null;
            journal.Add(SecurityEventKind.AccountCreated, JournalAccount.Of(user),
                $"Rôle {Roles.Label(role!)}{(organisation is null ? "" : $", organisme {organisation}")}"
                + (password is null ? " ; e-mail de création de compte envoyé." : " ; mot de passe fourni."));
            result = await users.AddToRoleAsync(user, role!);
        }
        if (!result.Succeeded) return new(null, result.Errors.Select(e => e.Description).ToList());
        if (password is null)
        {
            var token = await users.GeneratePasswordResetTokenAsync(user);
            Outbox.EnqueueForUser(db, user.Email!, user.FullName, EmailKind.AccountCreated, SetPasswordPath(user.Email!, token), clock.UtcNow());
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        return new(user, []);
    }

    /// <summary>« Mot de passe oublié » : the e-mail goes only to an existing, active account; the answer is the same either way.</summary>
    public async Task RequestPasswordResetAsync(string? email, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(email)) return;
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null || !user.IsActive)
        {
            await journal.RecordAsync(SecurityEventKind.PasswordResetRequested, user is null ? JournalAccount.Typed(email) : JournalAccount.Of(user),
                user is null ? "Adresse inconnue : aucun e-mail envoyé." : "Compte désactivé : aucun e-mail envoyé.", ct: ct);
            return;
        }
        var token = await users.GeneratePasswordResetTokenAsync(user);
        Outbox.EnqueueForUser(db, user.Email!, user.FullName, EmailKind.PasswordReset, SetPasswordPath(user.Email!, token), clock.UtcNow());
        journal.Add(SecurityEventKind.PasswordResetRequested, JournalAccount.Of(user), "E-mail de réinitialisation envoyé.");
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The roles an agency user may hold; a Fournisseur belongs to an organisation and stays one.</summary>
    public static readonly string[] AgencyRoles = [Roles.Gestionnaire, Roles.Assistance, Roles.Administrateur];

    /// <summary>
    /// Gives an agency user another role (one role per user). The security stamp is renewed, so every session of the user
    /// ends at its next request and the next sign-in carries the new role; API tokens read the roles at each call.
    /// Refused: a Fournisseur, a role outside the agency's, and removing the last active Administrateur.
    /// </summary>
    public async Task<Outcome> ChangeRoleAsync(string? userId, string? role, CancellationToken ct = default)
    {
        var user = userId is null ? null : await users.FindByIdAsync(userId);
        if (user is null) return new(null, ["Utilisateur introuvable."]);
        var current = await users.GetRolesAsync(user);
        if (user.OrganisationId is not null || current.Contains(Roles.Fournisseur))
            return new(null, ["Le rôle d'un utilisateur Fournisseur ne se change pas ici : il reste rattaché à son organisme."]);
        if (role is null || !AgencyRoles.Contains(role))
            return new(null, ["Choisissez un rôle de l'Agence : Gestionnaire, Assistance utilisateur ou Administrateur."]);
        if (current.Count == 1 && current[0] == role) return new(null, [$"{user.Email} est déjà {Roles.Label(role)}."]);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Taken first, this write on the Administrateur role row serialises concurrent role changes (a row lock on
        // PostgreSQL, the write lock on SQLite): two administrators demoting each other cannot both pass the count below.
        var adminRole = await db.Roles.Where(r => r.Name == Roles.Administrateur)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ConcurrencyStamp, Guid.NewGuid().ToString()), ct);
        if (adminRole != 1) throw new InvalidOperationException("Rôle Administrateur absent de la base.");
        if (current.Contains(Roles.Administrateur) && role != Roles.Administrateur && user.IsActive)
        {
            var otherAdmins = await db.UserRoles.Where(ur => ur.UserId != user.Id)
                .Join(db.Roles.Where(r => r.Name == Roles.Administrateur), ur => ur.RoleId, r => r.Id, (ur, r) => ur.UserId)
                .Join(db.Users.Where(u => u.IsActive), id => id, u => u.Id, (id, u) => id).CountAsync(ct);
            if (otherAdmins == 0)
                return new(null, [$"{user.Email} est le dernier administrateur actif : nommez d'abord un autre administrateur."]);
        }
        var result = current.Count > 0 ? await users.RemoveFromRolesAsync(user, current) : IdentityResult.Success;
        if (result.Succeeded) result = await users.AddToRoleAsync(user, role);
        journal.Add(SecurityEventKind.RoleChanged, JournalAccount.Of(user),
            $"{string.Join(", ", current.Select(Roles.Label))} → {Roles.Label(role)}"); // saved with the new stamp
        if (result.Succeeded) result = await users.UpdateSecurityStampAsync(user); // ends every session of the user
        if (!result.Succeeded) return new(null, result.Errors.Select(e => e.Description).ToList());
        await tx.CommitAsync(ct);
        return new(user, []);
    }

    /// <summary>
    /// An administrator turns off a user's two-factor sign-in (phone and recovery codes lost): the key is renewed, the sessions
    /// end (new stamp), and the user enrols again at the next sign-in (required for the agency) or later (vendors).
    /// <paramref name="organisationId"/> is the organisation whose page asks, or null for the agency page: a user of another
    /// organisation answers as a missing one.
    /// </summary>
    public async Task<Outcome> ResetTwoFactorAsync(string? userId, int? organisationId, CancellationToken ct = default)
    {
        var user = userId is null ? null : await users.FindByIdAsync(userId);
        if (user is null || user.OrganisationId != organisationId) return new(null, ["Utilisateur introuvable."]);
        if (!user.TwoFactorEnabled) return new(null, [$"{user.Email} n'a pas activé la double authentification."]);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        journal.Add(SecurityEventKind.TwoFactorDisabled, JournalAccount.Of(user), "Réinitialisée par un administrateur."); // saved with the change
        var result = await users.SetTwoFactorEnabledAsync(user, false); // renews the stamp: every session ends
        if (result.Succeeded) result = await users.ResetAuthenticatorKeyAsync(user);
        if (!result.Succeeded) return new(null, result.Errors.Select(e => e.Description).ToList());
        await tx.CommitAsync(ct);
        return new(user, []);
    }

    public static string SetPasswordPath(string email, string token) =>
        $"/compte/definir-mot-de-passe?email={Uri.EscapeDataString(email)}&jeton={Uri.EscapeDataString(token)}";
}
