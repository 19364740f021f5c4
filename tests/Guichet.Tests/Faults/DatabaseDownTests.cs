using System.Net;

namespace Guichet.Tests.Faults;

/// <summary>
/// PostgreSQL stopped (immediate) during a background deposit: the portal process stays up, the job ends (TERMINE after
/// a retry, or ECHEC) with its requests all or nothing, and the portal serves again once the database is back.
/// </summary>
[Trait("Category", "Faults")]
public sealed class DatabaseDownTests() : FaultScenario("Postgres")
{
    [Fact]
    public async Task The_database_stopping_during_a_background_deposit_does_not_take_the_portal_down()
    {
        const int count = 3000;
        await using var portal = await PortalProcess.StartAsync(Env);
        var client = portal.Client("demo-agendapro");
        var (form, prefix) = await LargeDepositAsync(portal, count);
        var url = await PostInBackgroundAsync(client, form);
        var seen = await PollAsync(client, url, s => Statut(s) != "EN_TRAITEMENT" || Done(s) > 0, 60, "début du dépôt");
        Assert.Equal("EN_TRAITEMENT", Statut(seen));

        await Server!.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(6)); // the deposit reaches the database, fails, and its failure cannot be written
        Assert.False(portal.HasExited, $"Le portail s'est arrêté (code {(portal.HasExited ? portal.ExitCode : 0)}) : {portal.Log}");

        await Server.StartAgainAsync();
        // The retry reruns the whole deposit (as the resumed deposit of KillDuringDepositTests): as long as it may take on a
        // slow machine; a job left EN_TRAITEMENT still fails here.
        var end = await PollAsync(client, url, s => Statut(s) != "EN_TRAITEMENT", 300, "fin du dépôt après le retour de la base", 500);
        var created = await RequestsWithPrefixAsync(prefix);
        if (Statut(end) == "TERMINE")
        {
            Assert.Equal(count, created);
            Assert.Equal(count, end.GetProperty("demandes").GetArrayLength());
        }
        else
        {
            Assert.Equal("ECHEC", Statut(end));
            Assert.Equal(0, created);
        }
        Assert.False(portal.HasExited);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/demandes?taille=1")).StatusCode);
        Assert.Empty(await OrphansAfterPurgeAsync(120));
        await AssertCountersExactAsync();
    }

    [Fact]
    public async Task The_database_stopped_makes_the_portal_not_ready_naming_the_database_while_it_stays_live()
    {
        await using var portal = await PortalProcess.StartAsync(Env);
        var client = portal.Client("demo-agendapro");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        await Server!.StopAsync();
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var database = Guichet.Tests.Features.HealthTests.ChecksOf(await Guichet.Tests.Support.JsonHttp.Json(ready))["base-de-donnees"];
        Assert.Equal("Unhealthy", database.GetProperty("statut").GetString());
        Assert.Equal("Base de données injoignable.", database.GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        await Server.StartAgainAsync();
        // The pool may hand out a connection the stop broke: ready again within a few checks.
        var back = false;
        for (var i = 0; i < 60 && !back; i++)
        {
            back = (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK;
            if (!back) await Task.Delay(500);
        }
        Assert.True(back, "Toujours pas prêt 30 s après le retour de la base : " + portal.Log);
        Assert.False(portal.HasExited);
    }
}
