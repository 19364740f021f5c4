using System.Globalization;
using Guichet.Domain;
using Guichet.Tests.Support;
using Npgsql;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Faults;

/// <summary>
/// kill -9 of the <c>sweep</c> verb in the middle of its work: five batches of reminders committed and their e-mails going
/// out over four connections, the sixth inside its transaction (updates, history and e-mail rows written, its events
/// waiting for the test's own uncommitted event at one of their positions), so the kill lands there every time. Then the
/// verb again: every reminder is written once, every e-mail reaches the relay, and a message goes out twice only if the
/// relay had it when the process died — at most one per connection, with the same Message-ID (docs/architecture.md,
/// « L'envoi des e-mails »). PostgreSQL only: holding one batch while the others go through needs row-level locks.
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

        // 2. The 6th batch made to wait inside its transaction, after its updates and its history and e-mail rows: the test's
        //    own uncommitted event holds the position that batch's 5th event takes (positions are unique per organisation).
        var organisation = (await ScalarsAsync($"""SELECT "OrganisationId" FROM "Requests" WHERE "Id" IN ({ours}) LIMIT 1"""))[0];
        var before = await CountAsync($"""SELECT "Value" FROM "Sequences" WHERE "Key" = 'evenements:{organisation}'""");
        var committed = (Count / Batch - 1) * Batch;
        Env["Deadlines__BatchSize"] = Batch.ToString(CultureInfo.InvariantCulture);
        SendThrough(relay, Connections);
        // Named, to find its sessions; a command timeout that outlasts the wait below.
        var killed = new Dictionary<string, string>(Env) { ["ConnectionStrings__Guichet"] = Env["ConnectionStrings__Guichet"] + ";Application Name=sweep-tue;Command Timeout=300" };
        await using (var holder = new NpgsqlConnection(Env["ConnectionStrings__Guichet"]))
        {
            await holder.OpenAsync();
            await using var tx = await holder.BeginTransactionAsync();
            await using (var hold = new NpgsqlCommand($$"""
                INSERT INTO "Evenements" ("OrganisationId", "Position", "Type", "At", "Details")
                VALUES ({{organisation}}, {{before + committed + 5}}, 'test.verrou', now(), '{}')
                """, holder, tx))
                await hold.ExecuteNonQueryAsync();

            // 3. The verb, killed once the relay has a few reminders and the 6th batch waits for the test's transaction.
            await using (var verb = PortalProcess.StartVerb(killed, "sweep"))
            {
                await WaitForAsync(async () => relay.Received.Count >= 5 && await BlockedByAsync(holder, tx), 100,
                    "cinq relances reçues par le relais et le 6e lot en attente de la transaction du test", () => verb.Log);
                Assert.False(verb.HasExited, verb.Log);
                await verb.KillAsync();
            }
            await tx.RollbackAsync();
        }
        // The waiting session ends once its insert goes through and it finds no client: only then is what stays committed known.
        await WaitForAsync(async () => await CountAsync("""SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'sweep-tue'""") == 0, 60,
            "fin des sessions du verbe tué");

        // The five batches committed are whole, the sixth left nothing; the kill hit the sending in its middle.
        Assert.Equal(committed, await CountAsync($"""SELECT COUNT(*) FROM "Rounds" WHERE "ReminderSentAt" IS NOT NULL AND "FundingRequestId" IN ({ours})"""));
        Assert.Equal(committed, await CountAsync($"""SELECT COUNT(*) FROM "History" WHERE "Event" = 'Relance envoyée (J+10)' AND "FundingRequestId" IN ({ours})"""));
        Assert.Equal(committed, await CountAsync($"""SELECT COUNT(*) FROM "OutboxMessages" WHERE "Kind" = 'Reminder' AND "FundingRequestId" IN ({ours})"""));
        Assert.Equal(committed, await CountAsync($"""SELECT COUNT(*) FROM "Evenements" WHERE "OrganisationId" = {organisation} AND "Position" > {before}"""));
        Assert.Equal(before + committed, await CountAsync($"""SELECT "Value" FROM "Sequences" WHERE "Key" = 'evenements:{organisation}'"""));
        Assert.InRange(await CountAsync($"""SELECT COUNT(*) FROM "OutboxMessages" WHERE "Kind" = 'Reminder' AND "SentAt" IS NULL AND "FundingRequestId" IN ({ours})"""), 1, committed - 1);

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
        // One event per reminder, positions without a gap: the sixth batch's, rolled back, were taken again.
        Assert.Equal(Count, await CountAsync($"""SELECT COUNT(DISTINCT "Position") FROM "Evenements" WHERE "OrganisationId" = {organisation} AND "Position" > {before}"""));
        Assert.Equal(before + Count, await CountAsync($"""SELECT MAX("Position") FROM "Evenements" WHERE "OrganisationId" = {organisation}"""));
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

    // Whether a session of the killed verb waits for the test's transaction, in the batch's insert of its events.
    private static async Task<bool> BlockedByAsync(NpgsqlConnection holder, NpgsqlTransaction tx)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT query FROM pg_stat_activity WHERE application_name = 'sweep-tue' AND pg_backend_pid() = ANY(pg_blocking_pids(pid))", holder, tx);
        var waiting = (string?)await cmd.ExecuteScalarAsync();
        Assert.True(waiting is null || waiting.Contains("INSERT INTO \"Evenements\"", StringComparison.Ordinal), $"Le lot attend ailleurs : {waiting}");
        return waiting is not null;
    }
}
