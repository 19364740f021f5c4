using System.Collections.Concurrent;
using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

/// <summary>
/// RGAA 10.11 (reflow): every page of the audit sample, on a 320 px phone, at 640 px (1280 px zoomed to 200 %) and at
/// 1280 px, never scrolls sideways, and axe-core finds no violation at 320 and 1280 px. The small-screen menu button.
/// </summary>
public sealed class ReflowTests(BrowserApp app)
{
    private const string Vendor = "editeur@agendapro.test";
    private const string Manager = "gestionnaire@asp.test";
    private const string Support = "assistance@asp.test";
    private const string Admin = "admin@asp.test";

    /// <summary>
    /// The audit sample: page, who is signed in (none: anonymous), path. Add new screens here. A path may name
    /// {a-modifier}, {incomplete} or {organisme} (see <see cref="DemoRequests.Resolve"/>).
    /// </summary>
    public static TheoryData<string, string?, string> AuditSample => new()
    {
        { "Accueil", null, "/" },
        { "Connexion", null, "/connexion" },
        { "Mot de passe oublié", null, "/compte/mot-de-passe-oublie" },
        { "Déclaration d'accessibilité", null, "/accessibilite" },
        { "Plan du site", null, "/plan-du-site" },
        { "Suivi des demandes", Vendor, "/demandes" },
        { "Demande (fournisseur)", Vendor, "/demandes/{a-modifier}" },
        { "Modifier", Vendor, "/demandes/{a-modifier}/modifier" },
        { "Demandes incomplètes", Vendor, "/demandes/incompletes" },
        { "Compléter une demande", Vendor, "/demandes/{incomplete}/completer" },
        { "Dépôt", Vendor, "/depots/nouveau" },
        { "Simulateur", Vendor, "/simulateur" },
        { "Format", Vendor, "/format" },
        { "Jetons d'API", Vendor, "/compte/jetons" },
        { "Webhooks", Vendor, "/compte/webhooks" },
        { "File d'instruction", Manager, "/instruction" },
        { "Instruction d'une demande", Manager, "/instruction/{a-modifier}" },
        { "Tableau de bord", Manager, "/instruction/tableau-de-bord" },
        { "Opérations groupées", Manager, "/instruction/operations-groupees" },
        { "Mon compte (gestionnaire)", Manager, "/compte" },
        { "Assistance", Support, "/assistance?q=DEMO" },
        { "Assistance : une demande", Support, "/assistance/{a-modifier}" },
        { "Administration : organismes", Admin, "/admin" },
        { "Administration : un organisme", Admin, "/admin/organismes/{organisme}" },
        { "Administration : Agence", Admin, "/admin/agence" },
        { "Administration : dispositifs", Admin, "/admin/dispositifs" },
        { "Administration : journal de sécurité", Admin, "/admin/journal" },
    };

    /// <summary>Each account signs in once for the whole sample; each page still gets its own browser context.</summary>
    private static readonly ConcurrentDictionary<string, Task<string>> SignedIn = new();

    private Task<string> StorageStateOf(string account) => SignedIn.GetOrAdd(account, async email =>
    {
        var page = await app.NewPage();
        await new LoginPage(page).SignIn(email);
        var state = await page.Context.StorageStateAsync();
        await page.Context.CloseAsync();
        return state;
    });

    [Theory]
    [MemberData(nameof(AuditSample))]
    public async Task The_page_reflows_at_320_px_and_at_200_percent_zoom_and_axe_finds_nothing(string name, string? account, string path)
    {
        var page = await app.NewPage(account is null ? null : await StorageStateOf(account));
        await page.SetViewportSizeAsync(320, 640);
        var response = await page.GotoAsync(await DemoRequests.Resolve(app, path));
        Assert.True(response!.Ok, $"{name} : {path} a répondu {response.Status}");

        await Reflow.AssertNoHorizontalScroll(page);
        await Accessibility.AssertNoViolations(page);
        await page.SetViewportSizeAsync(640, 800);
        await Reflow.AssertNoHorizontalScroll(page);
        await page.SetViewportSizeAsync(1280, 900);
        await Reflow.AssertNoHorizontalScroll(page);
        await Accessibility.AssertNoViolations(page);
    }

    [Fact]
    public async Task On_a_phone_the_navigation_hides_behind_a_Menu_button_that_the_keyboard_opens_and_closes()
    {
        var page = await app.NewPage();
        await page.SetViewportSizeAsync(320, 640);
        await new LoginPage(page).SignIn(Manager);
        var menu = page.GetByRole(AriaRole.Button, new() { Name = "Menu", Exact = true });
        var dashboard = page.GetByRole(AriaRole.Navigation, new() { Name = "Menu principal" }).GetByRole(AriaRole.Link, new() { Name = "Tableau de bord" });
        await Assertions.Expect(menu).ToBeVisibleAsync();
        await Assertions.Expect(menu).ToHaveAttributeAsync("aria-expanded", "false");
        await Assertions.Expect(menu).ToHaveAttributeAsync("aria-controls", "menu-principal");
        await Assertions.Expect(dashboard).ToBeHiddenAsync();

        await Keyboard.TabTo(page, "« Menu »");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(menu).ToHaveAttributeAsync("aria-expanded", "true");
        await Assertions.Expect(dashboard).ToBeVisibleAsync();
        await Reflow.AssertNoHorizontalScroll(page);
        await Accessibility.AssertNoViolations(page);
        await Keyboard.TabTo(page, "Tableau de bord");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(menu).ToHaveAttributeAsync("aria-expanded", "false");
        await Assertions.Expect(menu).ToBeFocusedAsync();
        await Assertions.Expect(dashboard).ToBeHiddenAsync();

        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(menu).ToHaveAttributeAsync("aria-expanded", "true");
        await Keyboard.TabTo(page, "Tableau de bord");
        await Keyboard.EnterTo(page, "**/instruction/tableau-de-bord");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Tableau de bord");

        // On a wide screen the links are shown and the button is not.
        await page.SetViewportSizeAsync(1280, 900);
        await Assertions.Expect(menu).ToBeHiddenAsync();
        await Assertions.Expect(dashboard).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Without_script_the_navigation_is_shown_and_no_menu_button_is_left_that_does_nothing()
    {
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl, Locale = "fr-FR", JavaScriptEnabled = false, ViewportSize = new ViewportSize { Width = 320, Height = 640 },
        });
        var page = await context.NewPageAsync();
        await new LoginPage(page).SignIn(Manager);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Menu", Exact = true })).ToBeHiddenAsync();
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Menu principal" });
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Tableau de bord" })).ToBeVisibleAsync();
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Instruction", Exact = true })).ToBeVisibleAsync();
        await Reflow.AssertNoHorizontalScroll(page);
        await context.CloseAsync();
    }

    [Fact]
    public async Task Only_managers_get_the_Tableau_de_bord_link()
    {
        var page = await app.NewPage();
        await new LoginPage(page).SignIn(Support);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Menu principal" });
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Assistance" })).ToBeVisibleAsync();
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Tableau de bord" })).ToHaveCountAsync(0);
    }
}
