using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Instruction;

/// <summary>One bar of a server-drawn chart.</summary>
public sealed record Bar(string Label, int Value);

/// <summary>A bar chart drawn as SVG on the server (no script, strict CSP kept); its data table follows it on the page.</summary>
public sealed record BarChart(string Id, string Title, IReadOnlyList<Bar> Bars, bool Columns);

/// <summary>
/// « Tableau de bord » for managers (the queue's role, so that each figure links to the queue with its filter): requests by
/// status and scheme, deposits per week, rounds due, round outcomes, deposit→decision time.
/// </summary>
[Authorize(Roles = Roles.Gestionnaire)]
public sealed class DashboardModel(GuichetDbContext db, TimeProvider clock) : PageModel
{
    public DashboardFigures Figures { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) => Figures = await Dashboard.RunAsync(db, clock.UtcNow(), ct);

    public static string QueueLink(params (string Key, string? Value)[] filters) =>
        "/instruction" + Microsoft.AspNetCore.Http.QueryString.Create(filters.Where(f => f.Value is not null).Select(f => KeyValuePair.Create(f.Key, f.Value)));

    public static string Days(double? seconds) =>
        seconds is { } s ? (s / 86400).ToString("0.0", System.Globalization.CultureInfo.GetCultureInfo("fr-FR")) + " j" : "—";

    public static string OutcomeLabel(RoundOutcome o) => o switch
    {
        RoundOutcome.Confirmed => "Modification confirmée",
        RoundOutcome.Declined => "« Ne pas modifier »",
        RoundOutcome.Expired => "Close à J+20 (délai dépassé)",
        _ => "Annulée par l'Agence",
    };
}
