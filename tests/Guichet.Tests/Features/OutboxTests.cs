using System.Net;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Guichet.Tests.Features;

/// <summary>The outbox and its dispatcher against a real SMTP server in-process, on each provider.</summary>
public abstract class OutboxTests(GuichetApp app) : IAsyncLifetime
{
    private SmtpCatcher _smtp = null!;

    public async ValueTask InitializeAsync() => _smtp = await SmtpCatcher.StartAsync();

    public async ValueTask DisposeAsync() => await _smtp.DisposeAsync();

    /// <summary>A dispatcher as a fresh process would build it: its own context, sender and clock.</summary>
    private (EmailDispatcher Dispatcher, IServiceScope Scope) NewDispatcher(TimeProvider clock, bool smtp = true)
    {
        var scope = app.Services.CreateScope();
        var options = Options.Create(new EmailOptions
        {
            Smtp = new SmtpOptions { Host = "127.0.0.1", Port = _smtp.Port, Security = MailKit.Security.SecureSocketOptions.None, TimeoutSeconds = 5 },
            PortalUrl = "https://guichet.test",
        });
        var sender = smtp
            ? new EmailSender(options, scope.ServiceProvider.GetRequiredService<IHostEnvironment>())
            : scope.ServiceProvider.GetRequiredService<EmailSender>();
        return (new EmailDispatcher(scope.ServiceProvider.GetRequiredService<GuichetDbContext>(), sender, clock, options,
            NullLogger<EmailDispatcher>.Instance), scope);
    }

    private async Task<int> DispatchAt(DateTimeOffset at, bool smtp = true)
    {
        var (dispatcher, scope) = NewDispatcher(new FakeTimeProvider(at), smtp);
        using (scope) return await dispatcher.DispatchDueAsync();
    }

    private async Task<OutboxMessage> ValidatedAsync()
    {
        var number = await app.NewAsync();
        var response = await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/valider", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(await app.MailsAsync(number));
    }

    private Task<OutboxMessage> Reload(long id) => app.Db(db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.Id == id));

    [Fact]
    public async Task A_failing_server_is_retried_with_backoff_and_the_message_arrives_once()
    {
        var mail = await ValidatedAsync();
        _smtp.Refuse(mail.MessageId, times: 2);
        var t0 = app.Clock.GetUtcNow().AddSeconds(1);

        await DispatchAt(t0);
        var failed = await Reload(mail.Id);
        Assert.Null(failed.SentAt);
        Assert.Equal(1, failed.Attempts);
        Assert.Contains("Espace insuffisant", failed.LastError);
        Assert.Equal(t0.UtcDateTime.AddMinutes(1), failed.NextAttemptAt, TimeSpan.FromSeconds(2));
        Assert.Null(failed.LeaseToken);

        await DispatchAt(t0.AddSeconds(30)); // not due yet: nothing is tried
        Assert.Equal(1, (await Reload(mail.Id)).Attempts);

        await DispatchAt(t0.AddMinutes(1.5)); // second refusal: the delay doubles
        var again = await Reload(mail.Id);
        Assert.Equal(2, again.Attempts);
        Assert.Equal(t0.UtcDateTime.AddMinutes(3.5), again.NextAttemptAt, TimeSpan.FromSeconds(2));

        await DispatchAt(t0.AddMinutes(4));
        var sent = await Reload(mail.Id);
        Assert.NotNull(sent.SentAt);
        Assert.Equal(3, sent.Attempts);
        await DispatchAt(t0.AddHours(2));
        Assert.Equal(1, _smtp.CountOf(mail.MessageId));

        var received = _smtp.Received.Single(m => m.MessageId == mail.MessageId);
        Assert.Equal("editeur@agendapro.test", received.To.Mailboxes.Single().Address);
        Assert.Equal(mail.Subject, received.Subject);
        Assert.Contains("https://guichet.test/demandes/", received.TextBody);
        Assert.Contains("validé", received.HtmlBody);
    }

    [Fact]
    public async Task A_crash_between_claim_and_send_is_sent_after_restart_once_the_lease_expires()
    {
        var mail = await ValidatedAsync();
        var crashAt = app.Clock.UtcNow.AddSeconds(1);
        // An instance claimed the message then died before sending or marking it.
        await app.Db(db => db.OutboxMessages.Where(m => m.Id == mail.Id).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.LeaseToken, Guid.NewGuid()).SetProperty(m => m.LeaseUntil, crashAt + new EmailDispatchOptions().Lease)));

        await DispatchAt(crashAt.AddMinutes(1));
        Assert.Equal(0, _smtp.CountOf(mail.MessageId));

        await DispatchAt(crashAt.AddMinutes(6));
        Assert.Equal(1, _smtp.CountOf(mail.MessageId));
        Assert.NotNull((await Reload(mail.Id)).SentAt);
    }

    [Fact]
    public async Task A_committed_message_never_sent_before_a_restart_goes_out_from_a_new_process()
    {
        var mail = await ValidatedAsync();
        Assert.Null(mail.SentAt);
        Assert.True(await DispatchAt(app.Clock.GetUtcNow().AddSeconds(1)) >= 1);
        Assert.Equal(1, _smtp.CountOf(mail.MessageId));
    }

    [Fact]
    public async Task A_rolled_back_change_sends_nothing()
    {
        var number = await app.NewAsync();
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            await using var tx = await db.Database.BeginTransactionAsync();
            var request = await db.Requests.Include(r => r.Rounds).SingleAsync(r => r.Number == number);
            request.Validate(new Actor("Claire Petit (ASP)", "Gestionnaire", null), app.Clock.UtcNow);
            await Outbox.EnqueueForRequestAsync(db, request, EmailKind.Validated, app.Clock.UtcNow);
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }
        // And a change that loses a concurrent race is rolled back with its message.
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var request = await db.Requests.Include(r => r.Rounds).SingleAsync(r => r.Number == number);
            Assert.Equal(HttpStatusCode.OK, (await app.Bearer("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/valider", null)).StatusCode);
            request.Reject(new Actor("Autre gestionnaire", "Gestionnaire", null), "Trop tard.", app.Clock.UtcNow);
            await Outbox.EnqueueForRequestAsync(db, request, EmailKind.Rejected, app.Clock.UtcNow);
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync());
        }
        var mails = await app.MailsAsync(number);
        Assert.Equal(EmailKind.Validated, Assert.Single(mails).Kind);
        await DispatchAt(app.Clock.GetUtcNow().AddSeconds(1));
        Assert.DoesNotContain(_smtp.Received, m => (m.Subject ?? "").Contains(number) && (m.Subject ?? "").Contains("rejet"));
        Assert.Equal(1, _smtp.CountOf(mails[0].MessageId));
    }

    [Fact]
    public async Task Two_dispatchers_at_once_never_send_the_same_message_twice()
    {
        var number = await app.NewAsync();
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
            var request = await db.Requests.Include(r => r.Rounds).SingleAsync(r => r.Number == number);
            for (var i = 0; i < 40; i++) await Outbox.EnqueueForRequestAsync(db, request, EmailKind.Validated, app.Clock.UtcNow);
            await db.SaveChangesAsync();
        }
        var at = app.Clock.GetUtcNow().AddSeconds(1);
        var counts = await Task.WhenAll(DispatchAt(at), DispatchAt(at), DispatchAt(at));
        var mails = await app.MailsAsync(number);
        Assert.Equal(40, mails.Count);
        Assert.All(mails, m => Assert.Equal(1, _smtp.CountOf(m.MessageId)));
        Assert.All(mails, m => Assert.NotNull(m.SentAt));
        Assert.True(counts.Sum() >= 40);
    }

    [Fact]
    public async Task By_default_messages_are_written_as_eml_files_named_by_their_Message_ID()
    {
        var mail = await ValidatedAsync();
        await DispatchAt(app.Clock.GetUtcNow().AddSeconds(1), smtp: false);
        var file = Directory.GetFiles(app.MailPath, "*.eml").Single(f => Path.GetFileName(f).StartsWith(mail.MessageId.Split('@')[0], StringComparison.Ordinal));
        var message = await MimeKit.MimeMessage.LoadAsync(file);
        Assert.Equal(mail.MessageId, message.MessageId);
        Assert.Equal(mail.Subject, message.Subject);
        Assert.Contains("http://localhost:5000/demandes/", message.TextBody);
        Assert.Equal("auto-generated", message.Headers["Auto-Submitted"]);
    }
}

public sealed class OutboxTestsOnSqlite(SqliteApp app) : OutboxTests(app), IClassFixture<SqliteApp>;

public sealed class OutboxTestsOnPostgres(PostgresApp app) : OutboxTests(app), IClassFixture<PostgresApp>;
