using Microsoft.Playwright;

namespace Guichet.BrowserTests.Support;

/// <summary>RGAA 10.11 / WCAG 1.4.10: the page never scrolls sideways; wide content scrolls inside its own region.</summary>
public static class Reflow
{
    /// <summary>Fails when the page is wider than the window, naming the elements that stick out (outside a table-scroll region).</summary>
    public static async Task AssertNoHorizontalScroll(IPage page)
    {
        var result = await page.EvaluateAsync<string>("""
            () => {
                const width = window.innerWidth;
                if (document.documentElement.scrollWidth <= width) return '';
                const out = [];
                for (const e of document.querySelectorAll('body *')) {
                    const r = e.getBoundingClientRect();
                    if (r.width === 0 || r.right <= width + 0.5 || e.parentElement.closest('.table-scroll')) continue;
                    const cls = typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '';
                    out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + cls + ' (' + Math.round(r.right) + ' px)');
                }
                return document.documentElement.scrollWidth + ' px pour ' + width + ' px : ' + out.slice(0, 12).join(', ');
            }
            """);
        Assert.True(result == "", $"Défilement horizontal sur {page.Url} : {result}");
    }
}
