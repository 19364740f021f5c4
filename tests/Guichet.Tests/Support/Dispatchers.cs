using Guichet.Data;
using Guichet.Email;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Guichet.Tests.Support;

/// <summary>E-mail dispatchers built as a separate process would build them, on an app's database.</summary>
public static class Dispatchers
{
    /// <summary>E-mail settings toward a test SMTP server on the loopback.</summary>
    public static EmailOptions Smtp(int port, int timeoutSeconds = 5, int batchSize = 10, int leaseSeconds = 300) => new()
    {
        Smtp = new SmtpOptions { Host = "127.0.0.1", Port = port, Security = MailKit.Security.SecureSocketOptions.None, TimeoutSeconds = timeoutSeconds },
        PortalUrl = "https://guichet.test",
        Dispatch = new EmailDispatchOptions { BatchSize = batchSize, LeaseSeconds = leaseSeconds },
    };

    /// <summary>
    /// One <see cref="EmailDispatcher.DispatchDueAsync"/> in a fresh scope (its own context, or the one
    /// <paramref name="context"/> makes), with its own clock.
    /// </summary>
    public static async Task<int> DispatchOnceAsync(this GuichetApp app, TimeProvider clock, EmailOptions options, ILogger<EmailDispatcher>? logger = null,
        Func<IServiceProvider, GuichetDbContext>? context = null)
    {
        using var scope = app.Services.CreateScope();
        var o = Options.Create(options);
        var sender = new EmailSender(o, scope.ServiceProvider.GetRequiredService<IHostEnvironment>());
        await using var own = context?.Invoke(scope.ServiceProvider);
        var dispatcher = new EmailDispatcher(own ?? scope.ServiceProvider.GetRequiredService<GuichetDbContext>(), sender, clock, o,
            logger ?? NullLogger<EmailDispatcher>.Instance);
        return await dispatcher.DispatchDueAsync();
    }

    /// <summary>Writes whatever the outbox still holds (due within a day) as .eml files: a test then starts from an empty outbox.</summary>
    public static async Task DrainOutboxAsync(this GuichetApp app)
    {
        var options = new EmailOptions { PickupDirectory = app.MailPath };
        var later = new FakeTimeProvider(TimeProvider.System.GetUtcNow().AddDays(1));
        while (await app.DispatchOnceAsync(later, options) > 0) { }
        Assert.Equal(0, await app.Db(db => db.OutboxMessages.CountAsync(m => m.SentAt == null)));
    }

    /// <summary>Adds <paramref name="count"/> account e-mails (one recipient each), due now on the app's clock.</summary>
    public static async Task<List<OutboxMessage>> EnqueueAsync(this GuichetApp app, int count)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        for (var i = 0; i < count; i++)
            Outbox.EnqueueForUser(db, $"destinataire{i}@fautes.test", $"Destinataire {i}", EmailKind.PasswordReset,
                "/compte/definir-mot-de-passe?jeton=essai" + i, app.Clock.UtcNow);
        var added = db.ChangeTracker.Entries<OutboxMessage>().Select(e => e.Entity).ToList();
        await db.SaveChangesAsync();
        return added;
    }

    /// <summary>The rows of these messages as they are now.</summary>
    public static Task<List<OutboxMessage>> ReloadAsync(this GuichetApp app, IEnumerable<OutboxMessage> messages)
    {
        var ids = messages.Select(m => m.Id).ToList();
        return app.Db(db => db.OutboxMessages.AsNoTracking().Where(m => ids.Contains(m.Id)).OrderBy(m => m.Id).ToListAsync());
    }
}
