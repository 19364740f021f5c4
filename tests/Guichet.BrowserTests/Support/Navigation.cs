using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Support;

/// <summary>
/// Waiting for the page a click leads to. Playwright's own wait (<c>WaitForURLAsync</c> until « load ») sometimes never
/// hears the « load » event after a form's redirect, though the browser shows the page (CI runs 38, 42 and 43: stopped
/// on the right address after 30 to 90 s, « NetworkIdle » reported). Here: the address once the response commits, then
/// « load » for a while, then the page's heading in the DOM, which does not depend on that event.
/// </summary>
public static class Navigation
{
    // Long enough for a slow page's scripts and styles; when the event is missed, the page has long been loaded by then.
    private const float LoadWait = 10_000;

    public static async Task Reached(IPage page, string urlGlob, float? timeout = null)
    {
        await page.WaitForURLAsync(urlGlob, new() { WaitUntil = WaitUntilState.Commit, Timeout = timeout });
        await Loaded(page);
    }

    public static async Task Reached(IPage page, Regex url, float? timeout = null)
    {
        await page.WaitForURLAsync(url, new() { WaitUntil = WaitUntilState.Commit, Timeout = timeout });
        await Loaded(page);
    }

    public static async Task Reached(IPage page, Func<string, bool> url, float? timeout = null)
    {
        await page.WaitForURLAsync(url, new() { WaitUntil = WaitUntilState.Commit, Timeout = timeout });
        await Loaded(page);
    }

    private static async Task Loaded(IPage page)
    {
        try
        {
            await page.WaitForLoadStateAsync(LoadState.Load, new() { Timeout = LoadWait });
        }
        catch (TimeoutException)
        {
            // The event was missed; the page itself is checked below.
        }
        await page.Locator("h1").First.WaitForAsync(new() { State = WaitForSelectorState.Attached });
    }
}
