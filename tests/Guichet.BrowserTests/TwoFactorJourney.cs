using Guichet.Accounts;
using Guichet.BrowserTests.Pages;
using Guichet.BrowserTests.Support;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Guichet.BrowserTests;

public sealed class TwoFactorJourney(BrowserApp app)
{
    private const string Password = "Double-Facteur-2026!";

    /// <summary>A fresh vendor (not a demo account, which other journeys use).</summary>
    private async Task<string> NewVendorAsync()
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GuichetUser>>();
        var organisation = (await users.FindByEmailAsync("editeur@agendapro.test"))!.OrganisationId;
        var email = $"2fa-{Guid.NewGuid():N}@agendapro.test";
        var user = new GuichetUser { UserName = email, Email = email, EmailConfirmed = true, FullName = "Dominique Deux", OrganisationId = organisation };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, Roles.Fournisseur)).Succeeded);
        return email;
    }

    [Fact]
    public async Task A_vendor_enrols_an_app_then_signs_in_with_a_code_and_with_a_recovery_code()
    {
        var email = await NewVendorAsync();
        var page = await app.NewPage();
        await new LoginPage(page).SignIn(email, Password);

        var enrolment = new TwoFactorPage(page);
        await enrolment.Open();
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Code QR" })).ToBeVisibleAsync();
        await Accessibility.AssertNoViolations(page);
        var key = await enrolment.Key();
        Assert.Matches("^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$", key);
        var codes = await enrolment.Enable(Totp.Code(key), Password);
        Assert.Equal(10, codes.Count);
        await Assertions.Expect(page.GetByText("Conservez ces codes")).ToBeVisibleAsync();
        await Accessibility.Capture(page, "double-authentification-codes");
        await Accessibility.AssertNoViolations(page);

        var login = new TwoStepLoginPage(page);
        await login.SignOut();
        await login.Password(email, Password);
        await Accessibility.AssertNoViolations(page);
        await login.Code(Totp.Code(key));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Suivi des demandes de financement" })).ToBeVisibleAsync();

        await login.SignOut();
        await login.Password(email, Password);
        await login.UseRecoveryCode();
        await Accessibility.AssertNoViolations(page);
        await login.RecoveryCode(codes[0]);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Suivi des demandes de financement" })).ToBeVisibleAsync();
        await enrolment.Open();
        await Assertions.Expect(page.Locator("#codes-restants")).ToHaveTextAsync("9");
    }
}
