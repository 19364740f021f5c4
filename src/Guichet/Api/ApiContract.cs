using System.Text.Json.Nodes;
using Guichet.Deposits;
using Guichet.Domain;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Guichet.Api;

/// <summary>
/// The API contract served at <c>/api/openapi/v1.json</c>: endpoints declare their bodies and statuses (<see cref="Answers{T}"/>,
/// <see cref="Refuses"/>, <c>Accepts</c>); what every operation shares (bearer scheme, 401/403/429/500/503, French wording, the
/// published deposit format) is added by the transformers here, in one place. Rules for every endpoint: docs/api.md.
/// </summary>
public static class ApiContract
{
    public const string Name = "v1";
    private const string Problem = "Probleme";
    private const string Format = "FormatDepot";
    private const string Bearer = "bearer";

    /// <summary>The body answered with <paramref name="status"/> (JSON, typed).</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder endpoint, int status = StatusCodes.Status200OK) =>
        endpoint.Produces<T>(status, "application/json");

    /// <summary>The refusals this endpoint can answer itself, each a French Problem Details (401, 403, 429, 500, 503 are added for all).</summary>
    public static RouteHandlerBuilder Refuses(this RouteHandlerBuilder endpoint, params int[] statuses)
    {
        foreach (var status in statuses) endpoint.Produces<ProblemeDto>(status, "application/problem+json");
        return endpoint;
    }

    public static IServiceCollection AddApiDocument(this IServiceCollection services) => services.AddOpenApi(Name, o =>
    {
        o.CreateSchemaReferenceId = SchemaName;
        o.ShouldInclude = d => d.RelativePath?.StartsWith("api/v1", StringComparison.Ordinal) == true;
        o.AddOperationTransformer((operation, context, _) =>
        {
            DescribeOperation(operation, context);
            return Task.CompletedTask;
        });
        o.AddDocumentTransformer((document, _, _) =>
        {
            DescribeDocument(document);
            return Task.CompletedTask;
        });
    });

    /// <summary>French component names without the « Dto » suffix: Demande, Depot, Erreur, Modification…</summary>
    private static string? SchemaName(System.Text.Json.Serialization.Metadata.JsonTypeInfo type) => type.Type.Name switch
    {
        nameof(ErrorItem) => "Erreur",
        nameof(CreatedRequest) => "DemandeCreee",
        nameof(IFormFile) => "Fichier",
        var name when name.EndsWith("Dto", StringComparison.Ordinal) => name[..^3],
        _ => OpenApiOptions.CreateDefaultSchemaReferenceId(type),
    };

    private static readonly Dictionary<string, string> SchemaWords = new()
    {
        ["Probleme"] = "Erreur de l'API : Problem Details (RFC 9457) en français ; « erreurs » est toujours présente, « detail » quand l'erreur tient en un message.",
        ["Erreur"] = "Une erreur : chemin JSON du champ (ou « json », « zip », « zip:<nom> », « $ »), référence fournisseur de la demande concernée ou null, message en français.",
        ["Demande"] = "Une demande de financement, telle que l'appelant peut la voir ; « modificationEnCours » est null hors d'une demande de modification.",
        ["DemandeResume"] = "Une ligne de la liste des demandes.",
        ["ListeDemandes"] = "Une page de la liste des demandes : total, page, taille et demandes.",
        ["DepotRecu"] = "Réponse à un dépôt : TERMINE (201, demandes créées) ou EN_TRAITEMENT (202, suivre « url »).",
        ["Depot"] = "État d'un dépôt : EN_TRAITEMENT (progression « traitees » sur « total »), TERMINE (demandes) ou ECHEC (erreurs).",
        ["DemandeCreee"] = "Une demande créée par un dépôt : référence fournisseur, numéro attribué, statut.",
        ["Simulation"] = "Verdict d'une simulation : rien n'est enregistré.",
        ["Modification"] = "La demande de modification ouverte, vue par le fournisseur : commentaire, éléments, échéances, valeurs d'origine et brouillon.",
        ["ModificationEnCours"] = "La demande de modification ouverte ; le brouillon n'est montré qu'au fournisseur.",
        ["Brouillon"] = "Valeurs et pièces modifiées par le fournisseur, pas encore confirmées.",
        ["BrouillonModifie"] = "Corps du PATCH : les champs d'« informations » ouverts par la demande de modification.",
        ["PieceJointe"] = "Une pièce justificative : identifiant, type, nom, taille en octets, empreinte SHA-256, date d'ajout ; « quarantaine » quand une analyse antivirus ultérieure l'a trouvée infectée (elle n'est plus servie), null sinon.",
        ["Quarantaine"] = "Mise en quarantaine d'une pièce : depuis quand et signature antivirus trouvée.",
        ["Evenement"] = "Une entrée de l'historique : transition, commentaire, champs modifiés, pièces ajoutées.",
        ["DemandeDeModification"] = "Corps d'une demande de modification : commentaire obligatoire, éléments (« informations.contactSupport », « piece:FACTURE »…).",
        ["Rejet"] = "Corps d'un rejet : motif obligatoire.",
        ["Commentaire"] = "Corps facultatif d'une annulation : commentaire.",
        ["PieceFormulaire"] = "Formulaire d'une pièce : type (code du type de pièce) et fichier.",
        ["OperationGroupeeDemande"] = "Corps d'une opération groupée : action, ses paramètres (motif, commentaire, elements), la sélection (« demandes » ou « filtre ») et « nombreAttendu », le nombre de demandes confirmé.",
        ["OperationGroupee"] = "Une opération groupée : EN_COURS puis TERMINEE ; « traitees » (= « faites » + « ignorees ») sur « total » ; « bilan » est l'adresse du bilan CSV.",
    };

    private static readonly Dictionary<string, string> StatusWords = new()
    {
        ["200"] = "Succès.",
        ["201"] = "Créé.",
        ["202"] = "Accepté : traitement en tâche de fond.",
        ["204"] = "Fait ; rien n'est renvoyé.",
        ["400"] = "Donnée invalide ou requête mal formée ; « erreurs » donne le chemin de chaque erreur.",
        ["401"] = "Jeton absent, inconnu, expiré ou révoqué.",
        ["403"] = "Rôle ou organisme qui ne permet pas cette action ; ou, appelée avec le cookie du portail, compte de l'Agence dont la double authentification reste à activer.",
        ["404"] = "Ressource inexistante ou non visible par l'appelant.",
        ["409"] = "Le statut de la demande ne permet pas l'action, ou elle a changé entre-temps : rien n'est modifié.",
        ["413"] = "Corps ou fichier au-delà de sa limite.",
        ["415"] = "Type de contenu non pris en charge (formulaire multipart ou JSON, selon l'opération).",
        ["422"] = "Clé d'idempotence déjà utilisée pour un autre dépôt de l'organisme : rien n'est enregistré.",
        ["429"] = "Trop de requêtes : réessayez après le délai de l'en-tête Retry-After.",
        ["500"] = "Erreur inattendue, sans détail technique.",
        ["503"] = "Service momentanément indisponible (base arrêtée ou occupée, analyse antivirus indisponible, file des gros fichiers pleine) : rien n'est enregistré, réessayez après Retry-After.",
    };

    private static void DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [] }];
        operation.Responses ??= new OpenApiResponses();
        // 403 too: a cookie session of an agency account without two-factor sign-in is refused everywhere (TwoFactorGate).
        foreach (var status in new[] { "401", "403", "429", "500", "503" })
            operation.Responses.TryAdd(status, new OpenApiResponse { Content = ProblemContent(context.Document) });
        foreach (var (status, response) in operation.Responses)
        {
            if (response is not OpenApiResponse r) continue;
            r.Description = StatusWords.GetValueOrDefault(status, r.Description ?? "");
            if (status is "429" or "503")
                (r.Headers ??= new Dictionary<string, IOpenApiHeader>())["Retry-After"] = new OpenApiHeader
                    { Description = "Secondes à attendre avant de réessayer.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } };
            if (status is "201" or "202" && operation.OperationId is "Deposit" or "ImportDraftDocument")
                (r.Headers ??= new Dictionary<string, IOpenApiHeader>())["Location"] = new OpenApiHeader
                    { Description = "Adresse de la ressource créée.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
        }
        foreach (var p in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            p.Description ??= p.Name switch
            {
                "numero" => "Numéro de la demande attribué par le Guichet (ex. « SAS-A-2026-000123 »).",
                "id" when operation.OperationId == "GetDeposit" => "Identifiant du dépôt, rendu par « POST /api/v1/depots ».",
                "id" => "Identifiant de la pièce jointe du brouillon.",
                _ => null,
            };
        switch (operation.OperationId)
        {
            case "ListRequests":
                operation.Parameters ??= [];
                foreach (var (name, description, type) in ListFilters)
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = name, In = ParameterLocation.Query, Description = description,
                        Schema = new OpenApiSchema { Type = type },
                    });
                break;
            case "Deposit":
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "Idempotency-Key", In = ParameterLocation.Header,
                    Description = "Clé choisie par l'appelant (1 à 200 caractères ASCII visibles) : un nouvel envoi du même dépôt sous la même clé rend le premier dépôt (en-tête de réponse « Idempotent-Replayed: true »).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = DepositJob.MaxIdempotencyKeyLength },
                });
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "Prefer", In = ParameterLocation.Header,
                    Description = "« respond-async » : répondre 202 tout de suite et traiter le dépôt en tâche de fond.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
                break;
        }
    }

    private static readonly (string Name, string Description, JsonSchemaType Type)[] ListFilters =
    [
        ("statut", $"Statut : {string.Join(", ", Codes.AllStatuses.Select(s => s.Code()))}.", JsonSchemaType.String),
        ("type", "Type de demande : AVANCE ou SOLDE.", JsonSchemaType.String),
        ("dispositif", $"Dispositif : {string.Join(", ", FundingScheme.KnownCodes)}.", JsonSchemaType.String),
        ("q", "Recherche, sans distinction de majuscules et minuscules, dans le numéro, la référence fournisseur et le client ; 100 caractères au plus.", JsonSchemaType.String),
        ("page", "Numéro de page, à partir de 1.", JsonSchemaType.Integer),
        ("taille", $"Nombre de demandes par page, de 1 à {Requests.RequestFilter.MaxSize} (défaut {Requests.RequestFilter.DefaultSize}).", JsonSchemaType.Integer),
        ("tri", $"Tri : {string.Join(", ", Requests.RequestFilter.Sorts)}.", JsonSchemaType.String),
    ];

    private static Dictionary<string, OpenApiMediaType> ProblemContent(OpenApiDocument? document) => new()
    {
        ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(Problem, document) },
    };

    private static void DescribeDocument(OpenApiDocument document)
    {
        document.Info.Title = "Guichet Ségur numérique — API v1";
        document.Info.Description = "Dépôt, simulation, suivi, modification et instruction des demandes de financement SAS. "
            + "Authentification : en-tête « Authorization: Bearer <jeton> » (jeton personnel créé sur la page « Jetons d'API »). "
            + "Erreurs : Problem Details (RFC 9457) en français, avec la liste « erreurs » (chemin, referenceFournisseur, message). "
            + "Version 1 : les changements sont additifs (champs, statuts, opérations), aucun champ n'est renommé ni retiré ; "
            + "les dépréciations sont annoncées au moins six mois à l'avance (voir docs/api.md, journal des changements de l'API).";
        document.Info.Contact = new OpenApiContact { Name = "Assistance du Guichet Ségur numérique" };
        // The version of the contract in docs/api.md's changelog: minor for additions, never a removal within v1.
        document.Info.Version = "1.3.1";
        // The document serves every host it is read from: Scalar and generated clients use the address they fetched it at.
        document.Servers = [new OpenApiServer { Url = "/", Description = "Le portail qui sert ce document." }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer",
                Description = "Jeton personnel d'API, créé sur la page « Jetons d'API » du portail : « Authorization: Bearer <jeton> ».",
            },
        };
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Dépôts", Description = "Déposer des demandes (JSON du format 1.0 et ZIP des pièces), suivre un dépôt, simuler." },
            new() { Name = "Demandes", Description = "Suivre les demandes visibles par l'appelant et compléter une demande incomplète." },
            new() { Name = "Modification", Description = "Le parcours « Modifier » du fournisseur : brouillon, pièces, « Confirmer », « Ne pas modifier »." },
            new() { Name = "Instruction", Description = "Les décisions de l'Agence : demande de modification, validation, rejet, paiement, une à une ou par opération groupée." },
        };
        // Generated clients (Kiota) make the French « title » the message of their typed exception.
        if (document.Components.Schemas is { } schemas && schemas.TryGetValue(Problem, out var p) && p is OpenApiSchema problem
            && problem.Properties?.TryGetValue("title", out var title) == true && title is OpenApiSchema t)
            (t.Extensions ??= new Dictionary<string, IOpenApiExtension>())["x-ms-primary-error-message"] = new JsonNodeExtension(JsonValue.Create(true));
        foreach (var (name, description) in SchemaWords)
            if (document.Components.Schemas?.TryGetValue(name, out var found2) == true && found2 is OpenApiSchema described)
                described.Description ??= description;
        AddFormat(document);
        DescribeForms(document);
        // The simulator's notices (e.g. the advance's uniqueness across vendors is checked at deposit): always present, maybe empty.
        if (document.Components.Schemas is { } all && all.TryGetValue("Simulation", out var found) && found is OpenApiSchema simulation
            && simulation.Properties?.TryGetValue("avertissements", out var warnings) == true && warnings is OpenApiSchema w)
            w.Description = "Avertissements qui n'empêchent pas le dépôt, par exemple : l'unicité de l'avance d'un client, "
                + "tous fournisseurs confondus, est vérifiée au dépôt (jamais par le simulateur).";
    }

    /// <summary>The published format schema (<c>/format/schema.json</c>) as components, so the deposit's « json » part is typed.</summary>
    private static void AddFormat(OpenApiDocument document)
    {
        using var stream = FormatFiles.Open("schema.json");
        var schema = JsonNode.Parse(stream)!.AsObject();
        var defs = schema["$defs"]!.AsObject();
        schema.Remove("$defs");
        schema.Remove("$id");
        schema.Remove("$schema");
        // #/$defs/date becomes #/components/schemas/FormatDepotDate, and so on.
        static string Named(string def) => Format + char.ToUpperInvariant(def[0]) + def[1..];
        var components = new JsonObject { [Format] = schema.DeepClone() };
        foreach (var (name, def) in defs) components[Named(name)] = def!.DeepClone();
        var text = components.ToJsonString();
        foreach (var name in defs.Select(d => d.Key))
            text = text.Replace($"\"#/$defs/{name}\"", $"\"#/components/schemas/{Named(name)}\"", StringComparison.Ordinal);
        var wrapper = """{"openapi":"3.1.1","info":{"title":"format","version":"1.0"},"paths":{},"components":{"schemas":""" + text + "}}";
        var read = OpenApiDocument.Parse(wrapper, "json");
        if (read.Document?.Components?.Schemas is not { } schemas || read.Diagnostic?.Errors.Count > 0)
            throw new InvalidOperationException("Le schéma du format publié ne se lit pas comme un schéma OpenAPI.");
        document.Components!.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var (name, s) in schemas)
        {
            if (s is OpenApiSchema concrete && name == Format)
                concrete.ExternalDocs = new OpenApiExternalDocs { Description = "Schéma JSON publié du format 1.0", Url = new Uri("/format/schema.json", UriKind.Relative) };
            document.Components.Schemas[name] = s;
        }
    }

    /// <summary>Multipart bodies: each part's content type, the deposit's « json » part typed by the format, and the published example.</summary>
    private static void DescribeForms(OpenApiDocument document)
    {
        using var example = FormatFiles.Open("exemple.json");
        var exampleJson = JsonNode.Parse(example);
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []))
        {
            if (operation.RequestBody?.Content is not { } content || !content.TryGetValue("multipart/form-data", out var part) || part is not OpenApiMediaType form) continue;
            var schema = form.Schema is OpenApiSchemaReference r ? r.Target as OpenApiSchema : form.Schema as OpenApiSchema;
            form.Encoding = new Dictionary<string, OpenApiEncoding>();
            if (schema?.Properties?.ContainsKey("json") == true)
            {
                // Inline, so the « json » part of this form only is typed by the format.
                form.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "json" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["json"] = new OpenApiSchemaReference(Format, document),
                        ["zip"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String, Format = "binary",
                            Description = "Archive ZIP des pièces justificatives, nommées dans le JSON par leur nom de fichier (facultative).",
                        },
                    },
                };
                form.Encoding["json"] = new OpenApiEncoding { ContentType = "application/json" };
                form.Encoding["zip"] = new OpenApiEncoding { ContentType = "application/zip" };
                form.Example = new JsonObject { ["json"] = exampleJson?.DeepClone() };
                operation.RequestBody.Description = "Formulaire multipart : « json » (fichier au format 1.0, voir /format/schema.json) et « zip » (facultatif).";
            }
            else if (schema?.Properties?.ContainsKey("fichier") == true)
            {
                form.Encoding["type"] = new OpenApiEncoding { ContentType = "text/plain" };
                form.Encoding["fichier"] = new OpenApiEncoding { ContentType = "application/pdf, image/jpeg, image/png" };
                operation.RequestBody.Description = "Formulaire multipart : « type » (code du type de pièce, ex. FACTURE) et « fichier » (PDF, JPEG ou PNG).";
            }
        }
        document.Components?.Schemas?.Remove("DepotFormulaire");
    }
}
