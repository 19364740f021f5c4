using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Guichet.Email;

/// <summary>Turns outbox rows into MIME messages and hands them to SMTP (MailKit) or to the pickup directory.</summary>
public sealed class EmailSender(IOptions<EmailOptions> options, IHostEnvironment env)
{
    private readonly EmailOptions _options = options.Value;

    public string PickupDirectory => Path.GetFullPath(Path.IsPathRooted(_options.PickupDirectory)
        ? _options.PickupDirectory : Path.Combine(env.ContentRootPath, _options.PickupDirectory));

    public MimeMessage Compose(OutboxMessage m)
    {
        var portal = _options.PortalUrl.TrimEnd('/');
        var message = new MimeMessage
        {
            MessageId = m.MessageId,
            Subject = m.Subject,
            Date = new DateTimeOffset(DateTime.SpecifyKind(m.CreatedAt, DateTimeKind.Utc)),
        };
        message.From.Add(MailboxAddress.Parse(_options.From));
        foreach (var to in m.RecipientList) message.To.Add(MailboxAddress.Parse(to));
        message.Headers.Add("X-Guichet-Type", m.Kind.ToString());
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Body = new BodyBuilder
        {
            TextBody = m.TextBody.Replace(EmailTemplates.PortalUrlPlaceholder, portal, StringComparison.Ordinal),
            HtmlBody = m.HtmlBody.Replace(EmailTemplates.PortalUrlPlaceholder, portal, StringComparison.Ordinal),
        }.ToMessageBody();
        return message;
    }

    /// <summary>A session for one dispatch run: one SMTP connection for all its batches, reopened if a message broke it.</summary>
    public IEmailSession Open() => _options.UsesSmtp ? new SmtpSession(_options.Smtp) : new PickupSession(PickupDirectory);

    public interface IEmailSession : IAsyncDisposable
    {
        Task SendAsync(MimeMessage message, CancellationToken ct);
    }

    private sealed class SmtpSession(SmtpOptions smtp) : IEmailSession
    {
        private readonly SmtpClient _client = new() { Timeout = smtp.TimeoutSeconds * 1000 };

        public async Task SendAsync(MimeMessage message, CancellationToken ct)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    await _client.ConnectAsync(smtp.Host!, smtp.Port, smtp.Security, ct);
                    if (!string.IsNullOrEmpty(smtp.UserName)) await _client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", ct);
                }
                await _client.SendAsync(message, ct);
            }
            catch (Exception e) when (e is not SmtpCommandException)
            {
                // Dropped, timed out or cancelled in the middle of a command: the connection is in an unknown state, the next
                // message opens a new one. (A refusal, SmtpCommandException, leaves it usable.)
                await CloseAsync();
                throw;
            }
        }

        private async Task CloseAsync()
        {
            try { if (_client.IsConnected) await _client.DisconnectAsync(false, CancellationToken.None); }
            catch (Exception) { } // closing a broken connection: nothing more to learn
        }

        public async ValueTask DisposeAsync()
        {
            // QUIT politely, but never wait on a server that stopped answering: the messages are already marked.
            try
            {
                using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(5, smtp.TimeoutSeconds)));
                if (_client.IsConnected) await _client.DisconnectAsync(true, quit.Token);
            }
            catch (Exception) { await CloseAsync(); }
            _client.Dispose();
        }
    }

    // One file per Message-ID, written then renamed: a resend replaces the file instead of duplicating it.
    private sealed class PickupSession(string folder) : IEmailSession
    {
        public async Task SendAsync(MimeMessage message, CancellationToken ct)
        {
            Directory.CreateDirectory(folder);
            var name = string.Concat((message.MessageId ?? Guid.NewGuid().ToString("N")).Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_')) + ".eml";
            var temp = Path.Combine(folder, "." + name + ".tmp");
            await using (var file = File.Create(temp)) await message.WriteToAsync(file, ct);
            File.Move(temp, Path.Combine(folder, name), overwrite: true);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
