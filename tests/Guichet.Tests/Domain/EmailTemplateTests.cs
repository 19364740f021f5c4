using Guichet.Domain;
using Guichet.Email;
using Guichet.Tests.Support;

namespace Guichet.Tests.Domain;

public sealed class EmailTemplateTests
{
    [Theory]
    [InlineData(EmailKind.RoundOpened, RequestStatus.AModifier, "modification demandée avant le")]
    [InlineData(EmailKind.Reminder, RequestStatus.AModifier, "Relance")]
    [InlineData(EmailKind.RoundClosed, RequestStatus.EnCours, "délai de modification expiré")]
    [InlineData(EmailKind.ModificationConfirmed, RequestStatus.EnCours, "modification enregistrée")]
    [InlineData(EmailKind.ModificationDeclined, RequestStatus.EnCours, "modification non effectuée")]
    [InlineData(EmailKind.RoundCancelled, RequestStatus.EnCours, "demande de modification annulée")]
    [InlineData(EmailKind.Validated, RequestStatus.Validee, "validée")]
    [InlineData(EmailKind.Rejected, RequestStatus.Rejetee, "rejetée")]
    [InlineData(EmailKind.Paid, RequestStatus.DecideeEtPayee, "décidée et payée")]
    [InlineData(EmailKind.AttachmentQuarantined, RequestStatus.EnCours, "pièce jointe mise en quarantaine")]
    public void Every_request_email_has_a_French_subject_and_the_same_text_in_HTML_and_plain_text(EmailKind kind, RequestStatus status, string subject)
    {
        var scheme = Build.Scheme();
        var request = Build.InStatus(status == RequestStatus.EnCours ? RequestStatus.AModifier : status, scheme);
        if (status == RequestStatus.EnCours) request.CancelModificationRound(Build.Manager, Build.Now);
        var round = request.Rounds.LastOrDefault();

        var mail = EmailTemplates.ForRequest(kind, request, round);

        Assert.Contains(subject, mail.Subject);
        Assert.Contains(request.Number, mail.Subject);
        Assert.Contains(EmailTemplates.PortalUrlPlaceholder + "/demandes/" + request.Number, mail.Text);
        Assert.Contains("<html lang=\"fr\">", mail.Html);
        Assert.Contains(request.ClientName, mail.Text);
        Assert.Contains(request.ClientName, mail.Html);
    }

    [Fact]
    public void The_round_opened_email_carries_the_comment_every_item_and_the_deadline_and_escapes_markup()
    {
        var scheme = Build.Scheme();
        var request = Build.Balance(scheme);
        var round = request.OpenModificationRound(Build.Manager, "Corrigez <b>le contact</b> & la facture.",
            [EditableField.ContactSupport, EditableField.DocumentItem(DocumentType.Facture)], scheme, Build.Now);

        var mail = EmailTemplates.ForRequest(EmailKind.RoundOpened, request, round);

        Assert.Contains("26/11/2026", Guichet.Hosting.Fr.Date(round.OpenedAt));
        Assert.Contains("15/12/2026", mail.Subject); // J+20 = 16/12, last day 15/12
        foreach (var body in new[] { mail.Text, Readable.Of(mail.Html) })
        {
            Assert.Contains(EditableField.ItemLabel(EditableField.ContactSupport), body);
            Assert.Contains("Pièce justificative à ajouter : Facture", body);
            Assert.Contains("15/12/2026", body);
        }
        Assert.Contains("Corrigez <b>le contact</b> & la facture.", mail.Text);
        Assert.Contains("Corrigez &lt;b&gt;le contact&lt;/b&gt; &amp; la facture.", mail.Html);
        Assert.DoesNotContain("<b>", mail.Html);
    }

    [Fact]
    public void A_round_email_without_its_round_is_a_programming_error()
    {
        var request = Build.Balance();
        Assert.Throws<InvalidOperationException>(() => EmailTemplates.ForRequest(EmailKind.Reminder, request, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => EmailTemplates.ForRequest(EmailKind.AccountCreated, request, null));
    }

    [Theory]
    [InlineData(EmailKind.AccountCreated, "Votre compte")]
    [InlineData(EmailKind.PasswordReset, "Réinitialisation")]
    public void Account_emails_name_the_user_and_carry_the_link(EmailKind kind, string subject)
    {
        var mail = EmailTemplates.ForAccount(kind, "Camille Durand", "camille@agendapro.test", "/compte/mot-de-passe?jeton=abc");
        Assert.StartsWith(subject, mail.Subject);
        Assert.Contains("Bonjour Camille Durand", mail.Text);
        Assert.Contains(EmailTemplates.PortalUrlPlaceholder + "/compte/mot-de-passe?jeton=abc", mail.Text);
        Assert.Contains("jeton=abc", mail.Html);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(7, 60)]
    [InlineData(50, 60)]
    public void Retries_back_off_from_one_minute_to_at_most_an_hour(int attempts, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), OutboxMessage.Backoff(attempts));
}
