using Guichet.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Behaviour = Guichet.Tests.Support.FaultySmtp.Behaviour;

namespace Guichet.Tests.Faults;

/// <summary>
/// A relay that refuses, hangs or drops the connection in the middle of a message: nothing is marked sent that the
/// relay did not accept, nothing is lost, and once the relay is good again every message arrives once.
/// </summary>
[Trait("Category", "Faults")]
public abstract class SmtpFaultTests(GuichetApp app) : IAsyncLifetime
{
    private FaultySmtp _relay = null!;

    public async ValueTask InitializeAsync()
    {
        _relay = FaultySmtp.Start(Behaviour.Accept);
        await app.DrainOutboxAsync();
    }

    public async ValueTask DisposeAsync() => await _relay.DisposeAsync();

    public static TheoryData<Behaviour> Faults => [Behaviour.Refuse, Behaviour.Hang, Behaviour.Drop];

    [Theory, MemberData(nameof(Faults))]
    public async Task A_failing_relay_loses_nothing_and_nothing_it_did_not_accept_is_marked_sent(Behaviour fault)
    {
        var messages = await app.EnqueueAsync(3);
        var clock = new FakeTimeProvider(app.Clock.GetUtcNow().AddSeconds(1));
        var options = Dispatchers.Smtp(_relay.Port, timeoutSeconds: 2);

        _relay.Mode = fault;
        var runs = 0;
        while (runs < 6 && (await app.ReloadAsync(messages)).Any(m => m.Attempts == 0))
        {
            Assert.Equal(0, await app.DispatchOnceAsync(clock, options));
            runs++;
        }
        var failed = await app.ReloadAsync(messages);
        Assert.All(failed, m =>
        {
            Assert.Null(m.SentAt);
            Assert.Equal(1, m.Attempts);
            Assert.NotNull(m.LastError);
            Assert.Null(m.LeaseToken);
            Assert.Equal(clock.GetUtcNow().UtcDateTime.AddMinutes(1), m.NextAttemptAt, TimeSpan.FromSeconds(1));
        });
        Assert.Equal(3, _relay.DataCommands); // each message met the fault, and only once
        Assert.Empty(_relay.Accepted);
        // A refusal is the message's: the others are tried in the same run. A broken connection ends the run and gives
        // the rest of the batch back untried.
        Assert.Equal(fault == Behaviour.Refuse ? 1 : 3, runs);

        _relay.Mode = Behaviour.Accept;
        clock.Advance(TimeSpan.FromSeconds(30)); // not due yet
        Assert.Equal(0, await app.DispatchOnceAsync(clock, options));
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(3, await app.DispatchOnceAsync(clock, options));
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await app.DispatchOnceAsync(clock, options));

        var sent = await app.ReloadAsync(messages);
        Assert.All(sent, m =>
        {
            Assert.NotNull(m.SentAt);
            Assert.Equal(2, m.Attempts);
            Assert.Null(m.LastError);
            Assert.Equal(1, _relay.CountOf(m.MessageId));
        });
        Assert.Equal(3, _relay.Accepted.Count);
    }
}

public sealed class SmtpFaultTestsOnSqlite(SqliteApp app) : SmtpFaultTests(app), IClassFixture<SqliteApp>;

public sealed class SmtpFaultTestsOnPostgres(PostgresApp app) : SmtpFaultTests(app), IClassFixture<PostgresApp>;
