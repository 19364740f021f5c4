using Guichet.Tests.Support;

namespace Guichet.Tests.Faults;

/// <summary>
/// kill -9 of the portal while its background loop sends e-mails over <c>Email:Dispatch:Connections</c> SMTP connections
/// side by side, then a restart: every e-mail reaches the relay, and a message goes out twice only if the relay had it when
/// the process died — at most one per connection (docs/architecture.md, « L'envoi des e-mails »).
/// </summary>
[Trait("Category", "Faults")]
public abstract class KillDuringEmailDispatchTests(string provider) : FaultScenario(provider)
{
    private const int Count = 60;
    private const int Connections = 4;

    [Fact]
    public async Task A_portal_killed_while_sending_over_several_connections_loses_no_email_and_resends_at_most_one_per_connection()
    {
        await using var relay = await SlowRelayAsync();

        // 1. The e-mails: 60 advances deposited and validated, portal without its workers (nothing is sent yet).
        await using (var portal = await PortalProcess.StartAsync(Env))
        {
            var manager = portal.Client("demo-gestionnaire");
            foreach (var number in (await DepositedAsync(portal, Count)).Numbers)
            {
                var validated = await manager.PostAsync($"/api/v1/demandes/{number}/valider", null);
                Assert.True(validated.IsSuccessStatusCode, $"{(int)validated.StatusCode} {await validated.Content.ReadAsStringAsync()}");
            }
        }
        await PutOffOpenRoundsAsync(); // only this test's e-mails reach the relay, even across a Paris midnight
        var messages = await ScalarsAsync("SELECT \"MessageId\" FROM \"OutboxMessages\" WHERE \"SentAt\" IS NULL");
        Assert.True(messages.Count >= Count, $"{messages.Count} e-mails en attente");

        // 2. The portal with its workers and the relay; killed once a dozen messages have reached the relay.
        Env["Workers__Enabled"] = "true";
        SendThrough(relay, Connections);
        Env["Email__Dispatch__PeriodSeconds"] = "1";
        await using (var portal = await PortalProcess.StartAsync(Env))
        {
            await WaitForAsync(() => relay.Received.Count >= 12, 120, "douze e-mails reçus par le relais");
            Assert.True(relay.Connections >= 2, $"{relay.Connections} connexion(s) au relais : l'envoi devait se faire côte à côte");
            await portal.KillAsync();
        }
        var unsent = await CountAsync("SELECT COUNT(*) FROM \"OutboxMessages\" WHERE \"SentAt\" IS NULL");
        Assert.InRange(unsent, 1, messages.Count - 1); // the kill hit the run in its middle

        // 3. A new process sends the rest once the dead one's leases have expired.
        await using (var again = await PortalProcess.StartAsync(Env))
        {
            await WaitForAsync(async () => await CountAsync("SELECT COUNT(*) FROM \"OutboxMessages\" WHERE \"SentAt\" IS NULL") == 0, 120,
                "tous les e-mails marqués envoyés");
            Assert.False(again.HasExited);
        }
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM \"OutboxMessages\" WHERE \"LeaseToken\" IS NOT NULL"));
        AssertEachReceivedResentAtMostOncePerConnection(relay, messages, Connections);
    }
}

[Trait("Category", "Faults")]
public sealed class KillDuringEmailDispatchTestsOnSqlite() : KillDuringEmailDispatchTests("Sqlite");

[Trait("Category", "Faults")]
public sealed class KillDuringEmailDispatchTestsOnPostgres() : KillDuringEmailDispatchTests("Postgres");
