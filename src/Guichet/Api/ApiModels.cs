using System.Security.Claims;
using Guichet.Accounts;
using Guichet.Domain;
using Guichet.Requests;

namespace Guichet.Api;

// API v1 shapes: French field names are the contract (docs/regles.md#api); more fields may be added, none renamed.

public sealed record ClientDto(string TypeIdentifiant, string Identifiant, string Nom);

public sealed record DemandeResumeDto(string Numero, string ReferenceFournisseur, string Type, string Dispositif, string Statut,
    decimal MontantDemande, ClientDto Client, DateTime DateDerniereModification);

public sealed record ListeDemandesDto(int Total, int Page, int Taille, IReadOnlyList<DemandeResumeDto> Demandes);

public sealed record InformationsDto(string ContactSupport);

public sealed record BonDeCommandeDto(string Numero, DateOnly Date);

public sealed record PieceJointeDto(Guid Id, string Type, string Nom, long Taille, string Sha256, DateTime AjouteeLe, QuarantaineDto? Quarantaine);

/// <summary>A stored file found infected by a later scan (verb rescan): never served again.</summary>
public sealed record QuarantaineDto(DateTime Depuis, string Signature);

public sealed record ChangementDto(string Champ, string? Avant, string? Apres);

public sealed record EvenementDto(DateTime Date, string Acteur, string Evenement, string? De, string? Vers, string? Commentaire,
    IReadOnlyList<ChangementDto> Changements, IReadOnlyList<string> PiecesAjoutees);

public sealed record BrouillonDto(Dictionary<string, string> Informations, IReadOnlyList<PieceJointeDto> PiecesJointes);

public sealed record ModificationEnCoursDto(string Commentaire, IReadOnlyList<string> Elements, DateTime OuverteLe, DateTime RelanceLe,
    DateTime ClotureLe, DateOnly DateLimite, DateTime? RelanceEnvoyeeLe, BrouillonDto? Brouillon);

public sealed record DemandeDto(string Numero, string ReferenceFournisseur, string Type, string Dispositif, string Statut, string StatutLibelle,
    decimal MontantDemande, ClientDto Client, DateTime DateDerniereModification, DateTime DateDepot, string Fournisseur, string SiretFournisseur,
    string Solution, InformationsDto Informations, BonDeCommandeDto BonDeCommande, DateOnly? DateMiseEnService, string? NumeroDemandeAvance,
    string? MotifRejet, IReadOnlyList<PieceJointeDto> PiecesJointes, IReadOnlyList<EvenementDto> Historique, ModificationEnCoursDto? ModificationEnCours);

public static class ApiMapping
{
    public static DemandeResumeDto ToDto(this RequestRow r) => new(r.Number, r.VendorReference, r.Type.Code(), r.SchemeCode,
        r.Status.Code(), r.Amount, new ClientDto(r.ClientIdType.Code(), r.ClientId, r.ClientName), r.UpdatedAt);

    public static PieceJointeDto ToDto(this SupportingDocument d) => new(d.Id, d.Type.Code(), d.FileName, d.Size, d.Sha256, d.AddedAt,
        d.QuarantinedAt is { } at ? new QuarantaineDto(at, d.QuarantineSignature ?? "") : null);

    /// <summary>The vendor's unconfirmed values and attachments of the round.</summary>
    public static BrouillonDto DraftDto(this FundingRequest r, ModificationRound round) =>
        new(round.Draft.ToDictionary(kv => EditableField.JsonName(kv.Key), kv => kv.Value),
            r.Documents.Where(d => d.IsDraftOf(round)).Select(d => d.ToDto()).ToList());

    /// <summary>The full request; the round's draft is shown to the vendor only.</summary>
    public static DemandeDto ToDto(this FundingRequest r, ClaimsPrincipal user)
    {
        var round = r.OpenRound;
        ModificationEnCoursDto? open = null;
        if (round is not null)
        {
            var draft = user.IsVendor() ? r.DraftDto(round) : null;
            open = new ModificationEnCoursDto(round.Comment, round.Items, round.OpenedAt, round.ReminderDueAt, round.ClosingDueAt,
                round.LastDay, round.ReminderSentAt, draft);
        }
        return new DemandeDto(r.Number, r.VendorReference, r.Type.Code(), r.SchemeCode, r.Status.Code(), r.Status.Label(), r.Amount,
            new ClientDto(r.ClientIdType.Code(), r.ClientId, r.ClientName), r.UpdatedAt, r.DepositedAt,
            r.Organisation?.Name ?? "", r.Organisation?.Siret ?? "", r.Solution?.ReferencingNumber ?? "",
            new InformationsDto(r.ContactSupport), new BonDeCommandeDto(r.PurchaseOrderNumber, r.PurchaseOrderDate),
            r.GoLiveDate, r.AdvanceNumber, r.RejectionReason,
            r.ConfirmedDocuments.OrderBy(d => d.AddedAt).Select(d => d.ToDto()).ToList(),
            r.History.OrderBy(h => h.At).ThenBy(h => h.Id).Select(h => new EvenementDto(h.At, $"{h.ActorName} ({h.ActorRole})", h.Event,
                h.FromStatus?.Code(), h.ToStatus?.Code(), h.Comment,
                h.Changes.Select(c => new ChangementDto(c.Field, c.Before, c.After)).ToList(), h.DocumentsAdded)).ToList(),
            open);
    }
}

/// <summary>An API error as written by <c>Hosting/Problems</c>: RFC 9457 Problem Details with the « erreurs » list, described once for the document.</summary>
public sealed record ProblemeDto(string Type, string Title, int Status, IReadOnlyList<ErrorItem> Erreurs, string? Detail = null);

/// <summary>The multipart form of a deposit or a simulation: the JSON file (format 1.0) and an optional ZIP of attachments.</summary>
public sealed record DepotFormulaire(IFormFile Json, IFormFile? Zip = null);

/// <summary>The multipart form of one attachment: its type code and the file.</summary>
public sealed record PieceFormulaire(string Type, IFormFile Fichier);

/// <summary>The body of the PATCH of a modification: the « informations » fields opened by the round.</summary>
public sealed record BrouillonModifieDto(InformationsModifiablesDto Informations);

public sealed record InformationsModifiablesDto(string? ContactSupport = null);
