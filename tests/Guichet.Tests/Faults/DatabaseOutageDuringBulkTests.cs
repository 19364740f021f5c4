using System.Net;
using System.Text.Json;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Faults;

/// <summary>
/// The database away while an opération groupée « rejeter » runs on 300 requests, under the same portal process: on
/// PostgreSQL the server is stopped as by a crash (<c>pg_ctl stop -m immediate</c>) and started again; SQLite has no
/// server to stop, so its nearest fault holds the file's write lock from another connection for longer than the portal
/// waits for it (30 s). The cut run ends on the transient error, a live instance resumes it once its heartbeat is
/// stale, and every request is rejected exactly once (one history line, one e-mail) or skipped with a reason.
/// </summary>
public abstract class DatabaseOutageDuringBulkTests(string provider) : FaultScenario(provider)
{
    private const int Count = 300;
    private const string Motif = "Pièces justificatives illisibles : merci de déposer une nouvelle demande.";

    [Fact]
    public async Task The_database_away_during_a_bulk_rejection_ends_the_operation_with_each_request_rejected_exactly_once()
    {
        // The takeover loop runs (Workers:Enabled) and sees a dead run quickly.
        Env["Workers__Enabled"] = "true";
        Env["BulkOperations__HeartbeatSeconds"] = "1";
        Env["BulkOperations__StaleAfterSeconds"] = "3";
        Env["BulkOperations__CheckSeconds"] = "1";
        await using var portal = await PortalProcess.StartAsync(Env);
        var (form, prefix) = await LargeDepositAsync(portal, Count);
        var vendor = portal.Client("demo-agendapro");
        var deposit = await PostInBackgroundAsync(vendor, form);
        Assert.Equal("TERMINE", Statut(await PollAsync(vendor, deposit, s => Statut(s) != "EN_TRAITEMENT", 120, "dépôt des 300 demandes", 200)));
        var numbers = await ScalarsAsync($"SELECT \"Number\" FROM \"Requests\" WHERE \"VendorReference\" LIKE '{prefix}%' ORDER BY \"Number\"");
        Assert.Equal(Count, numbers.Count);

        var manager = portal.Client("demo-gestionnaire");
        var started = await manager.PostAsync("/api/v1/operations-groupees", Body(JsonSerializer.Serialize(new
        {
            action = "rejeter", motif = Motif, demandes = numbers, nombreAttendu = Count,
        })));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var url = (await Json(started)).GetProperty("url").GetString()!;
        var seen = await PollAsync(manager, url, s => Statut(s) != "EN_COURS" || (Done(s) > 0 && Done(s) < Total(s)), 60, "début de l'opération groupée");
        Assert.Equal("EN_COURS", Statut(seen)); // the stop hits it in the middle

        await DatabaseAwayAsync(() => Assert.False(portal.HasExited,
            $"Le portail s'est arrêté pendant la panne (code {(portal.HasExited ? portal.ExitCode : 0)}) : {portal.Log}"));

        var done = await PollAsync(manager, url, s => Statut(s) == "TERMINEE", 120, "reprise et fin de l'opération groupée", 200);
        var (faites, ignorees) = (done.GetProperty("faites").GetInt32(), done.GetProperty("ignorees").GetInt32());
        Assert.Equal(Count, Total(done));
        Assert.Equal(Count, faites + ignorees);
        // The items are the truth: none left « à traiter », each skipped one says why, the counts are theirs.
        Assert.Equal(0, await CountAsync($"SELECT COUNT(*) FROM \"BulkOperationItems\" WHERE \"Outcome\" IS NULL"));
        Assert.Equal(faites, await CountAsync("SELECT COUNT(*) FROM \"BulkOperationItems\" WHERE \"Outcome\" = 'Faite'"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM \"BulkOperationItems\" WHERE \"Outcome\" = 'Ignoree' AND COALESCE(\"Reason\", '') = ''"));
        // Each done item is one rejected request with one history line and one e-mail; a skipped one was left unchanged.
        Assert.Equal(faites, await CountAsync($"SELECT COUNT(*) FROM \"Requests\" WHERE \"VendorReference\" LIKE '{prefix}%' AND \"Status\" = 'REJETEE'"));
        Assert.Equal(faites, await CountAsync($"SELECT COUNT(*) FROM \"History\" h JOIN \"Requests\" q ON q.\"Id\" = h.\"FundingRequestId\" WHERE q.\"VendorReference\" LIKE '{prefix}%' AND h.\"ToStatus\" = 'REJETEE'"));
        Assert.Equal(faites, await CountAsync($"SELECT COUNT(DISTINCT h.\"FundingRequestId\") FROM \"History\" h JOIN \"Requests\" q ON q.\"Id\" = h.\"FundingRequestId\" WHERE q.\"VendorReference\" LIKE '{prefix}%' AND h.\"ToStatus\" = 'REJETEE'"));
        Assert.Equal(faites, await CountAsync($"SELECT COUNT(*) FROM \"OutboxMessages\" m JOIN \"Requests\" q ON q.\"Id\" = m.\"FundingRequestId\" WHERE q.\"VendorReference\" LIKE '{prefix}%' AND m.\"Kind\" = 'Rejected'"));
        Assert.Equal(faites, await CountAsync("""
            SELECT COUNT(*) FROM "BulkOperationItems" i JOIN "Requests" q ON q."Id" = i."RequestId"
            WHERE i."Outcome" = 'Faite' AND q."Status" = 'REJETEE'
            """));
        Assert.Equal(Count, faites); // nothing refused them: the cut items were either committed with their rejection or not at all
        // The cut run did not go on by itself: a live instance took it over.
        Assert.True(await CountAsync("SELECT MAX(\"Takeovers\") FROM \"BulkOperations\"") >= 1, portal.Log);

        // The same process still serves, reads and writes included.
        Assert.False(portal.HasExited);
        Assert.Equal(HttpStatusCode.OK, (await manager.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await vendor.GetAsync("/api/v1/demandes?taille=1")).StatusCode);
        await AssertCountersExactAsync();
    }

    /// <summary>The fault, with <paramref name="meanwhile"/> checked while it lasts, then the database back.</summary>
    private async Task DatabaseAwayAsync(Action meanwhile)
    {
        if (Server is not null)
        {
            await Server!.StopAsync("immediate");
            await Task.Delay(TimeSpan.FromSeconds(5)); // longer than StaleAfterSeconds: the takeover loop fails too, meanwhile
            meanwhile();
            await Server.StartAgainAsync();
            Npgsql.NpgsqlConnection.ClearAllPools(); // the test's own pooled connections died with the server
            return;
        }
        // SQLite: the write lock held past the portal's busy timeout (30 s): its writes fail with SQLITE_BUSY, its reads go on (WAL).
        await using var holder = new Microsoft.Data.Sqlite.SqliteConnection(Env["ConnectionStrings__Guichet"] + ";Pooling=False");
        await holder.OpenAsync();
        await using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();
        }
        await Task.Delay(TimeSpan.FromSeconds(36));
        meanwhile();
        await using var rollback = holder.CreateCommand();
        rollback.CommandText = "ROLLBACK;";
        await rollback.ExecuteNonQueryAsync();
    }
}

[Trait("Category", "Faults")]
public sealed class DatabaseOutageDuringBulkTestsOnPostgres() : DatabaseOutageDuringBulkTests("Postgres");

[Trait("Category", "Faults")]
public sealed class DatabaseOutageDuringBulkTestsOnSqlite() : DatabaseOutageDuringBulkTests("Sqlite");
