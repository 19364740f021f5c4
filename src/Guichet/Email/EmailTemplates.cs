using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Guichet.Domain;
using Guichet.Hosting;

namespace Guichet.Email;

/// <summary>
/// The French e-mails of docs/regles.md#e-mails, HTML and text built from the same blocks. Links start with
/// <see cref="PortalUrlPlaceholder"/>, replaced by <c>Email:PortalUrl</c> when the message is sent.
/// </summary>
public static class EmailTemplates
{
    public const string PortalUrlPlaceholder = "{{urlPortail}}";

    private abstract record Block;
    private sealed record Para(string Text) : Block;
    private sealed record Quote(string Label, string Text) : Block;
    private sealed record Items(string Label, IReadOnlyList<string> Lines) : Block;
    private sealed record Link(string Label, string Path) : Block;

    /// <summary>The message of a request's event; round kinds need the round they speak of.</summary>
    public static RenderedEmail ForRequest(EmailKind kind, FundingRequest r, ModificationRound? round)
    {
        var what = $"votre {Fr.RequestOf(r.Type)} {r.Number} (référence {r.VendorReference}, client {r.ClientName}, {Fr.SchemeLabel(r.SchemeCode)})";
        var link = new Link("Consulter la demande sur le Guichet", "/demandes/" + Uri.EscapeDataString(r.Number));
        ModificationRound Round() => round ?? throw new InvalidOperationException($"Le message {kind} exige un tour de modification.");
        Items ItemList() => new("Éléments à modifier", Round().Items.Select(EditableField.ItemLabel).ToList());
        string Deadline() => Fr.Date(Round().LastDay);

        return kind switch
        {
            EmailKind.RoundOpened => Build($"Demande {r.Number} : modification demandée avant le {Deadline()}",
                "Votre demande nécessite des modifications",
                new Para($"Un gestionnaire de l'ASP vous invite à modifier {what}."
                    + (Round().AtVendorRequest ? " Cette modification est ouverte à votre demande, auprès de l'assistance utilisateur." : "")),
                new Quote("Commentaire du gestionnaire", Round().Comment),
                ItemList(),
                new Para($"Date limite : {Deadline()} inclus. La demande est au statut « A modifier » : depuis la page de suivi des demandes de financement, cliquez sur « Modifier », apportez les modifications puis cliquez sur « Confirmer »."),
                new Para($"Sans action de votre part, un e-mail de relance vous sera envoyé à J+{Round().ReminderDelayDays} ; à J+{Round().ClosingDelayDays}, la modification ne sera plus possible et la demande sera instruite en l'état, au risque d'être rejetée."),
                link),
            EmailKind.Reminder => Build($"Relance : demande {r.Number} à modifier avant le {Deadline()}",
                "Votre demande attend toujours vos modifications",
                new Para($"Nous vous rappelons que {what} est au statut « A modifier »."),
                new Quote("Commentaire du gestionnaire", Round().Comment),
                ItemList(),
                new Para($"Date limite : {Deadline()} inclus. Passé ce délai, vous n'aurez plus la possibilité de modifier votre demande : elle repassera au statut « en cours » et sera instruite en l'état, au risque d'être rejetée."),
                link),
            EmailKind.RoundClosed => Build($"Demande {r.Number} : délai de modification expiré",
                "Le délai de modification est expiré",
                new Para($"Le délai de modification de {what} a expiré le {Deadline()} sans confirmation de votre part."),
                new Para("Les modifications non confirmées ont été abandonnées. La demande repasse au statut « en cours » et sera instruite en l'état par un gestionnaire, au risque d'être rejetée."),
                link),
            EmailKind.ModificationConfirmed => Build($"Demande {r.Number} : modification enregistrée",
                "Votre modification est enregistrée",
                new Para($"Vos modifications de {what} sont enregistrées."),
                new Para("La demande repasse au statut « en cours » et sera à nouveau instruite par un gestionnaire dans les prochains jours."),
                link),
            EmailKind.ModificationDeclined => Build($"Demande {r.Number} : modification non effectuée",
                "Vous avez choisi de ne pas modifier votre demande",
                new Para($"Vous avez choisi « Ne pas modifier » pour {what}."),
                new Para("La demande repasse au statut « en cours » et sera instruite en l'état dans les prochains jours."),
                link),
            EmailKind.RoundCancelled => Build($"Demande {r.Number} : demande de modification annulée",
                "La demande de modification est annulée",
                new Para($"Le gestionnaire a annulé la demande de modification de {what}. Vous n'avez plus d'action à mener : les modifications non confirmées ont été abandonnées."),
                new Para("La demande repasse au statut « en cours » et sera instruite dans les prochains jours."),
                link),
            EmailKind.Validated => Build($"Demande {r.Number} validée",
                "Votre demande est validée",
                new Para($"Un gestionnaire de l'ASP a validé {what}, pour un montant de {Fr.Amount(r.Amount)}."),
                new Para("Le paiement sera décidé et effectué prochainement ; vous en serez informé par e-mail."),
                link),
            EmailKind.Rejected => Build($"Demande {r.Number} rejetée",
                "Votre demande est rejetée",
                new Para($"Un gestionnaire de l'ASP a rejeté {what}."),
                new Quote("Motif du rejet", r.RejectionReason ?? ""),
                new Para("Pour toute question, contactez l'assistance utilisateur."),
                link),
            EmailKind.Paid => Build($"Demande {r.Number} : décidée et payée",
                "Le paiement de votre demande est décidé et effectué",
                new Para($"Le paiement de {what} est décidé et effectué, pour un montant de {Fr.Amount(r.Amount)}."),
                link),
            EmailKind.AttachmentQuarantined => Build($"Demande {r.Number} : pièce jointe mise en quarantaine",
                "Une pièce jointe de votre demande est en quarantaine",
                new Para($"Une nouvelle analyse antivirus des pièces jointes de {what} a détecté un contenu malveillant."),
                new Items("Pièces mises en quarantaine", r.Documents.Where(d => d.IsQuarantined).OrderBy(d => d.FileName)
                    .Select(d => $"{d.FileName} ({d.Type.Label()}, signature {d.QuarantineSignature})").ToList()),
                new Para("Ces fichiers ne sont plus consultables, ni par vous ni par les gestionnaires de l'ASP. Vérifiez vos postes et, si la demande l'exige, contactez l'assistance utilisateur pour transmettre une version saine."),
                link),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Ce message ne concerne pas une demande."),
        };
    }

    /// <summary>Account e-mails: a new account, or a password reset (the link carries the token).</summary>
    public static RenderedEmail ForAccount(EmailKind kind, string fullName, string email, string path) => kind switch
    {
        EmailKind.AccountCreated => Build("Votre compte sur le Guichet Ségur numérique",
            "Votre compte est créé",
            new Para($"Bonjour {fullName},"),
            new Para($"Un compte a été créé pour vous sur le Guichet Ségur numérique avec l'identifiant {email}. Choisissez votre mot de passe (12 caractères au moins) en suivant le lien ci-dessous ; il est valable 24 heures."),
            new Link("Choisir mon mot de passe", path)),
        EmailKind.PasswordReset => Build("Réinitialisation de votre mot de passe",
            "Réinitialiser votre mot de passe",
            new Para($"Bonjour {fullName},"),
            new Para("Une réinitialisation du mot de passe de votre compte a été demandée. Si vous n'en êtes pas l'auteur, ignorez ce message : votre mot de passe reste inchangé."),
            new Link("Choisir un nouveau mot de passe", path)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Ce message n'est pas un e-mail de compte."),
    };

    /// <summary>To the users of an organisation whose webhook the portal paused after failing for too long.</summary>
    public static RenderedEmail ForWebhookPaused(string url, DateTime failingSince) => Build("Webhook mis en pause après des échecs répétés",
        "Votre webhook est en pause",
        new Para($"Le Guichet n'a pu livrer aucun événement à l'adresse {url} depuis le {Fr.Date(failingSince)} : ce webhook a été mis en pause et ne reçoit plus de nouveaux événements."),
        new Para("Corrigez le point d'accès puis réactivez le webhook. Les événements manqués restent lisibles dans le flux /api/v1/evenements, et chacun peut être rejoué depuis la page « Webhooks »."),
        new Link("Gérer les webhooks", "/compte/webhooks"));

    private static RenderedEmail Build(string subject, string title, params Block[] blocks)
    {
        var text = new StringBuilder();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>").Append(H(subject)).Append("</title></head>")
            .Append("<body style=\"font-family:Arial,sans-serif;color:#161616;max-width:640px\">")
            .Append("<p style=\"font-weight:bold;border-left:4px solid #000091;padding-left:8px\">Guichet Ségur numérique — Agence de services et de paiement</p>")
            .Append("<h1 style=\"font-size:22px\">").Append(H(title)).Append("</h1>");
        text.Append(title).Append('\n').Append(new string('=', title.Length)).Append("\n\n");
        foreach (var block in blocks)
        {
            switch (block)
            {
                case Para p:
                    html.Append("<p>").Append(H(p.Text)).Append("</p>");
                    text.Append(p.Text).Append("\n\n");
                    break;
                case Quote q:
                    html.Append("<p><strong>").Append(H(q.Label)).Append(" :</strong></p><blockquote style=\"border-left:3px solid #dddddd;margin-left:0;padding-left:12px\">")
                        .Append(H(q.Text).Replace("\n", "<br>")).Append("</blockquote>");
                    text.Append(q.Label).Append(" :\n").Append(string.Join("\n", q.Text.Split('\n').Select(l => "> " + l))).Append("\n\n");
                    break;
                case Items i:
                    html.Append("<p><strong>").Append(H(i.Label)).Append(" :</strong></p><ul>");
                    foreach (var line in i.Lines) html.Append("<li>").Append(H(line)).Append("</li>");
                    html.Append("</ul>");
                    text.Append(i.Label).Append(" :\n").Append(string.Concat(i.Lines.Select(l => "- " + l + "\n"))).Append('\n');
                    break;
                case Link l:
                    var url = PortalUrlPlaceholder + l.Path;
                    html.Append("<p><a href=\"").Append(H(url)).Append("\">").Append(H(l.Label)).Append("</a></p>");
                    text.Append(l.Label).Append(" : ").Append(url).Append("\n\n");
                    break;
            }
        }
        const string footer = "Ce message est envoyé automatiquement par le Guichet Ségur numérique ; merci de ne pas y répondre.";
        html.Append("<hr><p style=\"color:#555555;font-size:12px\">").Append(H(footer)).Append("</p></body></html>");
        text.Append("--\n").Append(footer).Append('\n');
        return new RenderedEmail(subject, html.ToString(), text.ToString());
    }

    // French letters stay as they are; only markup characters are escaped.
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    private static string H(string s) => Html.Encode(s);
}
