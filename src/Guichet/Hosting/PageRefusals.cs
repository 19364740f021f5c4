using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Guichet.Hosting;

/// <summary>The pages' one reading of a refused action (the API's is <see cref="Problems.Result(Refusal)"/>).</summary>
public static class PageRefusals
{
    /// <summary>
    /// Records the refusal on the page: its errors in ModelState under their JSON path (or under <paramref name="key"/>, the
    /// form they belong to) and its status on the response. Returns false for « not found », which the page answers with a
    /// 404 exactly as for a missing request.
    /// </summary>
    public static bool Record(this PageModel page, Refusal refusal, string? key = null)
    {
        if (refusal.Kind == RefusalKind.NotFound) return false;
        page.Response.StatusCode = Problems.StatusOf(refusal.Kind);
        foreach (var e in refusal.Errors) page.ModelState.AddModelError(key ?? e.Chemin, e.Message);
        return true;
    }

    /// <summary>A decision form is taken into account only once its confirmation box is ticked.</summary>
    public static void RequireTicked(bool ticked)
    {
        if (!ticked) throw Refusal.Invalid("Cochez la case de confirmation pour enregistrer cette décision.");
    }

    /// <summary>The errors recorded on the page, first to last.</summary>
    public static IReadOnlyList<ErrorItem> Errors(this PageModel page) =>
        page.ModelState.SelectMany(kv => kv.Value!.Errors.Select(e => new ErrorItem(kv.Key, null, e.ErrorMessage))).ToList();

    /// <summary>The first error recorded under <paramref name="key"/>, or null.</summary>
    public static string? ErrorFor(this PageModel page, string key) =>
        page.ModelState.TryGetValue(key, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;
}
