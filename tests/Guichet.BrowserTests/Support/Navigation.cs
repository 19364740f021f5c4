using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Support;

/// <summary>
/// Waiting for the page a click leads to. Playwright's own wait (<c>WaitForURLAsync</c>) waits for the page's « load »
/// event, even with <c>WaitUntil = Commit</c> when the address already matches, and it sometimes never hears that event
/// after a form's redirect though the browser shows the page (CI runs 38, 42, 43 and 44: stopped on the right address
/// after 30 to 90 s, « NetworkIdle » reported). Here: the address polled, « load » for a while, then the page's heading
/// in the DOM, which do not depend on that event.
/// </summary>
public static class Navigation
{
    // Long enough for a slow page's scripts and styles; when the event is missed, the page has long been loaded by then.
    private const float LoadWait = 10_000;

    /// <summary>An address in Playwright's glob: <c>**</c> any text, <c>*</c> any text without « / », the rest as written.</summary>
    public static Task Reached(IPage page, string urlGlob, float? timeout = null) => Reached(page, Glob(urlGlob), urlGlob, timeout);

    public static Task Reached(IPage page, Regex url, float? timeout = null) => Reached(page, url.IsMatch, url.ToString(), timeout);

    public static Task Reached(IPage page, Func<string, bool> url, float? timeout = null) => Reached(page, url, "(condition)", timeout);

    /// <summary>The glob as a condition on the address.</summary>
    public static Func<string, bool> Glob(string urlGlob)
    {
        var pattern = new Regex("^" + string.Concat(Regex.Split(urlGlob, @"(\*\*|\*)").Select(part => part switch
        {
            "**" => ".*",
            "*" => "[^/]*",
            _ => Regex.Escape(part),
        })) + "$");
        return pattern.IsMatch;
    }

    /// <summary>True as soon as the address matches (at once when it already does), false when the time runs out.</summary>
    public static async Task<bool> AddressWithin(IPage page, Func<string, bool> matches, float timeout)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeout);
        while (!matches(page.Url))
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50);
        }
        return true;
    }

    /// <summary>
    /// The page at the address is shown: « load » for a while if Playwright reports it, then its heading in the DOM. The
    /// limit applies to each step, as in <see cref="Reached(IPage, string, float?)"/> (address, then heading).
    /// </summary>
    public static async Task Shown(IPage page, float timeout)
    {
        try
        {
            await page.WaitForLoadStateAsync(LoadState.Load, new() { Timeout = Math.Min(LoadWait, timeout) });
        }
        catch (TimeoutException)
        {
            // The event was missed; the page itself is checked below.
        }
        await page.Locator("h1").First.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = timeout });
    }

    /// <summary>
    /// Sends a form by <paramref name="click"/> and waits for the page its answer gives, which may have the same address
    /// (a filter, a POST answered on its own page): the current document is marked before the click, then a document
    /// without the mark, then <see cref="Shown"/>. Not Playwright's « load » alone, which it sometimes never hears.
    /// </summary>
    public static async Task Submitted(IPage page, Func<Task> click, float timeout = 30_000)
    {
        await page.EvaluateAsync("() => { window.gxBeforeSubmit = true; }");
        await click();
        var deadline = DateTime.UtcNow.AddMilliseconds(timeout);
        while (true)
        {
            try
            {
                if (!await page.EvaluateAsync<bool>("() => window.gxBeforeSubmit === true")) break;
            }
            catch (PlaywrightException)
            {
                // The old document went away during the look: the next one tells.
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Aucune nouvelle page après l'envoi du formulaire, restée sur {page.Url}.");
            await Task.Delay(50);
        }
        await Shown(page, timeout);
    }

    private static async Task Reached(IPage page, Func<string, bool> matches, string expected, float? timeout)
    {
        var limit = timeout ?? 30_000;
        if (!await AddressWithin(page, matches, limit))
            throw new TimeoutException($"Page attendue à l'adresse {expected}, restée sur {page.Url}.");
        await Shown(page, limit);
    }
}
