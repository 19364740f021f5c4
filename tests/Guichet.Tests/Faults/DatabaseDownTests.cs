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
        var end = await PollAsync(client, url, s => Statut(s) != "EN_TRAITEMENT", 60, "fin du dépôt après le retour de la base", 500);
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
        Assert.Empty(await OrphansAfterPurgeAsync(40));
        await AssertCountersExactAsync();
    }
}
