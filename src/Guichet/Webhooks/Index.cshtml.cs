using Guichet.Accounts;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Webhooks;

/// <summary>« Webhooks »: the organisation's endpoints for its vendor users — create (secret shown once), pause, rotate, test, replay, and the latest attempts.</summary>
[Authorize(Roles = Roles.Fournisseur)]
public sealed class IndexModel(WebhookSubscriptions hooks) : PageModel
{
    public sealed record Row(WebhookSubscription Subscription, IReadOnlyList<(WebhookAttempt Attempt, PortalEvent Event)> Attempts);

    public List<Row> Rows { get; private set; } = [];
    [BindProperty] public string? Address { get; set; }
    [BindProperty] public List<string> Types { get; set; } = [];
    public string? NewSecret { get; private set; }
    public string? Message { get; private set; }

    public Task OnGetAsync() => Load();

    public Task<IActionResult> OnPostCreateAsync() => Act(async ct =>
    {
        var created = await hooks.CreateAsync(User, Address, Types, true, ct);
        NewSecret = created.Secret;
        Address = null;
        Types = [];
        Message = $"Webhook n° {created.Id} créé.";
    });

    public Task<IActionResult> OnPostToggleAsync(long id) => Act(async ct =>
    {
        var hook = await hooks.FindAsync(User, id, ct);
        await hooks.ChangeAsync(User, id, null, null, !hook.Active, ct);
        Message = hook.Active ? $"Webhook n° {id} réactivé." : $"Webhook n° {id} mis en pause.";
    });

    public Task<IActionResult> OnPostRotateAsync(long id) => Act(async ct =>
    {
        NewSecret = (await hooks.RotateAsync(User, id, ct)).Secret;
        Message = $"Nouveau secret du webhook n° {id} : l'ancien reste valide pendant la période de rotation.";
    });

    public Task<IActionResult> OnPostTestAsync(long id) => Act(async ct =>
    {
        await hooks.SendTestAsync(User, id, ct);
        Message = "Événement de test programmé : il part dans les secondes qui viennent.";
    });

    public Task<IActionResult> OnPostReplayAsync(long id, long curseur) => Act(async ct =>
    {
        await hooks.ReplayAsync(User, id, curseur, ct);
        Message = $"L'événement de curseur {curseur} sera livré de nouveau.";
    });

    public Task<IActionResult> OnPostDeleteAsync(long id) => Act(async ct =>
    {
        await hooks.DeleteAsync(User, id, ct);
        Message = $"Webhook n° {id} supprimé.";
    });

    private async Task<IActionResult> Act(Func<CancellationToken, Task> action)
    {
        try
        {
            await action(HttpContext.RequestAborted);
        }
        catch (Refusal refusal)
        {
            if (!this.Record(refusal, "")) return NotFound();
        }
        await Load();
        return Page();
    }

    private async Task Load()
    {
        var ct = HttpContext.RequestAborted;
        Rows = [];
        foreach (var s in await hooks.ListAsync(User, ct))
            Rows.Add(new Row(s, await hooks.AttemptsAsync(User, s.Id, 10, ct)));
    }
}
