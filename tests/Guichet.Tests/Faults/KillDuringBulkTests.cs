using System.Net;
using System.Text.Json;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Faults;

/// <summary>
/// kill -9 of the portal while an opération groupée « demander une modification » runs on 200 requests, then a restart:
/// the new process resumes it (its heartbeat stopped) and finishes it; every request got exactly one round and one e-mail.
/// </summary>
public abstract class KillDuringBulkTests(string provider) : FaultScenario(provider)
{
    private const int Count = 200;

    [Fact]
    public async Task A_portal_killed_during_a_bulk_round_opening_resumes_it_and_opens_each_round_exactly_once()
    {
        // The takeover loop runs (Workers:Enabled) and sees a dead run quickly.
        Env["Workers__Enabled"] = "true";
        Env["BulkOperations__HeartbeatSeconds"] = "1";
        Env["BulkOperations__StaleAfterSeconds"] = "4";
        Env["BulkOperations__CheckSeconds"] = "1";
        string url, prefix;
        await using (var portal = await PortalProcess.StartAsync(Env))
        {
            var (form, p) = await LargeDepositAsync(portal, Count);
            prefix = p;
            var deposit = await PostInBackgroundAsync(portal.Client("demo-agendapro"), form);
            Assert.Equal("TERMINE", Statut(await PollAsync(portal.Client("demo-agendapro"), deposit, s => Statut(s) != "EN_TRAITEMENT", 120, "dépôt des 200 demandes", 200)));
            var numbers = await ScalarsAsync($"SELECT \"Number\" FROM \"Requests\" WHERE \"VendorReference\" LIKE '{prefix}%' ORDER BY \"Number\"");
            Assert.Equal(Count, numbers.Count);
            var manager = portal.Client("demo-gestionnaire");
            var started = await manager.PostAsync("/api/v1/operations-groupees", Body(JsonSerializer.Serialize(new
            {
                action = "demander_modification", commentaire = "Merci de corriger le lien de support.",
                elements = new[] { "informations.contactSupport" }, demandes = numbers, nombreAttendu = Count,
            })));
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            url = (await Json(started)).GetProperty("url").GetString()!;
            var seen = await PollAsync(manager, url, s => Statut(s) != "EN_COURS" || (Done(s) > 0 && Done(s) < Total(s)), 60, "début de l'opération groupée");
            Assert.Equal("EN_COURS", Statut(seen)); // the kill hits it in the middle
            await portal.KillAsync();
        }
        var before = await CountAsync(Rounds(prefix));
        Assert.InRange(before, 1, Count - 1);

        await using var again = await PortalProcess.StartAsync(Env);
        var done = await PollAsync(again.Client("demo-gestionnaire"), url, s => Statut(s) == "TERMINEE", 180, "reprise et fin de l'opération groupée", 200);
        var (faites, ignorees) = (done.GetProperty("faites").GetInt32(), done.GetProperty("ignorees").GetInt32());
        Assert.Equal(Count, faites + ignorees);
        Assert.Equal(Count, Total(done));
        // Each request: exactly one round and one « demande de modification » e-mail; the operation's « faites » is their number.
        Assert.Equal(Count, await CountAsync(Rounds(prefix)));
        Assert.Equal(Count, await CountAsync($"SELECT COUNT(DISTINCT r.\"FundingRequestId\") FROM \"Rounds\" r JOIN \"Requests\" q ON q.\"Id\" = r.\"FundingRequestId\" WHERE q.\"VendorReference\" LIKE '{prefix}%'"));
        Assert.Equal(Count, await CountAsync($"SELECT COUNT(*) FROM \"OutboxMessages\" m JOIN \"Requests\" q ON q.\"Id\" = m.\"FundingRequestId\" WHERE q.\"VendorReference\" LIKE '{prefix}%' AND m.\"Kind\" = 'RoundOpened'"));
        Assert.Equal(Count, faites); // none was skipped: the dead run's items were either committed with their round or not at all
        Assert.True(await CountAsync("SELECT MAX(\"Takeovers\") FROM \"BulkOperations\"") >= 1);
        Assert.False(again.HasExited);
        await AssertCountersExactAsync();
    }

    private static string Rounds(string prefix) =>
        $"SELECT COUNT(*) FROM \"Rounds\" r JOIN \"Requests\" q ON q.\"Id\" = r.\"FundingRequestId\" WHERE q.\"VendorReference\" LIKE '{prefix}%'";
}

[Trait("Category", "Faults")]
public sealed class KillDuringBulkTestsOnSqlite() : KillDuringBulkTests("Sqlite");

[Trait("Category", "Faults")]
public sealed class KillDuringBulkTestsOnPostgres() : KillDuringBulkTests("Postgres");
