using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Accounts;

public sealed class LogoutModel(SignInManager<GuichetUser> signIn, UserManager<GuichetUser> users, SecurityJournal journal) : PageModel
{
    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        // A new security stamp ends this session everywhere it was copied, and the user's other sessions with it.
        if (await users.GetUserAsync(User) is { } user)
        {
            journal.Add(SecurityEventKind.SignedOut, JournalAccount.Of(user)); // saved with the new stamp
            await users.UpdateSecurityStampAsync(user);
        }
        await signIn.SignOutAsync();
        return LocalRedirect("/");
    }
}
