using Guichet.Domain;

namespace Guichet.Tests.Domain;

public class IdentifierTests
{
    [Theory]
    [InlineData("90000001900019", true)]   // AgendaPro (demo)
    [InlineData("90000002700012", true)]   // Regulis (demo)
    [InlineData("73282932000074", true)]   // a real, Luhn-valid SIRET
    [InlineData("73282932000075", false)]  // one digit off
    [InlineData("7328293200007", false)]   // 13 digits
    [InlineData("7328293200007A", false)]
    [InlineData("", false)]
    public void Siret_is_14_digits_with_a_Luhn_key(string siret, bool valid) => Assert.Equal(valid, Identifiers.IsValidSiret(siret));

    [Theory]
    [InlineData("35600000001000", true)]   // La Poste: digit sum 15, divisible by 5 (Luhn fails)
    [InlineData("35600000000010", true)]   // digit sum 15
    [InlineData("35600000000048", false)]  // Luhn-valid, but digit sum 26
    [InlineData("35600000000049", false)]  // digit sum 27
    public void La_Poste_sirets_use_the_digit_sum_rule(string siret, bool valid)
    {
        Assert.Equal(valid, Identifiers.IsValidSiret(siret));
        if (siret == "35600000001000") Assert.False(Identifiers.Luhn(siret)); // proves the exception is what accepts it
    }

    [Theory]
    [InlineData("750712184", true)]   // AP-HP siège, Luhn-valid
    [InlineData("750712185", false)]
    [InlineData("75071218", false)]
    public void Finess_is_9_digits_with_a_Luhn_key(string finess, bool valid) => Assert.Equal(valid, Identifiers.IsValidFiness(finess));

    [Theory]
    [InlineData("10101010101", true)]
    [InlineData("1010101010", false)]
    [InlineData("101010101011", false)]
    [InlineData("1010101010a", false)]
    public void Rpps_is_11_digits(string rpps, bool valid) => Assert.Equal(valid, Identifiers.IsValidRpps(rpps));

    [Theory]
    [InlineData("support@agendapro.test", true)]
    [InlineData("https://support.agendapro.test/sas", true)]
    [InlineData("01 23 45 67 89", true)]
    [InlineData("+33 1 23 45 67 89", true)]
    [InlineData("0123456789", true)]
    [InlineData("http://support.agendapro.test", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("appelez-nous", false)]
    [InlineData("12 34", false)]
    [InlineData("", false)]
    public void Contact_support_is_an_email_a_french_phone_or_an_https_link(string value, bool valid) =>
        Assert.Equal(valid, RequestRules.ContactSupportError(value) is null);

    [Fact]
    public void Contact_support_over_500_characters_is_refused() =>
        Assert.Contains("500", RequestRules.ContactSupportError("https://a.test/" + new string('x', 490)));
}
