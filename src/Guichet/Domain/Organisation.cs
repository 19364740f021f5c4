namespace Guichet.Domain;

/// <summary>A vendor organisation (fournisseur: éditeur or distributeur), identified by its SIRET.</summary>
public class Organisation
{
    public int Id { get; private set; }
    public required string Name { get; set; }
    public required string Siret { get; init; }
    public List<Solution> Solutions { get; } = [];
}

/// <summary>A solution enrolled (référencée) for a scheme.</summary>
public class Solution
{
    public int Id { get; private set; }
    public int OrganisationId { get; init; }
    public required string Name { get; set; }
    public required string Version { get; set; }
    public required string ReferencingNumber { get; init; }
    public DateOnly ReferencingDate { get; set; }
    public required string SchemeCode { get; init; }
}
