using Microsoft.Playwright;

namespace Guichet.BrowserTests.Support;

/// <summary>Moving through a page with the keyboard alone, and checking that the user can see where focus is.</summary>
public static class Keyboard
{
    /// <summary>A short description of the focused element: tag, accessible text or label, and value of aria-expanded.</summary>
    public static Task<string> Focused(IPage page) => page.EvaluateAsync<string>("""
        () => {
            const e = document.activeElement;
            if (!e || e === document.body) return 'body';
            const label = e.labels && e.labels.length ? e.labels[0].textContent : (e.getAttribute('aria-label') || e.textContent || e.value || '');
            return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' « ' + label.replace(/\s+/g, ' ').trim() + ' »';
        }
        """);

    /// <summary>Presses Tab (or Shift+Tab) until the focused element's description contains the text; fails after 150 stops.</summary>
    public static async Task TabTo(IPage page, string text, bool backwards = false)
    {
        var seen = new List<string>();
        for (var i = 0; i < 150; i++)
        {
            await page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
            var focused = await Focused(page);
            if (focused.Contains(text, StringComparison.Ordinal))
            {
                await AssertFocusVisible(page);
                return;
            }
            seen.Add(focused);
        }
        Assert.Fail($"« {text} » jamais atteint au clavier sur {page.Url} ; parcouru : " + string.Join(" → ", seen.TakeLast(30)));
    }

    /// <summary>
    /// Opens the focused file input's chooser with Enter, then Space. Chromium now and then ignores the first key on a
    /// busy machine (seen in CI: no chooser within 30 s), so each key gets a few seconds before the next is tried.
    /// </summary>
    public static async Task<IFileChooser> OpenFileChooser(IPage page)
    {
        foreach (var key in new[] { "Enter", "Space", "Enter" })
        {
            var chooser = page.WaitForFileChooserAsync(new() { Timeout = 8_000 });
            await page.Keyboard.PressAsync(key);
            try
            {
                return await chooser;
            }
            catch (TimeoutException)
            {
                // Tried again below with the other key; the input still has the focus.
            }
        }
        throw new TimeoutException($"Le sélecteur de fichier ne s'est pas ouvert au clavier sur {await Focused(page)} ({page.Url}).");
    }

    /// <summary>Follows a link with the keyboard alone: focus (checked), then <see cref="EnterTo(IPage, string)"/>.</summary>
    public static async Task Follow(IPage page, ILocator link, string urlGlob)
    {
        await link.FocusAsync();
        await Assertions.Expect(link).ToBeFocusedAsync();
        await EnterTo(page, urlGlob);
    }

    /// <summary>
    /// Presses Enter on the focused link or button and waits for the page it leads to. Chromium now and then drops the
    /// key on a busy machine (seen in CI: no navigation within 90 s), so a link whose page is still on its URL after 15 s
    /// gets the key once more. A navigation may also commit just as the first wait ends (seen in CI: the URL was the
    /// expected one when the failure was written), so every case gets a second wait of 60 s before failing; then
    /// « load » for 10 s at most and the new page's heading for 90 s (<see cref="Navigation.Shown"/>).
    /// </summary>
    public static Task EnterTo(IPage page, string urlGlob) => EnterTo(page, Navigation.Glob(urlGlob), urlGlob);

    /// <inheritdoc cref="EnterTo(IPage, string)"/>
    public static Task EnterTo(IPage page, System.Text.RegularExpressions.Regex url) => EnterTo(page, url.IsMatch, url.ToString());

    // The address is polled (Navigation), not awaited through WaitForURLAsync, which waits for a « load » it can miss.
    private static async Task EnterTo(IPage page, Func<string, bool> matches, string expected)
    {
        var from = page.Url;
        // Only a link gets the key twice: a second Enter on a form's button could submit it twice while its answer is slow.
        var link = await page.EvaluateAsync<bool>("() => document.activeElement?.tagName === 'A'");
        await page.Keyboard.PressAsync("Enter");
        if (!await Navigation.AddressWithin(page, matches, link ? 15_000 : 90_000))
        {
            if (link && page.Url == from)
                await page.Keyboard.PressAsync("Enter"); // still on the page: the key was dropped (a GET link, safe twice)
            if (!await Navigation.AddressWithin(page, matches, 60_000))
                Assert.Fail($"Entrée a mené à {page.Url}, pas à {expected}.");
        }
        await Navigation.Shown(page, 90_000);
    }

    /// <summary>The focused element draws an outline or a box-shadow (the theme's focus ring), never nothing.</summary>
    public static async Task AssertFocusVisible(IPage page)
    {
        var ring = await page.EvaluateAsync<string>("""
            () => {
                const s = getComputedStyle(document.activeElement);
                const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 ? s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor : '';
                const shadow = s.boxShadow !== 'none' ? s.boxShadow : '';
                return outline || shadow;
            }
            """);
        Assert.True(ring != "", $"Aucun indicateur de focus visible sur {await Focused(page)} ({page.Url})");
    }
}
