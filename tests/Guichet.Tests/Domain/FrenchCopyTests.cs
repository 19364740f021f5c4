using System.Reflection;
using System.Text;
using Guichet.Antivirus;
using Guichet.Deposits;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Storage;
using Guichet.Tests.Support;

namespace Guichet.Tests.Domain;

/// <summary>
/// Every e-mail and every message of the format and the rules reads as a public service writes French: « demande d'avance »,
/// no-break spaces before « ; : ! ? » and inside « », no placeholder left (issue 19; docs/glossaire.md#typographie).
/// </summary>
public sealed class FrenchCopyTests
{
    private static FundingRequest Advance(FundingScheme scheme) =>
        FundingRequest.Deposit("SAS-A-2026-000042", Build.Organisation(),
            new Solution { Name = "AgendaPro", Version = "4", ReferencingNumber = "SAS-EFF-2025-0001", SchemeCode = scheme.Code },
            scheme,
            new FundingRequest.DepositData("AGP-A-1", RequestType.Avance, ClientIdType.Rpps, "10101010101", "Dr Martin",
                "BC-1", new DateOnly(2026, 6, 1), null, null, 300m, "https://support.agendapro.test"),
            [Build.Document(DocumentType.BonDeCommande, "bc.pdf")], Build.Vendor, Build.Now);

    private static FundingRequest OfType(RequestType type, FundingScheme scheme) =>
        type == RequestType.Avance ? Advance(scheme) : Build.Balance(scheme);

    public static TheoryData<EmailKind, RequestType> RequestEmails()
    {
        var data = new TheoryData<EmailKind, RequestType>();
        foreach (var kind in Enum.GetValues<EmailKind>().Where(k => k is not (EmailKind.AccountCreated or EmailKind.PasswordReset or EmailKind.WebhookPaused)))
            foreach (var type in Enum.GetValues<RequestType>())
                data.Add(kind, type);
        return data;
    }

    /// <summary>The request and round an e-mail of this kind speaks of, as the actions leave them.</summary>
    private static (FundingRequest Request, ModificationRound? Round) Subject(EmailKind kind, RequestType type)
    {
        var scheme = Build.Scheme();
        var r = OfType(type, scheme);
        switch (kind)
        {
            case EmailKind.Validated: r.Validate(Build.Manager, Build.Now); return (r, null);
            case EmailKind.Paid: r.Validate(Build.Manager, Build.Now); r.MarkPaid(Build.Manager, Build.Now); return (r, null);
            case EmailKind.Rejected: r.Reject(Build.Manager, "Facture illisible.", Build.Now); return (r, null);
            case EmailKind.AttachmentQuarantined: r.Documents.First().Quarantine("Win.Test.EICAR_HDB-1", Build.Now); return (r, null);
            default:
                var round = r.OpenModificationRound(Build.Manager, "Merci de corriger le lien de support.",
                    [EditableField.ContactSupport, EditableField.DocumentItem(DocumentType.Facture)], scheme, Build.Now,
                    atVendorRequest: kind == EmailKind.Reminder);
                return (r, round);
        }
    }

    private static void AssertEmailReadsWell(string name, RenderedEmail mail)
    {
        FrenchCopy.AssertReadsWell(name + ", objet", mail.Subject);
        FrenchCopy.AssertReadsWell(name + ", texte", mail.Text, EmailTemplates.PortalUrlPlaceholder);
        FrenchCopy.AssertReadsWell(name + ", HTML", FrenchCopy.VisibleText(mail.Html), EmailTemplates.PortalUrlPlaceholder);
    }

    [Theory]
    [MemberData(nameof(RequestEmails))]
    public void Every_request_email_of_an_advance_or_a_balance_reads_as_French(EmailKind kind, RequestType type)
    {
        var (request, round) = Subject(kind, type);

        var mail = EmailTemplates.ForRequest(kind, request, round);

        AssertEmailReadsWell($"{kind} ({type})", mail);
        var named = type == RequestType.Avance ? "votre demande d'avance " : "votre demande de solde ";
        Assert.Contains(named + request.Number, mail.Text);
        Assert.Contains(named + request.Number, FrenchCopy.VisibleText(mail.Html));
    }

    [Fact]
    public void The_account_and_webhook_emails_read_as_French()
    {
        foreach (var kind in new[] { EmailKind.AccountCreated, EmailKind.PasswordReset })
            AssertEmailReadsWell(kind.ToString(), EmailTemplates.ForAccount(kind, "Élodie Arnaud", "elodie@agendapro.test", "/compte/mot-de-passe?jeton=abc"));
        AssertEmailReadsWell("WebhookPaused", EmailTemplates.ForWebhookPaused("https://hooks.agendapro.test/guichet", Build.Now));
    }

    /// <summary>Format v1 files that each break one rule of the shape (docs/regles.md#format-v1).</summary>
    public static TheoryData<string, string> BrokenFiles()
    {
        const string ok = "\"referenceFournisseur\":\"R-1\",\"type\":\"AVANCE\",\"dispositif\":\"SAS_EFFECTEUR\","
            + "\"solution\":{\"numeroReferencement\":\"SAS-EFF-2025-0001\"},\"client\":{\"typeIdentifiant\":\"RPPS\",\"identifiant\":\"10101010101\",\"nom\":\"Dr Martin\"},"
            + "\"bonDeCommande\":{\"numero\":\"BC-1\",\"date\":\"2026-06-01\"},\"montantDemande\":300,\"informations\":{\"contactSupport\":\"https://support.agendapro.test\"},"
            + "\"piecesJointes\":[{\"type\":\"BON_DE_COMMANDE\",\"fichier\":\"bc.pdf\"}]";
        static string File(string demandes, string head = "\"versionFormat\":\"1.0\",\"fournisseur\":{\"siret\":\"90000001900019\"},") =>
            "{" + head + "\"demandes\":[" + demandes + "]}";
        static string One(string ok, string replace, string with) => File("{" + ok.Replace(replace, with, StringComparison.Ordinal) + "}");
        return new TheoryData<string, string>
        {
            { "JSON invalide", "{\"versionFormat\":" },
            { "imbrication", "{\"demandes\":" + new string('[', 40) + new string(']', 40) + "}" },
            { "pas un objet", "[]" },
            { "propriétés manquantes et inconnues", "{\"couleur\":\"bleu\"}" },
            { "version", File("{" + ok + "}", "\"versionFormat\":\"2.0\",\"fournisseur\":{\"siret\":\"90000001900019\"},") },
            { "SIRET du fournisseur", File("{" + ok + "}", "\"versionFormat\":\"1.0\",\"fournisseur\":{\"siret\":\"12345678901234\"},") },
            { "aucune demande", File("") },
            { "demande qui n'est pas un objet", File("1") },
            { "référence", One(ok, "\"R-1\"", "\"R 1\"") },
            { "type inconnu", One(ok, "\"AVANCE\"", "\"ACOMPTE\"") },
            { "dispositif inconnu", One(ok, "\"SAS_EFFECTEUR\"", "\"SAS_AUTRE\"") },
            { "solution pas un objet", One(ok, "{\"numeroReferencement\":\"SAS-EFF-2025-0001\"}", "\"SAS-EFF-2025-0001\"") },
            { "type d'identifiant", One(ok, "\"RPPS\"", "\"NIR\"") },
            { "RPPS", One(ok, "\"10101010101\"", "\"123\"") },
            { "FINESS", One(ok, "\"RPPS\",\"identifiant\":\"10101010101\"", "\"FINESS\",\"identifiant\":\"123456789\"") },
            { "SIRET du client", One(ok, "\"RPPS\",\"identifiant\":\"10101010101\"", "\"SIRET\",\"identifiant\":\"12345678901234\"") },
            { "nom vide", One(ok, "\"Dr Martin\"", "\"  \"") },
            { "nom trop long", One(ok, "\"Dr Martin\"", "\"" + new string('x', 501) + "\"") },
            { "caractère de contrôle", One(ok, "\"BC-1\"", "\"BC\\u0001\"") },
            { "date", One(ok, "\"2026-06-01\"", "\"01/06/2026\"") },
            { "montant négatif", One(ok, "300", "-1") },
            { "montant au millième", One(ok, "300", "300.001") },
            { "montant en texte", One(ok, "300", "\"300\"") },
            { "contact", One(ok, "\"https://support.agendapro.test\"", "\"appelez-nous\"") },
            { "contact vide", One(ok, "\"https://support.agendapro.test\"", "\"\"") },
            { "champs de solde sur une avance", One(ok, "\"montantDemande\"", "\"dateMiseEnService\":\"2026-07-01\",\"numeroDemandeAvance\":\"SAS-A-1\",\"montantDemande\"") },
            { "pièces pas une liste", One(ok, "[{\"type\":\"BON_DE_COMMANDE\",\"fichier\":\"bc.pdf\"}]", "\"bc.pdf\"") },
            { "pièce pas un objet", One(ok, "[{\"type\":\"BON_DE_COMMANDE\",\"fichier\":\"bc.pdf\"}]", "[\"bc.pdf\"]") },
            { "type de pièce", One(ok, "\"BON_DE_COMMANDE\"", "\"DEVIS\"") },
            { "surrogate isolé", One(ok, "\"Dr Martin\"", "\"Dr \\uD800\"") },
            { "trop de demandes", File("{" + ok + "},{" + ok.Replace("R-1", "R-2", StringComparison.Ordinal) + "},{" + ok.Replace("R-1", "R-3", StringComparison.Ordinal) + "}") },
        };
    }

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void Every_format_error_reads_as_French(string rule, string json)
    {
        var errors = new List<ErrorItem>();

        FormatV1.Parse(Encoding.UTF8.GetBytes(json), maxRequests: 2, errors);

        Assert.True(errors.Count > 0, $"« {rule} » : aucune erreur, le cas ne vérifie rien.");
        foreach (var e in errors) FrenchCopy.AssertReadsWell($"{rule} ({e.Chemin})", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_UTF8_is_told_so_in_French()
    {
        var errors = new List<ErrorItem>();
        FormatV1.Parse(new byte[] { (byte)'"', 0xE9, (byte)'"' }, 10, errors);
        var error = Assert.Single(errors);
        Assert.Contains("UTF-8", error.Message);
        FrenchCopy.AssertReadsWell("UTF-8", error.Message);
    }

    /// <summary>The messages of the rules that need no database: fields, files, identifiers, statuses, scans, HTTP titles.</summary>
    public static IEnumerable<(string Where, string? Message)> RuleMessages()
    {
        foreach (var value in new[] { "", new string('a', 501), "a\tb", "appelez-nous" })
            yield return ($"contactSupport « {value[..Math.Min(5, value.Length)]} »", RequestRules.ContactSupportError(value));
        yield return ("texte libre", RequestRules.FreeTextError("a\u0001", "Le commentaire"));
        foreach (var t in Enum.GetValues<ClientIdType>()) yield return ($"identifiant {t}", Identifiers.InvalidMessage(t));
        var attachments = new AttachmentOptions();
        yield return ("archive", FileRules.NameError("pieces.zip", attachments));
        yield return ("extension", FileRules.NameError("devis.docx", attachments));
        yield return ("contenu", FileRules.ContentError("facture.pdf", "MZ"u8));
        yield return ("contenu ZIP", FileRules.ContentError("facture.pdf", "PK"u8));
        yield return ("taille", FileRules.SizeError("facture.pdf", attachments));
        yield return ("champ non modifiable", EditableField.NotEditable("informations.contactSupport"));
        yield return ("élément", EditableField.ItemLabel(EditableField.DocumentItem(DocumentType.Facture)));
        foreach (var s in Codes.AllStatuses)
            yield return ($"statut {s}", Refusal.WrongStatus(s, "Valider", RequestStatus.EnCours, RequestStatus.AModifier).Message);
        yield return ("fichier infecté", ScanVerdict.InfectedMessage("facture.pdf", "Win.Test.EICAR_HDB-1"));
        foreach (var status in new[] { 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503 })
            yield return ($"titre {status}", Problems.TitleFor(status));
        yield return ("avance existante", DepositRules.LiveAdvanceMessage);
        yield return ("simulateur", DepositRules.CrossVendorNotice);
    }

    [Fact]
    public void Every_rule_message_without_a_database_reads_as_French()
    {
        var messages = RuleMessages().ToList();
        Assert.All(messages, m => Assert.False(string.IsNullOrEmpty(m.Message), m.Where + " : aucun message, le cas ne vérifie rien."));
        foreach (var (where, message) in messages) FrenchCopy.AssertReadsWell(where, message!);
    }

    /// <summary>Every constant sentence of the portal (messages kept in constants), found by reflection.</summary>
    [Fact]
    public void Every_constant_sentence_of_the_portal_reads_as_French()
    {
        var sentences = typeof(FundingRequest).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Where(f => !f.DeclaringType!.Name.EndsWith("Sql", StringComparison.Ordinal)) // SQL text (e.g. SweepSql) is not copy
            .Select(f => (Where: $"{f.DeclaringType!.Name}.{f.Name}", Text: (string)f.GetRawConstantValue()!))
            .Where(c => c.Text.Contains(' ') && c.Text.Any(char.IsLower) && !c.Text.StartsWith('/'))
            .ToList();
        Assert.Contains(sentences, c => c.Where == "DepositRules.LiveAdvanceMessage");
        foreach (var (where, text) in sentences) FrenchCopy.AssertReadsWell(where, text);
    }

    [Theory]
    [InlineData("avance", "d'avance", "l'avance")]
    [InlineData("solde", "de solde", "le solde")]
    [InlineData("habilitation", "d'habilitation", "l'habilitation")]
    [InlineData("hausse", "de hausse", "la hausse")]
    [InlineData("Élodie", "d'Élodie", "l'Élodie")]
    [InlineData("facture", "de facture", "la facture")]
    public void De_and_le_elide_before_a_vowel_or_a_mute_h(string word, string de, string le)
    {
        Assert.Equal(de, Fr.De(word));
        Assert.Equal(le, Fr.Le(word, word is "facture" or "hausse" or "habilitation" or "Élodie" ? Gender.Feminine : Gender.Masculine));
    }

    [Fact]
    public void A_request_is_named_by_its_type_with_elision()
    {
        Assert.Equal("demande d'avance", Fr.RequestOf(RequestType.Avance));
        Assert.Equal("demande de solde", Fr.RequestOf(RequestType.Solde));
    }

    /// <summary>The check itself catches each fault it is meant to catch (else the tests above would prove nothing).</summary>
    [Theory]
    [InlineData("votre demande de avance", "élision")]
    [InlineData("la demande de élodie", "élision")]
    [InlineData("le avance", "élision")]
    [InlineData("Date limite : demain", "espace ordinaire avant « : »")]
    [InlineData("Vraiment ?", "espace ordinaire avant « ? »")]
    [InlineData("Attention ; encore", "espace ordinaire avant « ; »")]
    [InlineData("Date limite\u00A0: demain", "au lieu de fine")]
    [InlineData("au statut « A\u00A0modifier\u00A0»", "« suivi")]
    [InlineData("au statut «\u00A0A modifier »", "» précédé")]
    [InlineData("Bonjour {fullName},", "marque non remplacée")]
    [InlineData("Voir {{urlPortail}}/demandes", "marque non remplacée")]
    [InlineData("Bonjour @Model.Name", "marque non remplacée")]
    public void The_check_finds_each_fault(string text, string fault) =>
        Assert.Contains(FrenchCopy.Faults(text), f => f.Contains(fault, StringComparison.Ordinal));

    [Theory]
    [InlineData("votre demande d'avance SAS-A-2026-000001")]
    [InlineData("Date limite\u202F: 15/12/2026. Vraiment\u202F? Oui\u202F; «\u00A0A modifier\u00A0».")]
    [InlineData("de onze jours, de haut en bas, écrivez à support@agendapro.test, https://guichet.test:8443/demandes")]
    public void The_check_lets_correct_French_through(string text) => Assert.Empty(FrenchCopy.Faults(text));
}
