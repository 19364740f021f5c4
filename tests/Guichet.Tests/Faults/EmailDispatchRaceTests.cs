using System.Diagnostics;
using Guichet.Tests.Support;

namespace Guichet.Tests.Faults;

/// <summary>
/// Two dispatchers on one database (two instances, or an instance and the <c>sweep</c> verb) and a relay that takes
/// 7 s to accept each message, with a lease shorter than one send: each message must still reach the relay once.
/// </summary>
[Trait("Category", "Faults")]
public abstract class EmailDispatchRaceTests(GuichetApp app) : IAsyncLifetime
{
    private SmtpCatcher _relay = null!;

    public async ValueTask InitializeAsync()
    {
        _relay = await SmtpCatcher.StartAsync();
        _relay.DataDelay = TimeSpan.FromSeconds(7);
    }

    public async ValueTask DisposeAsync() => await _relay.DisposeAsync();

    [Fact]
    public async Task Two_dispatchers_and_a_slow_relay_deliver_every_message_exactly_once()
    {
        await app.DrainOutboxAsync();
        var messages = await app.EnqueueAsync(6);
        // Batches of 3 held 4 s, against 7 s per message: a lease lapses during every send unless renewed, and between the
        // claim and the send of the last messages of a batch. (A 2 s lease left a renewal 1.3 s of slack: too little on a
        // loaded CI machine; 4 s leaves 2.7 s.)
        var options = Dispatchers.Smtp(_relay.Port, timeoutSeconds: 15, batchSize: 3, leaseSeconds: 4);
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        // Each instance runs like the background loop: one dispatch in a fresh scope, and a short pause when idle.
        async Task<int> Instance()
        {
            var sent = 0;
            while (!done.IsCancellationRequested)
            {
                var n = await app.DispatchOnceAsync(TimeProvider.System, options);
                sent += n;
                if (n == 0) await Pause(100);
            }
            return sent;
        }
        async Task<int> Watch()
        {
            while (!done.IsCancellationRequested)
            {
                if ((await app.ReloadAsync(messages)).All(m => m.SentAt != null)) await done.CancelAsync();
                else await Pause(200);
            }
            return 0;
        }
        async Task Pause(int ms)
        {
            try { await Task.Delay(ms, done.Token); } catch (OperationCanceledException) { }
        }

        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Instance(), Instance(), Watch());
        watch.Stop();

        var rows = await app.ReloadAsync(messages);
        Assert.All(rows, m => Assert.NotNull(m.SentAt));
        var deliveries = messages.ToDictionary(m => m.MessageId, m => _relay.CountOf(m.MessageId));
        var twice = deliveries.Where(d => d.Value != 1).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} message(s) sur {messages.Count} reçus un nombre de fois différent de 1 : "
            + string.Join(", ", twice.Select(d => d.Value)));
        Assert.All(rows, m => Assert.Equal(1, m.Attempts));
        Assert.All(rows, m => Assert.Null(m.LeaseToken));
        // Both instances really worked, side by side.
        Assert.True(counts[0] > 0 && counts[1] > 0, $"Envois par instance : {counts[0]} et {counts[1]}.");
        Assert.Equal(messages.Count, counts[0] + counts[1]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"Durée : {watch.Elapsed}.");
    }
}

public sealed class EmailDispatchRaceTestsOnSqlite(SqliteApp app) : EmailDispatchRaceTests(app), IClassFixture<SqliteApp>;

public sealed class EmailDispatchRaceTestsOnPostgres(PostgresApp app) : EmailDispatchRaceTests(app), IClassFixture<PostgresApp>;
