using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Guichet.BrowserTests.Support;

public static class Accessibility
{
    /// <summary>Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page and fails with the list of violations.</summary>
    public static async Task AssertNoViolations(IPage page)
    {
        var result = await page.RunAxe(new Deque.AxeCore.Commons.AxeRunOptions
        {
            RunOnly = new Deque.AxeCore.Commons.RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
        });
        var violations = result.Violations.Select(v =>
            $"{v.Id} ({v.Impact}) : {v.Help} — {string.Join(" | ", v.Nodes.Take(3).Select(n => string.Join(" ", n.Target)))}").ToList();
        Assert.True(violations.Count == 0, $"axe-core sur {page.Url} :\n" + string.Join("\n", violations));
    }

    public static Task Capture(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserApp.ArtifactsFolder, name + ".png"), FullPage = true });
}
