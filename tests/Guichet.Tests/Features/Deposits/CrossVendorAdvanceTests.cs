using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Data;
using Guichet.Deposits;
using Guichet.Domain;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>
/// One live advance per scheme and client, across vendors, is enforced at deposit; the simulator does not tell a vendor
/// which clients its competitors serve, and the deposit's refusal reads the same whoever holds the advance.
/// </summary>
public abstract class CrossVendorAdvanceTests(GuichetApp app) : DepositScenario(app)
{
    private const string RegulisSiret = "90000002700012";
    private const string RegulisEffecteurSolution = "SAS-EFF-TEST-REG";

    private HttpClient Regulis => App.Bearer("demo-regulis");

    [Fact]
    public async Task A_simulation_naming_another_vendors_client_is_valid_with_the_notice()
    {
        var client = await AgendaProClientWithLiveAdvanceAsync();
        var before = await TotalRequests();
        var verdict = await Json(await Regulis.PostAsync("/api/v1/simulations", DepositFiles.Form(await RegulisAdvanceFor(client))));
        Assert.True(verdict.GetProperty("valide").GetBoolean(), verdict.ToString());
        Assert.Empty(verdict.GetProperty("erreurs").EnumerateArray());
        Assert.Contains(verdict.GetProperty("avertissements").EnumerateArray(), w => w.GetString()!.Contains("vérifiée au dépôt"));
        Assert.Equal(before, await TotalRequests());
    }

    [Fact]
    public async Task A_simulation_naming_the_vendors_own_client_with_a_live_advance_is_refused()
    {
        var client = await AgendaProClientWithLiveAdvanceAsync();
        var file = await FreshFile();
        file["demandes"]![0]!["client"]!["identifiant"] = client;
        var verdict = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file)));
        Assert.False(verdict.GetProperty("valide").GetBoolean());
        var error = Assert.Single(verdict.GetProperty("erreurs").EnumerateArray());
        Assert.Equal("$.demandes[0].client.identifiant", error.GetProperty("chemin").GetString());
        Assert.Equal(DepositRules.LiveAdvanceMessage, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_file_without_advances_gets_no_notice()
    {
        var file = await FreshFile();
        file["demandes"]![0]!["type"] = "SOLDE";
        var verdict = await Json(await AgendaPro.PostAsync("/api/v1/simulations", DepositFiles.Form(file)));
        Assert.Empty(verdict.GetProperty("avertissements").EnumerateArray());
    }

    [Fact]
    public async Task A_deposit_is_refused_with_the_same_neutral_words_whoever_holds_the_advance()
    {
        var client = await AgendaProClientWithLiveAdvanceAsync();
        var own = await FreshFile();
        own["demandes"]![0]!["client"]!["identifiant"] = client;
        var ownBody = await Refused(AgendaPro, DepositFiles.Form(own), "$.demandes[0].client.identifiant", DepositRules.LiveAdvanceMessage);
        var otherBody = await Refused(Regulis, DepositFiles.Form(await RegulisAdvanceFor(client)), "$.demandes[0].client.identifiant", DepositRules.LiveAdvanceMessage);

        string Errors(JsonElement body) => string.Join("\n", body.GetProperty("erreurs").EnumerateArray()
            .Select(e => $"{e.GetProperty("chemin").GetString()} {e.GetProperty("message").GetString()}"));
        Assert.Equal(Errors(ownBody), Errors(otherBody));
        Assert.Equal(ownBody.GetProperty("title").GetString(), otherBody.GetProperty("title").GetString());
        // Nothing names the holder: neither its organisation nor the client's identifier.
        Assert.DoesNotContain("AgendaPro", otherBody.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(client, otherBody.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rules_tell_the_caller_which_refusals_were_cross_vendor()
    {
        var client = await AgendaProClientWithLiveAdvanceAsync();
        var other = await RegulisAdvanceFor(client);
        var own = await FreshFile();
        own["demandes"]![0]!["client"]!["identifiant"] = client;

        var fromRegulis = await DepositDirectlyAsync(RegulisSiret, other);
        Assert.False(fromRegulis.Valid);
        var cross = Assert.Single(fromRegulis.CrossVendorAdvances);
        Assert.Equal(new CrossVendorAdvance(FundingScheme.SasEffecteur, ClientIdType.Rpps, client, 0), cross);

        var fromAgendaPro = await DepositDirectlyAsync(Guichet.Demo.DemoSeeder.AgendaProSiret, own);
        Assert.False(fromAgendaPro.Valid);
        Assert.Empty(fromAgendaPro.CrossVendorAdvances);
    }

    [Fact]
    public async Task The_simulator_page_shows_the_notice()
    {
        var browser = await App.SignedIn("editeur@agendapro.test");
        var token = AntiforgeryToken(await browser.GetStringAsync("/simulateur"));
        var file = await FreshFile();
        var form = new MultipartFormDataContent { { new StringContent(token), "__RequestVerificationToken" }, { JsonPart(file), "json", "demandes.json" } };
        var html = await (await browser.PostAsync("/simulateur", form)).Content.ReadAsStringAsync();
        Assert.Contains("Fichier valide", html);
        Assert.Contains("tous fournisseurs confondus, est vérifiée au dépôt", html);
    }

    [Fact]
    public async Task A_cross_vendor_refusal_is_written_in_the_security_journal_and_an_own_one_is_not()
    {
        var client = await AgendaProClientWithLiveAdvanceAsync();
        await Refused(Regulis, DepositFiles.Form(await RegulisAdvanceFor(client)), "$.demandes[0].client.identifiant", DepositRules.LiveAdvanceMessage);
        var own = await FreshFile();
        own["demandes"]![0]!["client"]!["identifiant"] = client;
        await Refused(AgendaPro, DepositFiles.Form(own), "$.demandes[0].client.identifiant", DepositRules.LiveAdvanceMessage);

        var rows = await App.Db(db => db.SecurityEvents.Where(e => e.Kind == Guichet.Accounts.SecurityEventKind.AdvanceLookupAcrossVendors
            && e.Detail!.Contains(client)).ToListAsync());
        var row = Assert.Single(rows);
        Assert.Equal(await RegulisUserIdAsync(), row.ActorId);
        Assert.Contains($"client RPPS {client}", row.Detail);
    }

    [Fact]
    public async Task Once_the_daily_budget_of_cross_vendor_refusals_is_spent_advances_are_refused_unread_and_the_budget_comes_back_after_24_hours()
    {
        var regulisUser = await RegulisUserIdAsync();
        var budget = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DepositOptions>>().Value.CrossVendorRefusalsPerDay;
        var now = App.Clock.GetUtcNow().UtcDateTime;
        var spent = await App.Db(async db =>
        {
            var rows = Enumerable.Range(0, budget).Select(i => new Guichet.Accounts.SecurityEvent
            {
                At = now.AddHours(-1), Kind = Guichet.Accounts.SecurityEventKind.AdvanceLookupAcrossVendors, ActorId = regulisUser,
                Source = "test", Detail = $"budget-test {i}",
            }).ToList();
            db.SecurityEvents.AddRange(rows);
            await db.SaveChangesAsync();
            return rows.Select(r => r.Id).ToList();
        });
        try
        {
            // A fresh client that nobody serves: refused all the same, without a word about advances held.
            var before = await TotalRequests();
            var body = await Refused(Regulis, DepositFiles.Form(await RegulisAdvanceFor(null)), "$", AdvanceLookups.SuspendedMessage);
            Assert.Single(body.GetProperty("erreurs").EnumerateArray());
            Assert.Equal(before, await TotalRequests());
            // Another organisation's budget is its own.
            Assert.Equal(System.Net.HttpStatusCode.Created, (await AgendaPro.PostAsync("/api/v1/depots", DepositFiles.Form(await FreshFile()))).StatusCode);

            // Spent more than 24 hours ago: the budget is back.
            await App.Db(db => db.SecurityEvents.Where(e => spent.Contains(e.Id)).ExecuteUpdateAsync(s => s.SetProperty(e => e.At, now.AddHours(-25))));
            Assert.Equal(System.Net.HttpStatusCode.Created, (await Regulis.PostAsync("/api/v1/depots", DepositFiles.Form(await RegulisAdvanceFor(null)))).StatusCode);
        }
        finally
        {
            await App.Db(db => db.SecurityEvents.Where(e => spent.Contains(e.Id)).ExecuteDeleteAsync());
        }
    }

    private Task<string> RegulisUserIdAsync() =>
        App.Db(db => db.Users.Where(u => u.Email == "editeur@regulis.test").Select(u => u.Id).SingleAsync());

    /// <summary>The client of a new AgendaPro advance « en cours ».</summary>
    private async Task<string> AgendaProClientWithLiveAdvanceAsync()
    {
        var number = await App.NewAsync();
        return await App.Db(db => db.Requests.Where(r => r.Number == number).Select(r => r.ClientId).SingleAsync());
    }

    /// <summary>A Regulis advance on the Effecteur scheme (Regulis gets a solution for it) for the given client.</summary>
    private async Task<JsonObject> RegulisAdvanceFor(string? client)
    {
        await App.Db(async db =>
        {
            if (await db.Solutions.AnyAsync(s => s.ReferencingNumber == RegulisEffecteurSolution)) return 0;
            var regulis = await db.Organisations.SingleAsync(o => o.Siret == RegulisSiret);
            db.Solutions.Add(new Solution { OrganisationId = regulis.Id, Name = "Regulis Cabinet", Version = "1", ReferencingNumber = RegulisEffecteurSolution,
                ReferencingDate = new DateOnly(2025, 9, 1), SchemeCode = FundingScheme.SasEffecteur });
            try { return await db.SaveChangesAsync(); }
            catch (DbUpdateException) { return 0; } // another test class of this app added it first
        });
        var example = await Example();
        var d = DepositFiles.FreshAdvance(example, Seed());
        d["solution"]!["numeroReferencement"] = RegulisEffecteurSolution;
        if (client is not null) d["client"]!["identifiant"] = client;
        var file = DepositFiles.With(example, d);
        file["fournisseur"]!["siret"] = RegulisSiret;
        return file;
    }

    private async Task<DepositResult> DepositDirectlyAsync(string siret, JsonObject file)
    {
        using var scope = App.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        var org = await db.Organisations.SingleAsync(o => o.Siret == siret);
        var service = scope.ServiceProvider.GetRequiredService<DepositService>();
        return await service.DepositAsync(org, new Actor("Test", "Fournisseur", null), System.Text.Encoding.UTF8.GetBytes(file.ToJsonString()), null, null, default);
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class CrossVendorAdvanceTestsOnSqlite(SqliteApp app) : CrossVendorAdvanceTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class CrossVendorAdvanceTestsOnPostgres(PostgresApp app) : CrossVendorAdvanceTests(app);
