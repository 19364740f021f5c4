using System.Globalization;
using Guichet.Domain;
using Guichet.Tests.Support;
using Npgsql;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Faults;

/// <summary>
/// kill -9 of the <c>sweep</c> verb in the middle of its work: some batches of reminders committed and their e-mails going
/// out over four connections, the next batch inside its transaction. The test holds a lock on one request of that batch,
/// so the kill lands there every time. Then the verb again: every reminder is written once, every e-mail reaches the relay,
/// and a message goes out twice only if the relay had it when the process died — at most one per connection, with the
/// same Message-ID (docs/architecture.md, « L'envoi des e-mails »). PostgreSQL only: a row lock that holds one batch and
/// lets the others through needs a row-locking database.
/// </summary>
[Trait("Category", "Faults")]
public sealed class KillDuringSweepVerbTests() : FaultScenario("Postgres")
{
    private const int Count = 60;
    private const int Batch = 10;
    private const int Connections = 4;

    [Fact]
    public async Task A_sweep_verb_killed_mid_batch_while_sending_writes_each_reminder_once_and_loses_no_email()
    {
        await using var relay = await SlowRelayAsync();

        // 1. Sixty requests with a round a manager opened; their J+10 falls due (moved back in the database).
        string ours;
        await using (var portal = await PortalProcess.StartAsync(Env))
        {
            var deposited = await DepositedAsync(portal, Count);
            ours = deposited.Ids;
            var manager = portal.Client("demo-gestionnaire");
            foreach (var number in deposited.Numbers)
            {
                var opened = await manager.PostAsync($"/api/v1/demandes/{number}/demande-de-modification",
                    Body($$"""{ "commentaire": "Corrigez le contact.", "elements": ["{{EditableField.ContactSupport}}"] }"""));
                Assert.True(opened.IsSuccessStatusCode, $"{(int)opened.StatusCode} {await opened.Content.ReadAsStringAsync()}");
            }
        }
        await ExecuteAsync($"""UPDATE "Rounds" SET "ReminderDueAt" = now() - interval '1 hour' WHERE "FundingRequestId" IN ({ours})""");
        // The demo's own rounds are not due during the test, so that the batches are this test's sixty rounds.
        await ExecuteAsync($"""UPDATE "Rounds" SET "ReminderDueAt" = now() + interval '30 days', "ClosingDueAt" = now() + interval '30 days' WHERE "FundingRequestId" NOT IN ({ours})""");
        await ExecuteAsync("""UPDATE "OutboxMessages" SET "SentAt" = now() WHERE "SentAt" IS NULL"""); // the openings' e-mails: not this test's
        Assert.Equal(Count, await CountAsync("""SELECT COUNT(*) FROM "Rounds" WHERE "ClosedAt" IS NULL AND "ReminderSentAt" IS NULL AND "ReminderDueAt" <= now()"""));

        // 2. A lock on the request of the last due round: batches 1 to 5 commit, the 6th waits for it inside its transaction.
        var held = await ScalarsAsync($"""SELECT "FundingRequestId" FROM "Rounds" WHERE "FundingRequestId" IN ({ours}) ORDER BY "Id" DESC LIMIT 1""");
        Env["Deadlines__BatchSize"] = Batch.ToString(CultureInfo.InvariantCulture);
        SendThrough(relay, Connections);
        await using (var holder = new NpgsqlConnection(Env["ConnectionStrings__Guichet"]))
        {
            await holder.OpenAsync();
            await using var tx = await holder.BeginTransactionAsync();
            await using (var lockRow = new NpgsqlCommand($"""SELECT 1 FROM "Requests" WHERE "Id" = {held[0]} FOR UPDATE""", holder, tx))
                await lockRow.ExecuteNonQueryAsync();

            // 3. The verb, killed once the relay has a few reminders and the 6th batch waits for the lock.
            await using (var verb = PortalProcess.StartVerb(Env, "sweep"))
            {
                await WaitForAsync(async () => relay.Received.Count >= 5 && await WaitsForALockAsync(holder, tx), 120,
                    "cinq relances reçues par le relais et le 6e lot en attente du verrou", () => verb.Log);
                Assert.False(verb.HasExited, verb.Log);
                await verb.KillAsync();
            }

            // The five batches committed are whole, the sixth left nothing; the kill hit the sending in its middle.
            var committed = (Count / Batch - 1) * Batch;
            Assert.Equal(committed, await CountAsync($"""SELECT COUNT(*) FROM "Rounds" WHERE "ReminderSentAt" IS NOT NULL AND "FundingRequestId" IN ({ours})"""));
            Assert.Equal(committed, await CountAsync($"""SELECT COUNT(*) FROM "History" WHERE "Event" = 'Relance envoyée (J+10)' AND "FundingRequestId" IN ({ours})"""));
            Assert.Equal(committed, await CountAsync($"""SELECT COUNT(*) FROM "OutboxMessages" WHERE "Kind" = 'Reminder' AND "FundingRequestId" IN ({ours})"""));
            Assert.InRange(await CountAsync($"""SELECT COUNT(*) FROM "OutboxMessages" WHERE "Kind" = 'Reminder' AND "SentAt" IS NULL AND "FundingRequestId" IN ({ours})"""), 1, committed - 1);
            await tx.RollbackAsync();
        }

        // 4. The verb again, once the dead process's leases have lapsed: the sixth batch, and every e-mail still to send.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var (code, output) = await PortalProcess.VerbAsync(Env, "sweep");
        Assert.True(code == 0, output);
        Assert.Contains($"{Batch} relance(s) J+10", output);
        Assert.Matches("E-mails envoyés : [0-9]+, le dernier", output);
        Assert.DoesNotContain("en attente", output);

        Assert.Equal(Count, await CountAsync($"""SELECT COUNT(*) FROM "Rounds" WHERE "ReminderSentAt" IS NOT NULL AND "FundingRequestId" IN ({ours})"""));
        Assert.Equal(Count, await CountAsync($"""SELECT COUNT(DISTINCT "FundingRequestId") FROM "History" WHERE "Event" = 'Relance envoyée (J+10)' AND "FundingRequestId" IN ({ours})"""));
        Assert.Equal(Count, await CountAsync($"""SELECT COUNT(*) FROM "History" WHERE "Event" = 'Relance envoyée (J+10)' AND "FundingRequestId" IN ({ours})"""));
        Assert.Equal(Count, await CountAsync($"""SELECT COUNT(DISTINCT "FundingRequestId") FROM "OutboxMessages" WHERE "Kind" = 'Reminder' AND "FundingRequestId" IN ({ours})"""));
        Assert.Equal(Count, await CountAsync($"""SELECT COUNT(*) FROM "OutboxMessages" WHERE "Kind" = 'Reminder' AND "SentAt" IS NOT NULL AND "FundingRequestId" IN ({ours})"""));
        Assert.Equal(0, await CountAsync("""SELECT COUNT(*) FROM "OutboxMessages" WHERE "LeaseToken" IS NOT NULL"""));
        await AssertCountersExactAsync();

        // Every reminder reached the relay; a second copy only of what the dead process was handing over, same Message-ID.
        var reminders = await ScalarsAsync($"""SELECT "MessageId" FROM "OutboxMessages" WHERE "Kind" = 'Reminder' AND "FundingRequestId" IN ({ours})""");
        AssertEachReceivedResentAtMostOncePerConnection(relay, reminders, Connections);

        // 5. A third run finds nothing to do and says so.
        (code, output) = await PortalProcess.VerbAsync(Env, "sweep");
        Assert.True(code == 0, output);
        Assert.Contains("0 relance(s) J+10, 0 clôture(s) J+20", output);
        Assert.Contains("Aucun e-mail à envoyer.", output);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(Env["ConnectionStrings__Guichet"]);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    // Whether another session of the database waits for a lock (the verb's batch, behind the held row).
    private static async Task<bool> WaitsForALockAsync(NpgsqlConnection holder, NpgsqlTransaction tx)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()", holder, tx);
        return (long)(await cmd.ExecuteScalarAsync())! > 0;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, int seconds, string what, Func<string> log)
    {
        var bound = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > bound) Assert.Fail($"{what} : pas observé en {seconds} s. Sortie du verbe : {log()}");
            await Task.Delay(50);
        }
    }
}
