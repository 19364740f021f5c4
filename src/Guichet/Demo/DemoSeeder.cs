using Guichet.Accounts;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Hosting;
using Guichet.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Demo;

/// <summary>
/// Demonstration data (docs/regles.md#donnees-de-demonstration): accounts, tokens, two vendors, their solutions and about fifty requests in every
/// status, including rounds opened 9 and 19 days ago. Refuses to run in Production.
/// </summary>
public sealed class DemoSeeder(GuichetDbContext db, UserManager<GuichetUser> users, AttachmentStore store,
    TimeProvider clock, IHostEnvironment env, ILogger<DemoSeeder> logger)
{
    public const string Password = "Guichet-Demo-2026!";
    public const string AgendaProSiret = "90000001900019";
    public const string RegulisSiret = "90000002700012";

    public async Task<bool> SeedAsync(CancellationToken ct = default)
    {
        if (env.IsProduction())
            throw new InvalidOperationException("Les données de démonstration ne peuvent pas être créées en Production.");
        if (await db.Organisations.AnyAsync(o => o.Siret == AgendaProSiret, ct))
        {
            logger.LogInformation("Données de démonstration déjà présentes.");
            return false;
        }

        var agendaPro = new Organisation { Name = "AgendaPro", Siret = AgendaProSiret };
        agendaPro.Solutions.Add(new Solution
        {
            Name = "AgendaPro Rendez-vous", Version = "4", ReferencingNumber = "SAS-EFF-2025-0001",
            ReferencingDate = new DateOnly(2025, 9, 1), SchemeCode = FundingScheme.SasEffecteur,
        });
        var regulis = new Organisation { Name = "Regulis", Siret = RegulisSiret };
        regulis.Solutions.Add(new Solution
        {
            Name = "Regulis LRM", Version = "7", ReferencingNumber = "SAS-REG-2025-0001",
            ReferencingDate = new DateOnly(2025, 6, 15), SchemeCode = FundingScheme.SasRegulateur,
        });
        db.Organisations.AddRange(agendaPro, regulis);
        await db.SaveChangesAsync(ct);

        await CreateUser("editeur@agendapro.test", "Camille Durand (AgendaPro)", Roles.Fournisseur, agendaPro.Id, "demo-agendapro");
        await CreateUser("editeur@regulis.test", "Louis Bernard (Regulis)", Roles.Fournisseur, regulis.Id, "demo-regulis");
        await CreateUser("gestionnaire@asp.test", "Claire Petit (ASP)", Roles.Gestionnaire, null, "demo-gestionnaire");
        await CreateUser("assistance@asp.test", "Hugo Moreau (Assistance)", Roles.Assistance, null, "demo-assistance");
        await CreateUser("admin@asp.test", "Nadia Lefèvre (Administration)", Roles.Administrateur, null, null);

        var schemes = await db.Schemes.ToDictionaryAsync(s => s.Code, ct);
        await SeedRequests(agendaPro, schemes[FundingScheme.SasEffecteur], "AGP", "https://support.agendapro.test/sas", EffecteurClients(), ct);
        await SeedRequests(regulis, schemes[FundingScheme.SasRegulateur], "RGL", "support@regulis.test", RegulateurClients(), ct);
        logger.LogInformation("Données de démonstration créées.");
        return true;
    }

    private async Task CreateUser(string email, string name, string role, int? organisationId, string? token)
    {
        var user = new GuichetUser { UserName = email, Email = email, EmailConfirmed = true, FullName = name, OrganisationId = organisationId };
        var result = await users.CreateAsync(user, Password);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join(" ", result.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(user, role);
        if (token is not null)
        {
            db.ApiTokens.Add(new ApiToken
            {
                UserId = user.Id, Name = "Jeton de démonstration", Hash = ApiTokens.Hash(token),
                Prefix = token[..Math.Min(8, token.Length)], CreatedAt = clock.UtcNow(),
            });
            await db.SaveChangesAsync();
        }
    }

    /// <summary>What to do with a client: the statuses its advance and balance end in.</summary>
    private sealed record Plan(RequestStatus? Advance, RequestStatus? Balance = null, int? RoundOpenedDaysAgo = null, bool Partial = false);

    private static readonly Plan[] Plans =
    [
        new(RequestStatus.DecideeEtPayee, RequestStatus.EnCours),
        new(RequestStatus.DecideeEtPayee, RequestStatus.AModifier, RoundOpenedDaysAgo: 9),
        new(RequestStatus.DecideeEtPayee, RequestStatus.AModifier, RoundOpenedDaysAgo: 19),
        new(RequestStatus.DecideeEtPayee, RequestStatus.AModifier, RoundOpenedDaysAgo: 2),
        new(RequestStatus.DecideeEtPayee, RequestStatus.Validee),
        new(RequestStatus.DecideeEtPayee, RequestStatus.Rejetee),
        new(RequestStatus.DecideeEtPayee, RequestStatus.DecideeEtPayee),
        new(RequestStatus.DecideeEtPayee, RequestStatus.Incomplete),
        new(RequestStatus.DecideeEtPayee, RequestStatus.EnCours, Partial: true),
        new(RequestStatus.DecideeEtPayee),
        new(RequestStatus.DecideeEtPayee),
        new(RequestStatus.DecideeEtPayee),
        new(RequestStatus.EnCours),
        new(RequestStatus.EnCours),
        new(RequestStatus.Validee),
        new(RequestStatus.Rejetee),
        new(RequestStatus.Incomplete),
        new(RequestStatus.AModifier, RoundOpenedDaysAgo: 5),
    ];

    private async Task SeedRequests(Organisation org, FundingScheme scheme, string prefix, string contact,
        IReadOnlyList<(ClientIdType Type, string Id, string Name)> clients, CancellationToken ct)
    {
        var solution = org.Solutions.Single();
        var vendor = new Actor(org.Name, Roles.Fournisseur, null);
        var manager = new Actor("Claire Petit (ASP)", Roles.Gestionnaire, null);
        var today = clock.UtcNow();
        var seq = 0;

        for (var i = 0; i < Plans.Length && i < clients.Count; i++)
        {
            var plan = Plans[i];
            var client = clients[i];
            var poDate = DateOnly.FromDateTime(today.AddDays(-150 + i));
            var advanceAt = today.AddDays(-120 + i);
            var advance = await Deposit(org, solution, scheme, vendor, RequestType.Avance, $"{prefix}-DEMO-{++seq:D4}", client,
                poDate, null, null, scheme.AdvanceAmount, contact, advanceAt, missing: plan.Advance == RequestStatus.Incomplete, ct);
            await Drive(advance, plan.Advance!.Value, plan.Balance is null ? plan.RoundOpenedDaysAgo : null, scheme, manager, advanceAt, today);
            await db.SaveChangesAsync(ct);

            if (plan.Balance is not { } balanceStatus) continue;
            var balanceAt = today.AddDays(-40 + i);
            var balance = await Deposit(org, solution, scheme, vendor, RequestType.Solde, $"{prefix}-DEMO-{++seq:D4}", client,
                poDate, poDate.AddDays(30), advance.Number, scheme.FlatAmount - advance.Amount,
                plan.Partial ? contact.Replace("support", "aide") : contact, balanceAt,
                missing: balanceStatus == RequestStatus.Incomplete, ct);
            await Drive(balance, balanceStatus, plan.RoundOpenedDaysAgo, scheme, manager, balanceAt, today);
            await db.SaveChangesAsync(ct);
        }
    }

    private async Task Drive(FundingRequest request, RequestStatus target, int? roundDaysAgo, FundingScheme scheme, Actor manager, DateTime depositedAt, DateTime today)
    {
        var at = depositedAt.AddDays(3);
        switch (target)
        {
            case RequestStatus.Incomplete or RequestStatus.EnCours:
                break;
            case RequestStatus.AModifier:
                // At 09:00 on that Paris day: « now minus N days and an hour » fell on the day before between midnight and
                // 01:00 in Paris, which made the « J+9 » round due for its reminder (and the J+19 one for closing) at once.
                var opened = ParisCalendar.StartOfDayUtc(ParisCalendar.DateOf(today).AddDays(-(roundDaysAgo ?? 5))).AddHours(9);
                var items = request.Type == RequestType.Solde
                    ? new[] { EditableField.ContactSupport, EditableField.DocumentItem(DocumentType.VerificationAptitude) }
                    : new[] { EditableField.ContactSupport };
                var round = request.OpenModificationRound(manager,
                    "Le lien vers votre plateforme de support ne répond pas et la vérification d'aptitude jointe ne correspond pas au client. "
                    + "Merci de corriger les coordonnées de contact et d'ajouter la VA signée par le client.",
                    items, scheme, opened);
                // The e-mails the vendor got, as support would see them (already sent).
                await Outbox.EnqueueForRequestAsync(db, request, EmailKind.RoundOpened, opened);
                // A round opened 19 days ago had its J+10 reminder: the sweep can close it tomorrow.
                if (roundDaysAgo >= scheme.ReminderDelayDays)
                {
                    request.RecordReminderSent(round.ReminderDueAt.AddMinutes(1));
                    await Outbox.EnqueueForRequestAsync(db, request, EmailKind.Reminder, round.ReminderDueAt.AddMinutes(1));
                }
                break;
            case RequestStatus.Validee:
                request.Validate(manager, at);
                break;
            case RequestStatus.Rejetee:
                request.Reject(manager, "La facture ne correspond pas au bon de commande transmis.", at);
                break;
            case RequestStatus.DecideeEtPayee:
                request.Validate(manager, at);
                request.MarkPaid(manager, at.AddDays(7));
                break;
        }
    }

    private async Task<FundingRequest> Deposit(Organisation org, Solution solution, FundingScheme scheme, Actor vendor, RequestType type,
        string reference, (ClientIdType Type, string Id, string Name) client, DateOnly poDate, DateOnly? goLive, string? advanceNumber,
        decimal amount, string contact, DateTime at, bool missing, CancellationToken ct)
    {
        var number = (await NumberAllocator.NextAsync(db, type, ParisCalendar.DateOf(at).Year, 1, ct))[0];
        var documents = new List<SupportingDocument>();
        foreach (var docType in scheme.RequiredDocuments(type).Skip(missing ? 1 : 0))
            documents.Add(await Pdf(docType, reference, client.Name, at, ct));
        var data = new FundingRequest.DepositData(reference, type, client.Type, client.Id, client.Name,
            $"BC-{reference}", poDate, goLive, advanceNumber, amount, contact);
        var request = FundingRequest.Deposit(number, org, solution, scheme, data, documents, vendor, at);
        db.Requests.Add(request);
        return request;
    }

    private async Task<SupportingDocument> Pdf(DocumentType type, string reference, string client, DateTime at, CancellationToken ct)
    {
        var bytes = DemoPdf.Create("Document de demonstration - Guichet", type.Label(), $"Reference : {reference}", $"Client : {client}");
        using var stream = new MemoryStream(bytes);
        var stored = await store.SaveAsync(stream, ct: ct);
        var name = $"{type.Code().ToLowerInvariant().Replace('_', '-')}-{reference.ToLowerInvariant()}.pdf";
        return SupportingDocument.Create(type, name, stored.Key, "application/pdf", stored.Size, stored.Sha256, at);
    }

    private static List<(ClientIdType, string, string)> EffecteurClients()
    {
        string[] names = ["Dr Jeanne Martin", "Dr Paul Lambert", "Dr Sophie Girard", "Dr Karim Haddad", "Dr Élise Fontaine",
            "Dr Marc Rousseau", "Dr Inès Bouvier", "Dr Thomas Morel", "Dr Léa Garnier", "Dr Hugo Chevalier",
            "Dr Anne Roux", "Dr Julien Faure", "Dr Chloé André", "Dr Nicolas Mercier", "Dr Sarah Blanc",
            "Dr Yann Guerin", "Dr Manon Perrin", "Dr Omar Benali"];
        return names.Select((n, i) => (ClientIdType.Rpps, (10002000000L + i * 1117L).ToString(System.Globalization.CultureInfo.InvariantCulture), n)).ToList();
    }

    private static List<(ClientIdType, string, string)> RegulateurClients()
    {
        string[] names = ["SAMU 75 — AP-HP", "SAMU 69 — HCL", "SAMU 13 — AP-HM", "SAMU 33 — CHU de Bordeaux", "SAMU 31 — CHU de Toulouse",
            "SAMU 59 — CHU de Lille", "SAMU 67 — HUS", "SAMU 44 — CHU de Nantes", "SAMU 35 — CHU de Rennes", "SAMU 34 — CHU de Montpellier",
            "SAMU 06 — CHU de Nice", "SAMU 38 — CHU Grenoble Alpes", "SAMU 21 — CHU Dijon Bourgogne", "SAMU 87 — CHU de Limoges",
            "SAMU 29 — CHU de Brest", "SAMU 63 — CHU de Clermont-Ferrand", "SAMU 80 — CHU Amiens-Picardie", "SAMU 25 — CHU de Besançon"];
        return names.Select((n, i) => (ClientIdType.Finess, WithLuhnKey($"{(i + 10) % 95 + 1:D2}000{i + 100:D3}"), n)).ToList();
    }

    /// <summary>Appends the Luhn check digit to an 8-digit FINESS body.</summary>
    public static string WithLuhnKey(string body)
    {
        for (var d = 0; d <= 9; d++)
        {
            var candidate = body + d;
            if (Identifiers.Luhn(candidate)) return candidate;
        }
        throw new InvalidOperationException();
    }
}
