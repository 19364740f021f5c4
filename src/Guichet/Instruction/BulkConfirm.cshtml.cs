using Guichet.Accounts;
using Guichet.Domain;
using Guichet.Hosting;
using Guichet.Instruction.Bulk;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Instruction;

/// <summary>
/// « Actions groupées »: the queue's form arrives here; the page states the exact count and the action, and « Confirmer »
/// (the count travels in the form) freezes the selection and starts the operation.
/// </summary>
[Authorize(Roles = Roles.Gestionnaire)]
public sealed class BulkConfirmModel(StartBulkOperation start) : PageModel
{
    [BindProperty] public string? Action { get; set; }
    [BindProperty] public string? Motif { get; set; }
    [BindProperty] public string? Commentaire { get; set; }
    [BindProperty] public List<string> Elements { get; set; } = [];
    /// <summary>« cochees » or « filtre ».</summary>
    [BindProperty] public string? Portee { get; set; }
    [BindProperty] public List<string> Numeros { get; set; } = [];
    /// <summary>The queue's query string, as shown when the manager chose « tous les résultats du filtre ».</summary>
    [BindProperty] public string? Filtre { get; set; }
    [BindProperty] public int? Nombre { get; set; }

    public BulkAction? Chosen { get; private set; }
    public int Count { get; private set; }

    public string BackLink => "/instruction" + (Filtre ?? "");

    public IActionResult OnGet() => Redirect("/instruction");

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        try
        {
            Count = await start.PreviewAsync(User, Selection(), ct);
        }
        catch (Refusal refusal) when (this.Record(refusal)) { }
        return Page();
    }

    public async Task<IActionResult> OnPostConfirmerAsync(CancellationToken ct)
    {
        try
        {
            var operation = await start.RunAsync(User, Selection() with { ExpectedCount = Nombre }, ct);
            return Redirect($"/instruction/operations-groupees/{operation.Id}");
        }
        catch (Refusal refusal) when (this.Record(refusal)) { }
        return Page();
    }

    private BulkSelection Selection()
    {
        Chosen = BulkOperation.Parse(Action) ?? throw Refusal.Invalid("Choisissez l'action à appliquer.", "Action");
        QueueFilter? filter = null;
        List<string>? numbers = null;
        if (Portee == "filtre")
        {
            var errors = new List<ErrorItem>();
            filter = QueueQuery.Parse(new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Filtre ?? "")), errors);
            if (errors.Count > 0) throw Refusal.Invalid(errors);
        }
        else
        {
            numbers = Numeros;
            if (numbers.Count == 0) throw Refusal.Invalid("Cochez au moins une demande dans la file, ou choisissez « tous les résultats du filtre ».", "Numeros");
        }
        return new BulkSelection(Chosen.Value, Motif, Commentaire, Elements, numbers, filter, null);
    }

    public string Sentence => Chosen is { } a
        ? $"Vous allez {BulkOperation.Verb(a)} {StartBulkOperation.Count(Count)} demande{(Count > 1 ? "s" : "")}."
        : "";
}
