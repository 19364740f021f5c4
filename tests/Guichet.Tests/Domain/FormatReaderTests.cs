using System.Text;
using System.Text.Json.Nodes;
using Guichet.Deposits;
using Guichet.Domain;

namespace Guichet.Tests.Domain;

/// <summary>
/// The format v1 reader reads each object in one pass (docs/architecture.md « Performances »): the order of the fields,
/// a repeated or an escaped name and a value repeated from request to request must read as they always did.
/// </summary>
public sealed class FormatReaderTests
{
    private static JsonObject Example()
    {
        using var s = FormatFiles.Open("exemple.json");
        return JsonNode.Parse(s)!.AsObject();
    }

    private static (DepositFile File, List<ErrorItem> Errors) Parse(string json)
    {
        var errors = new List<ErrorItem>();
        return (FormatV1.Parse(Encoding.UTF8.GetBytes(json), 100, errors), errors);
    }

    /// <summary>The same JSON with every object's properties in reverse order, in arrays too (requests, pieces).</summary>
    private static JsonNode? Reversed(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Reverse().Select(p => KeyValuePair.Create(p.Key, Reversed(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Reversed)]),
        _ => node?.DeepClone(),
    };

    /// <summary>Every field of a request, pieces listed by value: records compare their lists by reference.</summary>
    private static string Describe(DemandeV1 d) => (d with { Pieces = [] }) + " " + string.Join(";", d.Pieces);

    [Fact]
    public void Fields_in_any_order_read_as_in_the_documented_order()
    {
        var example = Example();

        var (inOrder, errors) = Parse(example.ToJsonString());
        var reversedJson = Reversed(example)!.ToJsonString();
        var (reversed, reversedErrors) = Parse(reversedJson);

        Assert.StartsWith("{\"demandes\":[{\"piecesJointes\":[{\"fichier\":", reversedJson);
        Assert.Empty(errors);
        Assert.Empty(reversedErrors);
        Assert.True(inOrder.AllShapesValid);
        Assert.Equal(inOrder.Siret, reversed.Siret);
        Assert.Equal(inOrder.Demandes.Select(Describe), reversed.Demandes.Select(Describe));
        Assert.Contains(inOrder.Demandes, d => d.Pieces.Count > 0 && d.ContactSupport is not null && d.PurchaseOrderDate is not null);
    }

    [Fact]
    public void Of_two_properties_with_the_same_name_the_last_counts_and_an_unknown_one_is_still_told()
    {
        var example = Example();
        var first = example["demandes"]![0]!.AsObject();
        var type = (string)first["type"]!;
        var other = type == "AVANCE" ? "SOLDE" : "AVANCE";
        var json = example.ToJsonString().Replace($"\"type\":\"{type}\"", $"\"type\":\"{other}\",\"couleur\":1,\"type\":\"{type}\"");

        var (file, errors) = Parse(json);

        Assert.Equal(Codes.ParseType(type), file.Demandes[0].Type);
        var unknown = Assert.Single(errors);
        Assert.Equal("$.demandes[0].couleur", unknown.Chemin);
        Assert.Contains("Propriété inconnue", unknown.Message);
    }

    [Fact]
    public void An_escaped_property_name_is_the_name_it_spells()
    {
        var json = Example().ToJsonString();
        var escaped = json.Replace("\"client\":", "\"cl\\u0069ent\":").Replace("\"siret\":", "\"\\u0073iret\":");
        Assert.NotEqual(json, escaped);

        var (plain, _) = Parse(json);
        var (file, errors) = Parse(escaped);

        Assert.Empty(errors);
        Assert.Equal(plain.Siret, file.Siret);
        Assert.Equal(plain.Demandes.Select(Describe), file.Demandes.Select(Describe));
    }

    [Fact]
    public void A_support_contact_repeated_from_request_to_request_is_checked_for_each()
    {
        var example = Example();
        var request = example["demandes"]![0]!.AsObject();
        JsonObject WithContact(string reference, string contact)
        {
            var d = request.DeepClone().AsObject();
            d["referenceFournisseur"] = reference;
            d["informations"]!["contactSupport"] = contact;
            return d;
        }
        example["demandes"] = new JsonArray(
            WithContact("R-1", "https://support.agendapro.test"), WithContact("R-2", "https://support.agendapro.test"),
            WithContact("R-3", "appelez-nous"), WithContact("R-4", "appelez-nous"), WithContact("R-5", "https://support.agendapro.test"));

        var (file, errors) = Parse(example.ToJsonString());

        Assert.Equal(["R-3", "R-4"], errors.Select(e => e.ReferenceFournisseur));
        Assert.All(errors, e => Assert.EndsWith(".informations.contactSupport", e.Chemin));
        Assert.Equal(["https://support.agendapro.test", "https://support.agendapro.test", null, null, "https://support.agendapro.test"],
            file.Demandes.Select(d => d.ContactSupport));
    }

    [Fact]
    public void A_value_repeated_from_request_to_request_is_checked_for_each_and_an_escaped_copy_reads_alike()
    {
        // The reader shares a repeated valid value instead of reading it again (FormatV1.Recent): each request must still
        // get its own errors, and a value written with escapes is the value it spells.
        var example = Example();
        var request = example["demandes"]![0]!.AsObject();
        var scheme = (string)request["dispositif"]!;
        var orderDate = (string)request["bonDeCommande"]!["date"]!;
        var solution = (string)request["solution"]!["numeroReferencement"]!;
        var pieceType = (string)request["piecesJointes"]![0]!["type"]!;
        JsonObject With(string reference, string dispositif, string date, string solutionNumber, string piece)
        {
            var d = request.DeepClone().AsObject();
            d["referenceFournisseur"] = reference;
            d["dispositif"] = dispositif;
            d["bonDeCommande"]!["date"] = date;
            d["solution"]!["numeroReferencement"] = solutionNumber;
            d["piecesJointes"] = new JsonArray(new JsonObject { ["type"] = piece, ["fichier"] = $"{reference}.pdf" });
            return d;
        }
        example["demandes"] = new JsonArray(
            With("R-1", scheme, orderDate, solution, pieceType), With("R-2", scheme, orderDate, solution, pieceType),
            With("R-3", "SAS_INCONNU", "2026-02-30", "   ", "PHOTO"), With("R-4", "SAS_INCONNU", "2026-02-30", "   ", "PHOTO"),
            With("R-5", "ESCAPED-SCHEME", orderDate, solution, pieceType));
        static string Escaped(string text) => string.Concat(text.Select(c => $"\\u{(int)c:x4}"));
        var json = example.ToJsonString().Replace("\"ESCAPED-SCHEME\"", $"\"{Escaped(scheme)}\"");
        Assert.Contains(Escaped(scheme), json);

        var (file, errors) = Parse(json);

        string[] refused = [".dispositif", ".solution.numeroReferencement", ".bonDeCommande.date", ".piecesJointes[0].type"];
        Assert.Equal(
            [.. refused.Select(p => ("R-3", "$.demandes[2]" + p)), .. refused.Select(p => ("R-4", "$.demandes[3]" + p))],
            errors.Select(e => (e.ReferenceFournisseur, e.Chemin)));
        Assert.Equal([true, true, false, false, true], file.Demandes.Select(d => d.ShapeValid));
        Assert.Equal([scheme, scheme, null, null, scheme], file.Demandes.Select(d => d.Scheme));
        Assert.Equal([solution, solution, null, null, solution], file.Demandes.Select(d => d.SolutionNumber));
        var date = DateOnly.Parse(orderDate, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([date, date, null, null, date], file.Demandes.Select(d => d.PurchaseOrderDate));
        Assert.Equal([1, 1, 0, 0, 1], file.Demandes.Select(d => d.Pieces.Count));

        // An escaped lone surrogate is refused as before, even where the previous request gave a valid value.
        example["demandes"] = new JsonArray(With("R-1", scheme, orderDate, solution, pieceType), With("R-2", "ESCAPED-SCHEME", orderDate, solution, pieceType));
        var (_, surrogate) = Parse(example.ToJsonString().Replace("\"ESCAPED-SCHEME\"", "\"SAS\\uD800\""));
        Assert.Contains("caractère échappé invalide", Assert.Single(surrogate).Message);
    }

    [Fact]
    public void A_field_set_to_null_counts_as_given_where_its_presence_matters_and_as_missing_where_it_is_required()
    {
        var example = Example();
        var request = example["demandes"]![0]!.AsObject();
        request["type"] = "AVANCE";
        request["dateMiseEnService"] = null;
        request["piecesJointes"] = null;
        request["bonDeCommande"] = null;

        var (_, errors) = Parse(example.ToJsonString());

        Assert.Equal(
            [
                ("$.demandes[0].bonDeCommande", "Le champ «\u00A0bonDeCommande\u00A0» est obligatoire."),
                ("$.demandes[0].dateMiseEnService", "Le champ «\u00A0dateMiseEnService\u00A0» ne concerne que les demandes de solde."),
                ("$.demandes[0].piecesJointes", "«\u00A0piecesJointes\u00A0» doit être une liste."),
            ],
            errors.Select(e => (e.Chemin, e.Message)));
    }
}
