using System.Data.Common;
using Guichet.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Guichet.Tests.Features;

/// <summary>
/// The dispatcher's batches (docs/architecture.md#e-mails): claimed in one guarded statement, sent over one connection
/// per run, each message marked sent before the next one leaves — on each provider.
/// </summary>
public abstract class EmailBatchTests(GuichetApp app) : IAsyncLifetime
{
    private SmtpCatcher _relay = null!;

    public async ValueTask InitializeAsync()
    {
        _relay = await SmtpCatcher.StartAsync();
        await app.DrainOutboxAsync();
    }

    public async ValueTask DisposeAsync() => await _relay.DisposeAsync();

    [Fact]
    public async Task One_run_sends_every_batch_over_a_single_connection()
    {
        var messages = await app.EnqueueAsync(25);
        var clock = new FakeTimeProvider(app.Clock.GetUtcNow().AddSeconds(1));

        Assert.Equal(25, await app.DispatchOnceAsync(clock, Dispatchers.Smtp(_relay.Port, batchSize: 10)));

        Assert.All(messages, m => Assert.Equal(1, _relay.CountOf(m.MessageId)));
        Assert.Equal(1, _relay.Connections);
        Assert.All(await app.ReloadAsync(messages), m => Assert.NotNull(m.SentAt));
    }

    [Fact]
    public async Task A_batch_claim_leaves_alone_the_messages_another_dispatcher_holds_until_its_lease_expires()
    {
        var messages = await app.EnqueueAsync(5);
        var start = app.Clock.GetUtcNow().AddSeconds(1);
        // Another dispatcher claimed two of them, then died.
        var held = messages.Take(2).Select(m => m.Id).ToList();
        var other = Guid.NewGuid();
        await app.Db(db => db.OutboxMessages.Where(m => held.Contains(m.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseToken, other).SetProperty(m => m.LeaseUntil, start.UtcDateTime.AddMinutes(5))));
        var clock = new FakeTimeProvider(start);
        var options = Dispatchers.Smtp(_relay.Port, batchSize: 10);

        Assert.Equal(3, await app.DispatchOnceAsync(clock, options));
        var rows = await app.ReloadAsync(messages);
        Assert.All(rows.Where(m => held.Contains(m.Id)), m =>
        {
            Assert.Null(m.SentAt);
            Assert.Equal(other, m.LeaseToken);
            Assert.Equal(0, m.Attempts);
            Assert.Equal(0, _relay.CountOf(m.MessageId));
        });

        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(2, await app.DispatchOnceAsync(clock, options));
        Assert.Equal(0, await app.DispatchOnceAsync(clock, options));
        Assert.All(await app.ReloadAsync(messages), m =>
        {
            Assert.NotNull(m.SentAt);
            Assert.Null(m.LeaseToken);
            Assert.Equal(1, m.Attempts);
            Assert.Equal(1, _relay.CountOf(m.MessageId));
        });
    }

    [Fact]
    public async Task A_claim_that_loses_rows_between_its_read_and_its_update_sends_only_the_rows_it_won()
    {
        var messages = await app.EnqueueAsync(6);
        var start = app.Clock.GetUtcNow().AddSeconds(1);
        var held = messages.Take(2).Select(m => m.Id).ToList();
        var sentElsewhere = messages[2].Id;
        var other = Guid.NewGuid();
        // Between the dispatcher's read of the due rows and its claim, another dispatcher takes two of them and sends a third.
        var race = new BeforeFirstClaim(() => app.Db(async db =>
        {
            await db.OutboxMessages.Where(m => held.Contains(m.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LeaseToken, other).SetProperty(m => m.LeaseUntil, start.UtcDateTime.AddMinutes(5)));
            return await db.OutboxMessages.Where(m => m.Id == sentElsewhere)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, start.UtcDateTime).SetProperty(m => m.Attempts, 1));
        }));
        var clock = new FakeTimeProvider(start);
        var options = Dispatchers.Smtp(_relay.Port, batchSize: 10);

        Assert.Equal(3, await app.DispatchOnceAsync(clock, options, context: services => Contexts.WithInterceptor(services, race)));

        Assert.True(race.Ran);
        var rows = await app.ReloadAsync(messages);
        Assert.All(rows.Where(m => held.Contains(m.Id)), m =>
        {
            Assert.Null(m.SentAt);
            Assert.Equal(other, m.LeaseToken);
            Assert.Equal(0, _relay.CountOf(m.MessageId));
        });
        Assert.Equal(0, _relay.CountOf(rows.Single(m => m.Id == sentElsewhere).MessageId));
        Assert.All(rows.Skip(3), m =>
        {
            Assert.NotNull(m.SentAt);
            Assert.Null(m.LeaseToken);
            Assert.Equal(1, m.Attempts);
            Assert.Equal(1, _relay.CountOf(m.MessageId));
        });

        // The two held rows go once their holder's lease has run out, and nothing goes twice.
        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(2, await app.DispatchOnceAsync(clock, options));
        Assert.All(await app.ReloadAsync(messages), m => Assert.Equal(m.Id == sentElsewhere ? 0 : 1, _relay.CountOf(m.MessageId)));
    }

    /// <summary>Runs <paramref name="race"/> once, just before the first guarded claim of the outbox reaches the database.</summary>
    private sealed class BeforeFirstClaim(Func<Task<int>> race) : DbCommandInterceptor
    {
        public bool Ran { get; private set; }

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (!Ran && command.CommandText.StartsWith("UPDATE \"OutboxMessages\"", StringComparison.Ordinal) && command.CommandText.Contains("\"LeaseToken\" = @"))
            {
                Ran = true;
                await race();
            }
            return result;
        }
    }

    [Fact]
    public async Task The_background_loop_sends_over_several_connections_side_by_side_and_each_message_once()
    {
        var messages = await app.EnqueueAsync(30);
        // How many messages the relay holds at once, unanswered: more than one means the connections overlap.
        int inFlight = 0, most = 0;
        _relay.BeforeAnswer = async _ =>
        {
            var now = Interlocked.Increment(ref inFlight);
            lock (_relay) most = Math.Max(most, now);
            await Task.Delay(60);
            Interlocked.Decrement(ref inFlight);
        };
        await using (var instance = app.WithWebHostBuilder(b => b
            .UseSetting("Workers:Enabled", "true")
            .UseSetting("Email:Smtp:Host", "127.0.0.1")
            .UseSetting("Email:Smtp:Port", _relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("Email:Smtp:Security", "None")
            .UseSetting("Email:Dispatch:BatchSize", "2")
            .UseSetting("Email:Dispatch:Connections", "3")
            .UseSetting("Email:Dispatch:PeriodSeconds", "1")))
        {
            _ = instance.Server; // starts the host, hence its background loops
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while ((await app.ReloadAsync(messages)).Any(m => m.SentAt == null) && DateTime.UtcNow < deadline) await Task.Delay(200);
        }

        Assert.All(await app.ReloadAsync(messages), m => Assert.NotNull(m.SentAt));
        Assert.All(messages, m => Assert.Equal(1, _relay.CountOf(m.MessageId)));
        Assert.InRange(most, 2, 3);
    }

    [Fact]
    public async Task Each_message_is_marked_sent_before_the_next_one_reaches_the_relay()
    {
        var messages = await app.EnqueueAsync(6);
        var ids = messages.Select(m => m.Id).ToList();
        // When a message reaches the relay, how many of the others are already marked sent: a crash at that moment would
        // resend this message only.
        var markedBefore = new List<int>();
        _relay.BeforeAnswer = async _ => markedBefore.Add(await app.Db(db => db.OutboxMessages.CountAsync(m => ids.Contains(m.Id) && m.SentAt != null)));

        var clock = new FakeTimeProvider(app.Clock.GetUtcNow().AddSeconds(1));
        Assert.Equal(6, await app.DispatchOnceAsync(clock, Dispatchers.Smtp(_relay.Port, batchSize: 4)));

        Assert.Equal([0, 1, 2, 3, 4, 5], markedBefore);
    }
}

public sealed class EmailBatchTestsOnSqlite(SqliteApp app) : EmailBatchTests(app), IClassFixture<SqliteApp>;

public sealed class EmailBatchTestsOnPostgres(PostgresApp app) : EmailBatchTests(app), IClassFixture<PostgresApp>;
