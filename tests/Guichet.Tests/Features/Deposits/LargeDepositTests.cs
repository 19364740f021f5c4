using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>A deposit of 10 000 requests and a ZIP of 10 000 files runs in the background and reports its progress.</summary>
public sealed class LargeDepositTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    [Fact]
    public async Task Ten_thousand_requests_with_ten_thousand_files_go_through_in_the_background()
    {
        const int count = 10_000;
        var example = await DepositFiles.Example(app.Anonymous());
        var template = example["demandes"]![0]!.AsObject();
        var demandes = new JsonArray();
        var files = new List<(string, byte[])>(count);
        for (var i = 0; i < count; i++)
        {
            var d = template.DeepClone().AsObject();
            d["referenceFournisseur"] = $"MASSE-{i:D5}";
            d["client"]!["identifiant"] = (40000000000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            d["client"]!["nom"] = $"Dr Client {i}";
            d["piecesJointes"]![0]!["fichier"] = $"bc/{i:D5}.pdf";
            demandes.Add(d);
            files.Add(($"bc/{i:D5}.pdf", DepositFiles.Pdf));
        }
        example["demandes"] = demandes;
        var client = app.Bearer("demo-agendapro");
        var before = (await client.GetJsonAsync("/api/v1/demandes?taille=1")).GetProperty("total").GetInt32();

        var response = await client.PostAsync("/api/v1/depots", DepositFiles.Form(example, DepositFiles.Zip([.. files])));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await Json(response);
        Assert.Equal("EN_TRAITEMENT", accepted.GetProperty("statut").GetString());
        var url = accepted.GetProperty("url").GetString()!;

        JsonElement status;
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(5)); // a wall-clock bound on the wait, not a time of the app
        do
        {
            await Task.Delay(500);
            status = await client.GetJsonAsync(url);
        } while (status.GetProperty("statut").GetString() == "EN_TRAITEMENT" && !patience.IsCancellationRequested);

        Assert.Equal("TERMINE", status.GetProperty("statut").GetString());
        Assert.Equal(count, status.GetProperty("demandes").GetArrayLength());
        Assert.Equal(count, status.GetProperty("traitees").GetInt32());
        Assert.All(status.GetProperty("demandes").EnumerateArray(), d => Assert.Equal("EN_COURS", d.GetProperty("statut").GetString()));
        var after = (await client.GetJsonAsync("/api/v1/demandes?taille=1")).GetProperty("total").GetInt32();
        Assert.Equal(before + count, after);
        // Another organisation cannot read this deposit.
        Assert.Equal(HttpStatusCode.NotFound, (await app.Bearer("demo-regulis").GetAsync(url)).StatusCode);
    }
}
