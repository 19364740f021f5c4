using Guichet.Accounts;
using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

public sealed class AccountJourney(BrowserApp app)
{
    /// <summary>A vendor of its own (the demo accounts are used by other journeys running alongside, which this one would sign out).</summary>
    private async Task<string> NewVendorAsync()
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
        var vendorOf = (await users.FindByEmailAsync("editeur@agendapro.test"))!.OrganisationId;
        var email = $"appareils-{Guid.NewGuid():N}@agendapro.test";
        var user = new GuichetUser { UserName = email, Email = email, EmailConfirmed = true, FullName = "Claude Deux-Appareils", OrganisationId = vendorOf };
        Assert.True((await users.CreateAsync(user, "Guichet-Demo-2026!")).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, Roles.Fournisseur)).Succeeded);
        return email;
    }

    [Fact]
    public async Task Signing_out_of_every_device_from_the_laptop_sends_the_phone_back_to_sign_in()
    {
        var email = await NewVendorAsync();
        var laptop = await app.NewPage();
        var phone = await app.NewPage(); // another browser context: another device
        await new LoginPage(laptop).SignIn(email);
        await new LoginPage(phone).SignIn(email);

        var account = new AccountPage(laptop);
        await account.Open();
        await Assertions.Expect(laptop.GetByRole(AriaRole.Heading, new() { Name = "Mon compte", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(laptop.GetByText(email)).ToBeVisibleAsync();
        await Assertions.Expect(account.Devices).ToHaveCountAsync(2);
        await Assertions.Expect(account.ThisDevice).ToHaveCountAsync(1);
        await Assertions.Expect(account.Devices.GetByRole(AriaRole.Button, new() { Name = "Déconnecter" })).ToHaveCountAsync(1);
        await Accessibility.AssertNoViolations(laptop);
        await Accessibility.Capture(laptop, "mon-compte");

        await account.SignOutEverywhere();

        await phone.GotoAsync("/demandes");
        Assert.Contains("/connexion", phone.Url);
        await laptop.GotoAsync("/demandes");
        Assert.Contains("/connexion", laptop.Url);
    }
}
