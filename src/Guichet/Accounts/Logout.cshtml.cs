using Guichet.Data;
using Guichet.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Accounts;

public sealed class LogoutModel(SignInManager<GuichetUser> signIn, GuichetDbContext db, TimeProvider clock, SecurityJournal journal) : PageModel
{
    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        // This session only: its row is ended, so a copy of the cookie is refused too; the user's other devices stay signed in.
        await Sessions.RevokeAsync(db, User.Id(), User.SessionId(), clock.UtcNow(), ct);
        await journal.RecordAsync(SecurityEventKind.SignedOut, new JournalAccount(User.Id(), User.Identity?.Name), ct: ct);
        await signIn.SignOutAsync();
        return LocalRedirect("/");
    }
}
