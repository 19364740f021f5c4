using System.Globalization;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Admin;

/// <summary>The journal's filters: a period of Paris days, one kind of event, a piece of e-mail address or IP address.</summary>
public sealed record JournalFilter(DateOnly? From, DateOnly? To, SecurityEventKind? Kind, string? Text, int Page);

/// <summary>« Journal de sécurité » and its CSV export: one filtered query, newest first.</summary>
public static class JournalQuery
{
    public const int PageSize = 50;

    /// <summary>Parses du, au, evenement, q, page; every malformed value gives a French error.</summary>
    public static JournalFilter Parse(IQueryCollection query, List<ErrorItem> errors)
    {
        var from = DateParameter.Parse(query, "du", errors);
        var to = DateParameter.Parse(query, "au", errors);
        if (from is { } a && to is { } b && a > b) errors.Add(new("$.au", null, "La date de fin doit suivre la date de début."));
        SecurityEventKind? kind = null;
        if (Value(query, "evenement") is { } k)
        {
            if (SecurityEventKinds.TryParse(k, out var parsed)) kind = parsed;
            else errors.Add(new("$.evenement", null, $"Événement inconnu « {Fr.Clip(k, 40)} »."));
        }
        var text = Value(query, "q")?.Trim();
        if (text is { Length: > 100 })
        {
            errors.Add(new("$.q", null, "La recherche est limitée à 100 caractères."));
            text = null;
        }
        var page = 1;
        if (Value(query, "page") is { } p
            && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1 || page > 1_000_000))
        {
            errors.Add(new("$.page", null, "Le numéro de page doit être un entier positif."));
            page = 1;
        }
        return new JournalFilter(from, to, kind, string.IsNullOrEmpty(text) ? null : text, page);
    }

    /// <summary>The matching events, newest first (no paging).</summary>
    public static IQueryable<SecurityEvent> Filter(GuichetDbContext db, JournalFilter f)
    {
        IQueryable<SecurityEvent> q = db.SecurityEvents;
        if (f.From is { } from)
        {
            var start = ParisCalendar.StartOfDayUtc(from);
            q = q.Where(e => e.At >= start);
        }
        if (f.To is { } to)
        {
            var end = ParisCalendar.StartOfDayUtc(to.AddDays(1));
            q = q.Where(e => e.At < end);
        }
        if (f.Kind is { } kind) q = q.Where(e => e.Kind == kind);
        if (f.Text is { } text)
        {
            // Addresses are compared in lower case on both providers; an IP address has no case.
            var t = text.ToLowerInvariant();
            q = q.Where(e => (e.ActorEmail != null && e.ActorEmail.ToLower().Contains(t))
                || (e.SubjectEmail != null && e.SubjectEmail.ToLower().Contains(t))
                || (e.Source != null && e.Source.Contains(t)));
        }
        return q.OrderByDescending(e => e.At).ThenByDescending(e => e.Id);
    }

    public static async Task<(int Total, List<SecurityEvent> Rows)> RunAsync(GuichetDbContext db, JournalFilter f, CancellationToken ct)
    {
        var q = Filter(db, f).AsNoTracking();
        var total = await q.CountAsync(ct);
        var rows = await q.Skip((f.Page - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        return (total, rows);
    }

    /// <summary>« 30/11/2026 02:15:07 », Paris time.</summary>
    public static string When(DateTime utc) => ParisCalendar.ToParis(utc).ToString("dd/MM/yyyy HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Who acted: the address of the signed-in user, else the command line, the system or an anonymous visitor.</summary>
    public static string Actor(SecurityEvent e) => e.ActorEmail ?? e.ActorId ?? e.Source switch
    {
        SecurityEvent.CommandLine => "ligne de commande",
        SecurityEvent.System => "système",
        _ => "anonyme",
    };

    public static string Subject(SecurityEvent e) => e.SubjectEmail ?? e.SubjectId ?? "—";

    /// <summary>The journal's URL with some parameters changed (null removes one).</summary>
    public static string Link(string path, IQueryCollection query, IDictionary<string, string?> changes)
    {
        var qb = new QueryBuilder();
        foreach (var (key, value) in query)
            if (!changes.ContainsKey(key) && !string.IsNullOrEmpty(value.ToString())) qb.Add(key, value.ToString());
        foreach (var (key, value) in changes) if (!string.IsNullOrEmpty(value)) qb.Add(key, value);
        return path + qb.ToQueryString();
    }

    private static string? Value(IQueryCollection q, string key) =>
        q.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;
}
