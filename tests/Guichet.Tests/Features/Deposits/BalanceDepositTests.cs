using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>A balance settles one advance: its own client's, paid, not settled yet, of the same vendor, for the rest of the amount.</summary>
public abstract class BalanceDepositTests(GuichetApp app) : DepositScenario(app)
{
    private async Task<List<JsonElement>> DemoRequests(string token, string query) =>
        (await App.Bearer(token).GetJsonAsync("/api/v1/demandes?taille=100&" + query)).GetProperty("demandes").EnumerateArray().ToList();

    /// <summary>A balance of the example for <paramref name="advance"/>: same client and order, in service yesterday, 700 €, no document yet.</summary>
    private async Task<JsonObject> BalanceFor(JsonObject example, JsonElement advance)
    {
        var detail = await AgendaPro.GetJsonAsync($"/api/v1/demandes/{advance.GetProperty("numero").GetString()}");
        var d = DepositFiles.FreshAdvance(example, Seed());
        d["type"] = "SOLDE";
        d["client"]!["identifiant"] = detail.GetProperty("client").GetProperty("identifiant").GetString();
        d["client"]!["nom"] = detail.GetProperty("client").GetProperty("nom").GetString();
        d["bonDeCommande"]!["date"] = detail.GetProperty("bonDeCommande").GetProperty("date").GetString();
        d["dateMiseEnService"] = App.Clock.UtcNow.AddDays(-1).ToString("yyyy-MM-dd");
        d["numeroDemandeAvance"] = advance.GetProperty("numero").GetString();
        d["montantDemande"] = 700m;
        d["piecesJointes"] = new JsonArray();
        return d;
    }

    [Fact]
    public async Task A_balance_needs_its_own_clients_paid_and_unsettled_advance()
    {
        var example = await Example();
        var paid = await DemoRequests("demo-agendapro", "type=AVANCE&statut=DECIDEE_ET_PAYEE");
        var balances = await DemoRequests("demo-agendapro", "type=SOLDE");
        var settledNumbers = new List<string>();
        foreach (var b in balances)
            settledNumbers.Add((await AgendaPro.GetJsonAsync($"/api/v1/demandes/{b.GetProperty("numero").GetString()}")).GetProperty("numeroDemandeAvance").GetString()!);
        var free = paid.Where(a => !settledNumbers.Contains(a.GetProperty("numero").GetString()!)).ToList();
        var settled = paid.First(a => settledNumbers.Contains(a.GetProperty("numero").GetString()!));
        var unpaid = (await DemoRequests("demo-agendapro", "type=AVANCE&statut=EN_COURS"))[0];

        var notPaid = await BalanceFor(example, unpaid);
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, notPaid)), "$.demandes[0].numeroDemandeAvance", "Décidée et payée");

        var otherClient = await BalanceFor(example, free[0]);
        otherClient["client"]!["identifiant"] = "39999999999";
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, otherClient)), "$.demandes[0].numeroDemandeAvance", "autre client");

        var alreadySettled = await BalanceFor(example, settled);
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, alreadySettled)), "$.demandes[0].numeroDemandeAvance", "déjà soldée");

        var wrongAmount = await BalanceFor(example, free[0]);
        wrongAmount["montantDemande"] = 1000m;
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, wrongAmount)), "$.demandes[0].montantDemande", "700,00");

        var foreignAdvance = await BalanceFor(example, free[0]);
        foreignAdvance["numeroDemandeAvance"] = (await DemoRequests("demo-regulis", "type=AVANCE&statut=DECIDEE_ET_PAYEE"))[0].GetProperty("numero").GetString();
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, foreignAdvance)), "$.demandes[0].numeroDemandeAvance", "introuvable");

        // The right one goes through, incomplete without its invoice and VA.
        var ok = await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(DepositFiles.With(example, await BalanceFor(example, free[0]))));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        Assert.Equal("INCOMPLETE", (await Json(ok)).GetProperty("demandes")[0].GetProperty("statut").GetString());
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class BalanceDepositTestsOnSqlite(SqliteApp app) : BalanceDepositTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class BalanceDepositTestsOnPostgres(PostgresApp app) : BalanceDepositTests(app);
