using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

/// <summary>The managers' desk: taking a request, a private note, « mes demandes », the dashboard.</summary>
public sealed class DeskJourney(BrowserApp app)
{
    [Fact]
    public async Task A_manager_takes_a_request_leaves_a_note_finds_it_under_my_requests_and_reads_the_dashboard()
    {
        var manager = await app.NewPage();
        await new LoginPage(manager).SignIn("gestionnaire@asp.test");
        var queue = new QueuePage(manager);
        await queue.Open();
        await queue.Filter("AgendaPro", "Rejetée");
        await manager.GetByLabel("Attribution").SelectOptionAsync(new SelectOptionValue { Label = "Non attribuées" });
        await manager.GetByRole(AriaRole.Button, new() { Name = "Filtrer" }).ClickAsync();
        await Assertions.Expect(manager.GetByRole(AriaRole.Columnheader, new() { Name = "Attribuée à" })).ToBeVisibleAsync();
        var number = await queue.OpenFirst();

        var desk = new DeskPanel(manager);
        await Assertions.Expect(desk.AssignedTo).ToHaveTextAsync("Non attribuée.");
        await desk.TakeIt();
        await Assertions.Expect(manager.GetByRole(AriaRole.Status).Filter(new() { HasText = "La demande vous est attribuée." })).ToBeVisibleAsync();
        await Assertions.Expect(desk.AssignedTo).ToContainTextAsync("Attribuée à vous");
        await desk.AddNote("Vérifier le SIRET avec la direction régionale.");
        await Assertions.Expect(manager.Locator(".gx-timeline li.gx-note", new() { HasText = "Vérifier le SIRET" })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(manager);

        await manager.GotoAsync("/instruction");
        await manager.GetByRole(AriaRole.Link, new() { Name = "Mes demandes", Exact = true }).ClickAsync();
        await Assertions.Expect(manager.GetByRole(AriaRole.Link, new() { Name = number })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(manager);

        // The dashboard, reached and read with the keyboard alone: a figure's link leads to the filtered queue.
        await manager.GetByRole(AriaRole.Link, new() { Name = "Tableau de bord" }).First.FocusAsync();
        await manager.Keyboard.PressAsync("Enter");
        await Assertions.Expect(manager.GetByRole(AriaRole.Heading, new() { Name = "Tableau de bord", Level = 1 })).ToBeVisibleAsync();
        var dashboard = new DashboardPage(manager);
        await Assertions.Expect(dashboard.Charts).ToHaveCountAsync(4);
        await Accessibility.AssertNoViolations(manager);
        await Keyboard.Follow(manager, dashboard.Figure("tours|ouverts").GetByRole(AriaRole.Link), "**/instruction?statut=A_MODIFIER");
        await Assertions.Expect(manager.GetByLabel("Statut", new() { Exact = true })).ToHaveValueAsync("A_MODIFIER");
    }
}
