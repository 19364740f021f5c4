using Guichet.Data;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Accounts;

/// <summary>Personal API tokens: created (shown once), listed, revoked by their owner.</summary>
[Authorize]
public sealed class TokensModel(GuichetDbContext db, TimeProvider clock, SecurityJournal journal) : PageModel
{
    public List<ApiToken> Tokens { get; private set; } = [];
    [BindProperty] public string? Name { get; set; }
    public string? NameError { get; private set; }
    public string? NewToken { get; private set; }
    public string? NewTokenName { get; private set; }
    public string? Message { get; private set; }

    public async Task OnGetAsync() => await Load();

    public async Task<IActionResult> OnPostCreateAsync()
    {
        var name = Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100)
        {
            NameError = "Donnez un nom au jeton (100 caractères au plus).";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await Load();
            return Page();
        }
        var token = ApiTokens.Generate();
        db.ApiTokens.Add(new ApiToken
        {
            UserId = User.Id(), Name = name, Hash = ApiTokens.Hash(token), Prefix = token[..8], CreatedAt = clock.UtcNow(),
        });
        journal.Add(SecurityEventKind.ApiTokenCreated, Me(), $"Jeton « {name} » ({token[..8]}…).");
        await db.SaveChangesAsync();
        NewToken = token;
        NewTokenName = name;
        Name = null;
        await Load();
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(int id)
    {
        var now = clock.UtcNow();
        var userId = User.Id();
        // Only the owner's own, still active token: anything else is answered as missing. Revoked and journaled together.
        await using var tx = await db.Database.BeginTransactionAsync();
        var token = await db.ApiTokens.AsNoTracking().Where(t => t.Id == id && t.UserId == userId && t.RevokedAt == null)
            .Select(t => new { t.Name, t.Prefix }).FirstOrDefaultAsync();
        var revoked = token is null ? 0 : await db.ApiTokens.Where(t => t.Id == id && t.UserId == userId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now));
        if (revoked == 0) return NotFound();
        journal.Add(SecurityEventKind.ApiTokenRevoked, Me(), $"Jeton « {token!.Name} » ({token.Prefix}…).");
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        Message = "Le jeton a été révoqué : il ne permet plus d'appeler l'API.";
        await Load();
        return Page();
    }

    private JournalAccount Me() => new(User.Id(), User.Identity?.Name);

    private async Task Load()
    {
        var userId = User.Id();
        Tokens = await db.ApiTokens.Where(t => t.UserId == userId).OrderByDescending(t => t.CreatedAt).ToListAsync();
    }
}
