using Guichet.Domain;

namespace Guichet.Tests.Support;

/// <summary>Small builders with sensible defaults for domain tests (no host, no database).</summary>
public static class Build
{
    public static readonly DateTime Now = new(2026, 11, 26, 9, 0, 0, DateTimeKind.Utc);
    public static readonly Actor Manager = new("Claire Petit", "Gestionnaire", "m1");
    public static readonly Actor Vendor = new("Camille Durand", "Fournisseur", "v1");

    public static FundingScheme Scheme(string code = FundingScheme.SasEffecteur) => new()
    {
        Code = code, Label = code, AcceptedClientIdTypes = "RPPS,SIRET,FINESS", FlatAmount = 1000m, AdvanceShare = 0.30m,
        AdvanceOpensAt = Now.AddYears(-1), AdvanceClosesAt = Now.AddYears(1), BalanceOpensAt = Now.AddYears(-1), BalanceClosesAt = Now.AddYears(1),
    };

    public static Organisation Organisation() => new() { Name = "AgendaPro", Siret = "90000001900019" };

    public static SupportingDocument Document(DocumentType type, string name = "piece.pdf", DateTime? at = null) =>
        SupportingDocument.Create(type, name, new string('a', 32), "application/pdf", 1234, new string('0', 64), at ?? Now);

    /// <summary>A balance request, EN_COURS unless documents are missing.</summary>
    public static FundingRequest Balance(FundingScheme? scheme = null, bool complete = true, DateTime? at = null)
    {
        scheme ??= Scheme();
        var org = Organisation();
        var solution = new Solution { Name = "AgendaPro", Version = "4", ReferencingNumber = "SAS-EFF-2025-0001", SchemeCode = scheme.Code, OrganisationId = org.Id };
        var docs = complete
            ? new[] { Document(DocumentType.Facture, "facture.pdf"), Document(DocumentType.VerificationAptitude, "va.pdf") }
            : new[] { Document(DocumentType.Facture, "facture.pdf") };
        return FundingRequest.Deposit("SAS-S-2026-000001", org, solution, scheme,
            new FundingRequest.DepositData("AGP-1", RequestType.Solde, ClientIdType.Rpps, "10101010101", "Dr Martin",
                "BC-1", new DateOnly(2026, 6, 1), new DateOnly(2026, 7, 1), "SAS-A-2026-000001", 700m, "https://support.agendapro.test"),
            docs, Vendor, at ?? Now);
    }

    /// <summary>A request brought to the given status through the public transitions.</summary>
    public static FundingRequest InStatus(RequestStatus status, FundingScheme? scheme = null)
    {
        scheme ??= Scheme();
        if (status == RequestStatus.Incomplete) return Balance(scheme, complete: false);
        var r = Balance(scheme);
        switch (status)
        {
            case RequestStatus.AModifier:
                r.OpenModificationRound(Manager, "Corrigez le contact.", [EditableField.ContactSupport], scheme, Now);
                break;
            case RequestStatus.Validee:
                r.Validate(Manager, Now);
                break;
            case RequestStatus.Rejetee:
                r.Reject(Manager, "Facture illisible.", Now);
                break;
            case RequestStatus.DecideeEtPayee:
                r.Validate(Manager, Now);
                r.MarkPaid(Manager, Now);
                break;
        }
        Assert.Equal(status, r.Status);
        return r;
    }
}
