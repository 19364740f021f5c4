using System.Buffers;
using System.Text.Json;
using Guichet.Domain;
using Guichet.Hosting;

namespace Guichet.Deposits;

/// <summary>
/// One request of a format v1 file as read: a field is null when it is missing or failed its shape check, so that the
/// business rules can still check the others and every error is listed at once. <see cref="ShapeValid"/> says all is there.
/// </summary>
public sealed record DemandeV1(
    int Index, string? Reference, RequestType? Type, string? Scheme, string? SolutionNumber, ClientIdType? ClientIdType,
    string? ClientId, string? ClientName, string? PurchaseOrderNumber, DateOnly? PurchaseOrderDate, decimal? Amount,
    string? ContactSupport, DateOnly? GoLiveDate, string? AdvanceNumber, IReadOnlyList<(DocumentType Type, string File)> Pieces, bool ShapeValid)
{
    public string Path => $"$.demandes[{Index}]";

    /// <summary>The request's data for the domain; only for a request whose shape is valid.</summary>
    public FundingRequest.DepositData ToDepositData() => ShapeValid
        ? new(Reference!, Type!.Value, ClientIdType!.Value, ClientId!, ClientName!.Trim(), PurchaseOrderNumber!.Trim(), PurchaseOrderDate!.Value,
            GoLiveDate, AdvanceNumber, Amount!.Value, ContactSupport!.Trim())
        : throw new InvalidOperationException("Demande invalide.");
}

public sealed record DepositFile(string? Siret, IReadOnlyList<DemandeV1> Demandes, int Count)
{
    public bool AllShapesValid => Demandes.Count == Count && Demandes.All(d => d.ShapeValid);
}

/// <summary>
/// Reads a format v1 JSON file (docs/regles.md#format-v1) and checks its shape: required fields, types, enums, lengths, no unknown
/// properties. Every error is collected with its JSON path, never only the first.
/// </summary>
public static class FormatV1
{
    /// <summary>Length at which a quoted file name or value is cut in a message.</summary>
    private const int MaxQuoted = 60;
    public const string Version = "1.0";
    public const int MaxDepth = 16;

    // The allowed property names of each object.
    private static readonly Names RootFields = new("versionFormat", "fournisseur", "demandes");
    private static readonly Names RequestFields = new("referenceFournisseur", "type", "dispositif", "solution", "client", "bonDeCommande",
        "montantDemande", "informations", "piecesJointes", "dateMiseEnService", "numeroDemandeAvance");
    private static readonly Names SupplierFields = new("siret");
    private static readonly Names SolutionFields = new("numeroReferencement");
    private static readonly Names ClientFields = new("typeIdentifiant", "identifiant", "nom");
    private static readonly Names OrderFields = new("numero", "date");
    private static readonly Names InformationFields = new("contactSupport");
    private static readonly Names PieceFields = new("type", "fichier");
    private static readonly string[] BalanceOnlyFields = ["dateMiseEnService", "numeroDemandeAvance"];
    private static readonly SearchValues<char> ReferenceChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./");

    /// <summary>The property names an object may have, also as UTF-8: a known name is matched without being read into a string.</summary>
    private sealed class Names(params string[] names)
    {
        private readonly byte[][] _utf8 = [.. names.Select(System.Text.Encoding.UTF8.GetBytes)];

        public int Count => names.Length;

        public int IndexOf(string name) => Array.IndexOf(names, name);

        /// <summary>
        /// The index of the property's name, or -1. The search starts after the previous match, so that a file listing the
        /// fields in the documented order matches each at the first comparison.
        /// </summary>
        public int Match(JsonProperty p, ref int next)
        {
            for (var k = 0; k < _utf8.Length; k++)
            {
                var i = next + k < _utf8.Length ? next + k : next + k - _utf8.Length;
                if (p.NameEquals(_utf8[i])) { next = i + 1; return i; }
            }
            return -1;
        }
    }

    /// <summary>
    /// One object's known properties, read in one pass over the object instead of one search per field; a missing one
    /// reads as an undefined element. Of two properties with the same name the last counts, as in <c>TryGetProperty</c>.
    /// Reused from object to object of the same kind within one file.
    /// </summary>
    private sealed class Fields(Names names)
    {
        private readonly JsonElement[] _values = new JsonElement[names.Count];
        private readonly List<string> _unknown = [];

        public JsonElement this[string name] =>
            _values[names.IndexOf(name) is var i and >= 0 ? i : throw new ArgumentException($"« {name} » is not one of this object's fields.", nameof(name))];

        public IReadOnlyList<string> Unknown => _unknown;

        public Fields Read(JsonElement obj)
        {
            Array.Clear(_values);
            _unknown.Clear();
            var next = 0;
            foreach (var p in obj.EnumerateObject())
            {
                var i = names.Match(p, ref next);
                if (i >= 0) _values[i] = p.Value;
                else _unknown.Add(p.Name);
            }
            return this;
        }
    }

    /// <summary>
    /// The per-file scratch of <see cref="Parse"/>: one <see cref="Fields"/> per kind of object, and the last value read of
    /// each field that a file usually repeats from request to request.
    /// </summary>
    private sealed class Scratch
    {
        public readonly Fields Root = new(RootFields), Supplier = new(SupplierFields), Request = new(RequestFields),
            Solution = new(SolutionFields), Client = new(ClientFields), Order = new(OrderFields), Information = new(InformationFields),
            Piece = new(PieceFields);

        public readonly Recent Type = new(), Scheme = new(), SolutionNumber = new(), ClientIdType = new(), OrderDate = new(),
            Contact = new(), GoLiveDate = new(), PieceType = new();
    }

    /// <summary>
    /// The last value of one field that passed the string checks. A file of 10 000 requests repeats its scheme, solution,
    /// contact, dates and codes: a value equal to the last one is compared in UTF-8 and shared instead of read into a new
    /// string, which the garbage collector would copy along with every request kept (docs/architecture.md, « Performances »).
    /// The string checks are pure functions of the text, so a shared value passes them again; the field's own check (known
    /// scheme, code, date) still runs on it at every request.
    /// </summary>
    private sealed class Recent
    {
        private byte[]? _utf8;

        public string? Text { get; private set; }

        public bool Matches(JsonElement v) => _utf8 is not null && v.ValueEquals(_utf8);

        public void Remember(string text)
        {
            Text = text;
            _utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        }
    }

    public static DepositFile Parse(ReadOnlyMemory<byte> json, int maxRequests, List<ErrorItem> errors)
    {
        // Windows tools write a UTF-8 byte order mark: it is not part of the JSON.
        if (json.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) json = json[3..];
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            errors.Add(new("$", null, "Le fichier n'est pas encodé en UTF-8 (un caractère accentué enregistré en Windows-1252 ou en Latin-1, par exemple) : "
                + "enregistrez-le en UTF-8."));
            return new DepositFile(null, [], 0);
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (ligne {line + 1}, position {e.BytePositionInLine + 1})" : "";
            var depth = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase) ? $" : imbrication supérieure à {MaxDepth} niveaux" : "";
            errors.Add(new("$", null, $"Le fichier n'est pas un JSON valide{where}{depth}."));
            return new DepositFile(null, [], 0);
        }
        using (doc)
        try
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new("$", null, "Le fichier doit contenir un objet JSON ({ \"versionFormat\": …, \"fournisseur\": …, \"demandes\": [ … ] })."));
                return new DepositFile(null, [], 0);
            }
            var scratch = new Scratch();
            var r = new Reader(errors);
            var rf = scratch.Root.Read(root);
            r.Unknown(rf, "$");
            var version = r.String(rf, "$", "versionFormat", 10);
            if (version is not null && version != Version)
                errors.Add(new("$.versionFormat", null, $"Version de format « {version} » non prise en charge : attendu « {Version} »."));
            string? siret = null;
            if (r.Object(rf, "$", "fournisseur", scratch.Supplier) is { } fournisseur)
            {
                siret = r.String(fournisseur, "$.fournisseur", "siret", 14);
                if (siret is not null && !Identifiers.IsValidSiret(siret))
                    errors.Add(new("$.fournisseur.siret", null, Identifiers.InvalidMessage(ClientIdType.Siret)));
            }
            var demandes = new List<DemandeV1>();
            var count = 0;
            if (r.Property(rf["demandes"], "$", "demandes", JsonValueKind.Array) is { } array)
            {
                count = array.GetArrayLength();
                if (count == 0) errors.Add(new("$.demandes", null, "Le fichier ne contient aucune demande."));
                if (count > maxRequests)
                    errors.Add(new("$.demandes", null, $"Un dépôt est limité à {maxRequests} demandes ; ce fichier en contient {count}."));
                else
                {
                    demandes.Capacity = count;
                    var i = 0;
                    foreach (var item in array.EnumerateArray())
                    {
                        if (ReadRequest(item, i, r, scratch) is { } d) demandes.Add(d);
                        i++;
                    }
                }
            }
            return new DepositFile(siret, demandes, count);
        }
        catch (InvalidOperationException)
        {
            // Strings and property names refuse an escaped half of a surrogate pair (« \uD800 » alone): not text.
            errors.Add(new("$", null, "Le fichier contient un caractère échappé invalide (« \\uD800 » à « \\uDFFF » isolé) : corrigez le texte concerné."));
            return new DepositFile(null, [], 0);
        }
    }

    private static DemandeV1? ReadRequest(JsonElement e, int index, Reader r, Scratch scratch)
    {
        var path = $"$.demandes[{index}]";
        r.Reference = null;
        if (e.ValueKind != JsonValueKind.Object)
        {
            r.Error(path, "Chaque demande doit être un objet JSON.");
            return null;
        }
        var f = scratch.Request.Read(e);
        var rp = f["referenceFournisseur"];
        // Every error of this request names its reference as written, even one the checks below refuse.
        r.Reference = rp.ValueKind == JsonValueKind.String ? rp.GetString() : null;
        var before = r.Count;
        r.Unknown(f, path);
        var refValue = r.String(f, path, "referenceFournisseur", 100, read: r.Reference);
        if (refValue is not null && refValue.AsSpan().ContainsAnyExcept(ReferenceChars))
            r.Error(path + ".referenceFournisseur", "La référence ne peut contenir que des lettres, chiffres et les caractères - _ . /");
        var type = r.Enum<RequestType>(f, path, "type", Codes.TryParseType, "AVANCE, SOLDE", scratch.Type);
        var scheme = r.String(f, path, "dispositif", 40, scratch.Scheme);
        if (scheme is not null && !FundingScheme.IsKnown(scheme))
        {
            r.Error(path + ".dispositif", $"Dispositif inconnu « {Fr.Clip(scheme, MaxQuoted)} » : attendu {string.Join(" ou ", FundingScheme.KnownCodes)}.");
            scheme = null;
        }

        string? solution = null;
        if (r.Object(f, path, "solution", scratch.Solution) is { } s)
            solution = r.String(s, new JsonPath(path, ".solution"), "numeroReferencement", 50, scratch.SolutionNumber);

        ClientIdType? clientType = null;
        string? clientId = null, clientName = null;
        if (r.Object(f, path, "client", scratch.Client) is { } c)
        {
            var cp = new JsonPath(path, ".client");
            clientType = r.Enum<ClientIdType>(c, cp, "typeIdentifiant", Codes.TryParseClientIdType, "FINESS, SIRET, RPPS", scratch.ClientIdType);
            clientId = r.String(c, cp, "identifiant", 14);
            clientName = r.String(c, cp, "nom", RequestRules.MaxTextLength);
            if (clientType is { } ct && clientId is not null && !Identifiers.IsValid(ct, clientId))
            {
                r.Error(cp + ".identifiant", Identifiers.InvalidMessage(ct));
                clientId = null;
            }
        }

        string? poNumber = null;
        DateOnly? poDate = null;
        if (r.Object(f, path, "bonDeCommande", scratch.Order) is { } bc)
        {
            var bp = new JsonPath(path, ".bonDeCommande");
            poNumber = r.String(bc, bp, "numero", 100);
            poDate = r.Date(bc, bp, "date", scratch.OrderDate);
        }

        decimal? amount = null;
        if (r.Property(f["montantDemande"], path, "montantDemande", JsonValueKind.Number) is { } m)
        {
            if (!m.TryGetDecimal(out var a) || a < 0 || a > 100_000_000m)
                r.Error(path + ".montantDemande", "Le montant doit être un nombre positif en euros.");
            else if (decimal.Round(a, 2) != a)
                r.Error(path + ".montantDemande", "Le montant doit être exprimé au centime près (deux décimales au plus).");
            else amount = a;
        }

        string? contact = null;
        if (r.Object(f, path, "informations", scratch.Information) is { } info)
        {
            var cs = info["contactSupport"];
            if (cs.ValueKind == JsonValueKind.String)
            {
                if (scratch.Contact.Matches(cs)) contact = scratch.Contact.Text;
                else if (RequestRules.ContactSupportError(contact = cs.GetString()) is { } error) { r.Error(path + ".informations.contactSupport", error); contact = null; }
                else scratch.Contact.Remember(contact!);
            }
            else r.String(info, new JsonPath(path, ".informations"), "contactSupport", RequestRules.MaxTextLength);
        }

        DateOnly? goLive = null;
        string? advance = null;
        if (type == RequestType.Solde)
        {
            goLive = r.Date(f, path, "dateMiseEnService", scratch.GoLiveDate);
            advance = r.String(f, path, "numeroDemandeAvance", 30);
        }
        else if (type == RequestType.Avance)
        {
            foreach (var name in BalanceOnlyFields)
                if (f[name].ValueKind != JsonValueKind.Undefined) r.Error($"{path}.{name}", $"Le champ « {name} » ne concerne que les demandes de solde.");
        }

        List<(DocumentType, string)>? pieces = null;
        var pj = f["piecesJointes"];
        if (pj.ValueKind != JsonValueKind.Undefined)
        {
            if (pj.ValueKind != JsonValueKind.Array) r.Error(path + ".piecesJointes", "« piecesJointes » doit être une liste.");
            else
            {
                pieces = new(pj.GetArrayLength());
                var j = 0;
                foreach (var p in pj.EnumerateArray())
                {
                    var pp = new JsonPath(path, ".piecesJointes", j++);
                    if (p.ValueKind != JsonValueKind.Object) { r.Error(pp.ToString(), "Chaque pièce jointe doit être un objet { \"type\", \"fichier\" }."); continue; }
                    var pf = scratch.Piece.Read(p);
                    r.Unknown(pf, pp);
                    var dt = r.Enum<DocumentType>(pf, pp, "type", Codes.TryParseDocumentType, "BON_DE_COMMANDE, FACTURE, VERIFICATION_APTITUDE, AUTRE", scratch.PieceType);
                    var file = r.String(pf, pp, "fichier", 255);
                    if (dt is { } t && file is not null) pieces.Add((t, file));
                }
            }
        }

        return new DemandeV1(index, refValue, type, scheme, solution, clientType, clientId, clientName,
            poNumber, poDate, amount, contact, goLive, advance, pieces ?? [], ShapeValid: r.Count == before);
    }

    /// <summary>
    /// A JSON path written out only when an error needs it: a parent path, what lies below it and an optional index
    /// (« $.demandes[3] », « .piecesJointes », 0). A file of 10 000 requests no longer builds some 60 000 path strings
    /// that no error uses.
    /// </summary>
    private readonly record struct JsonPath(string Parent, string Below = "", int Index = -1)
    {
        public static implicit operator JsonPath(string path) => new(path);
        public override string ToString() => Index >= 0 ? $"{Parent}{Below}[{Index}]" : Below.Length == 0 ? Parent : Parent + Below;
    }

    /// <summary>Typed reads that add a French error (with path and vendor reference) when a field is missing or wrong.</summary>
    private sealed class Reader(List<ErrorItem> errors)
    {
        /// <summary>The vendor reference of the request being read, named by its errors.</summary>
        public string? Reference { get; set; }

        public int Count => errors.Count;

        public void Error(string path, string message) => errors.Add(new ErrorItem(path, Reference, message));

        public void Unknown(Fields obj, JsonPath path)
        {
            foreach (var name in obj.Unknown)
                Error($"{path}.{Fr.Clip(name, MaxQuoted)}", $"Propriété inconnue « {Fr.Clip(name, MaxQuoted)} » : elle n'existe pas dans le format {Version}.");
        }

        public JsonElement? Property(JsonElement v, JsonPath path, string name, JsonValueKind kind)
        {
            if (v.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            {
                Error($"{path}.{name}", $"Le champ « {name} » est obligatoire.");
                return null;
            }
            if (v.ValueKind != kind)
            {
                Error($"{path}.{name}", $"Le champ « {name} » doit être {KindLabel(kind)}.");
                return null;
            }
            return v;
        }

        /// <summary>A nested object's known fields, its unknown properties reported; null (with its error) when missing or not an object.</summary>
        public Fields? Object(Fields obj, JsonPath path, string name, Fields into)
        {
            if (Property(obj[name], path, name, JsonValueKind.Object) is not { } v) return null;
            // The path is built only for an error to write: four objects per request, 10 000 requests a file.
            if (into.Read(v).Unknown.Count > 0) Unknown(into, $"{path}.{name}");
            return into;
        }

        /// <summary>
        /// A required string: <paramref name="recent"/> shares a value repeated from the last request instead of reading
        /// it again; <paramref name="read"/> is the value when the caller has already read it.
        /// </summary>
        public string? String(Fields obj, JsonPath path, string name, int max, Recent? recent = null, string? read = null)
        {
            if (Property(obj[name], path, name, JsonValueKind.String) is not { } v) return null;
            if (recent is not null && recent.Matches(v)) return recent.Text;
            var s = read ?? v.GetString()!;
            if (string.IsNullOrWhiteSpace(s)) { Error($"{path}.{name}", $"Le champ « {name} » ne peut pas être vide."); return null; }
            if (s.Length > max) { Error($"{path}.{name}", $"Le champ « {name} » ne doit pas dépasser {max} caractères."); return null; }
            if (HasControl(s)) { Error($"{path}.{name}", $"Le champ « {name} » contient des caractères de contrôle."); return null; }
            recent?.Remember(s);
            return s;
        }

        public DateOnly? Date(Fields obj, JsonPath path, string name, Recent? recent = null)
        {
            if (String(obj, path, name, 10, recent) is not { } s) return null;
            if (TryParseIsoDate(s, out var d)) return d;
            Error($"{path}.{name}", $"La date « {Fr.Clip(s, MaxQuoted)} » doit être au format aaaa-mm-jj.");
            return null;
        }

        public T? Enum<T>(Fields obj, JsonPath path, string name, TryParse<T> parse, string allowed, Recent? recent = null) where T : struct
        {
            if (String(obj, path, name, 40, recent) is not { } s) return null;
            if (parse(s, out var v)) return v;
            Error($"{path}.{name}", $"Valeur « {Fr.Clip(s, MaxQuoted)} » non autorisée pour « {name} » : attendu {allowed}.");
            return null;
        }
    }

    public delegate bool TryParse<T>(string? code, out T value);

    /// <summary>What <c>char.IsControl</c> matches (U+0000–U+001F, U+007F–U+009F), in one vectorised pass over the text.</summary>
    private static bool HasControl(string s) => s.AsSpan().ContainsAnyInRange('\u0000', '\u001F') || s.AsSpan().ContainsAnyInRange('\u007F', '\u009F');

    /// <summary>
    /// « aaaa-mm-jj » exactly, as <c>DateOnly.TryParseExact(s, "yyyy-MM-dd", InvariantCulture)</c> reads it, without its
    /// general format machinery (a fifth of the parse time of a large file, measured).
    /// </summary>
    internal static bool TryParseIsoDate(string s, out DateOnly date)
    {
        date = default;
        if (s.Length != 10 || s[4] != '-' || s[7] != '-') return false;
        if (!TryDigits(s, 0, 4, out var year) || !TryDigits(s, 5, 2, out var month) || !TryDigits(s, 8, 2, out var day)) return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        date = new DateOnly(year, month, day);
        return true;
    }

    private static bool TryDigits(string s, int start, int length, out int value)
    {
        value = 0;
        for (var i = start; i < start + length; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
            value = value * 10 + (s[i] - '0');
        }
        return true;
    }

    private static string KindLabel(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "un objet",
        JsonValueKind.Array => "une liste",
        JsonValueKind.String => "une chaîne de caractères",
        JsonValueKind.Number => "un nombre",
        _ => "d'un autre type",
    };

}
