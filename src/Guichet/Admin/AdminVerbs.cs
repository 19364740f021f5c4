using Guichet.Accounts;
using Guichet.Data;
using Guichet.Demo;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Admin;

/// <summary>
/// Operator commands on the same executable, listed once in <see cref="Names"/> (README « Commandes d'administration »).
/// Each runs once on the application's composition and exits (0 on success).
/// </summary>
public static class AdminVerbs
{
    /// <summary>The verbs, each handled by <see cref="RunAsync"/>.</summary>
    public static readonly IReadOnlyList<string> Names = ["migrate", "seed-demo", "sweep", "create-user", "recount", "purge-pieces", "rescan", "storage-gc"];

    public static bool IsVerb(string arg) => Names.Contains(arg);

    public static string? Find(string[] args) => args.Length > 0 && IsVerb(args[0]) ? args[0] : null;

    public static async Task<int> RunAsync(WebApplication app, string verb, string[] args)
    {
        SecurityJournal.OutsideRequests = Guichet.Accounts.SecurityEvent.CommandLine; // this process runs one verb and exits
        try
        {
            switch (verb)
            {
                case "migrate":
                    await DatabaseSetup.MigrateAsync(app.Services);
                    await ReferenceData.EnsureAsync(app.Services);
                    Console.WriteLine("Base de données à jour.");
                    return 0;
                case "seed-demo":
                    if (app.Environment.IsProduction())
                    {
                        Console.Error.WriteLine("Refusé : les données de démonstration ne sont jamais créées en Production.");
                        return 1;
                    }
                    await DatabaseSetup.MigrateAsync(app.Services);
                    await ReferenceData.EnsureAsync(app.Services);
                    using (var scope = app.Services.CreateScope())
                    {
                        var created = await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync();
                        Console.WriteLine(created ? "Données de démonstration créées." : "Données de démonstration déjà présentes.");
                    }
                    return 0;
                case "sweep":
                    return await SweepAsync(app);
                case "create-user":
                    return await CreateUserAsync(app, args);
                case "recount":
                    using (var scope = app.Services.CreateScope())
                    {
                        var wrong = await RequestCounters.RebuildAsync(scope.ServiceProvider.GetRequiredService<GuichetDbContext>(), default);
                        Console.WriteLine(wrong == 0 ? "Compteurs de demandes exacts : rien à corriger."
                            : $"Compteurs de demandes recalculés : {wrong} compteur(s) corrigé(s).");
                    }
                    return 0;
                case "purge-pieces":
                {
                    var runner = app.Services.GetRequiredService<Deposits.DepositRunner>();
                    // A verb's process runs no queue: it closes the jobs resumed too often and leaves the others to the instances.
                    var closed = (await runner.TakeOverStaleAsync(default)).Closed.Count;
                    var purged = await runner.PurgeAsync(default);
                    Console.WriteLine($"Dépôts interrompus clos : {closed}. Pièces orphelines supprimées : {purged.Files} ; "
                        + $"dossiers de dépôt : {purged.JobFolders} ; envois abandonnés : {purged.Uploads}.");
                    return 0;
                }
                case "rescan":
                    return await RescanAsync(app);
                case "storage-gc":
                    return await StorageGcAsync(app);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or DbUpdateException)
        {
            Console.Error.WriteLine("Erreur : " + e.Message);
            return 1;
        }
        return 2;
    }

    // After a signature update: every stored attachment again; exit 3 when the scanner stops answering midway.
    private static async Task<int> RescanAsync(WebApplication app)
    {
        using var scope = app.Services.CreateScope();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var result = await scope.ServiceProvider.GetRequiredService<Antivirus.Rescan>().RunAsync(default);
            Console.WriteLine($"Réanalyse antivirus terminée : {result.Scanned} fichier(s) analysé(s), {result.Quarantined} mis en quarantaine "
                + $"({result.RequestsTold} demande(s), fournisseurs prévenus par e-mail), {result.Errors} erreur(s), en {Seconds(watch.Elapsed)}.");
            return result.Errors == 0 ? 0 : 4;
        }
        catch (Antivirus.ScannerUnavailableException e)
        {
            Console.Error.WriteLine($"Réanalyse interrompue : analyse antivirus indisponible ({e.Detail}). Les pièces déjà mises en quarantaine le restent ; "
                + "relancez « rescan » quand l'antivirus répond.");
            return 3;
        }
    }

    // Orphan files or objects and staged deposits, older than Deposits:OrphanFilesAfterSeconds; exit 3 when the storage does not answer.
    private static async Task<int> StorageGcAsync(WebApplication app)
    {
        var store = app.Services.GetRequiredService<Storage.AttachmentStore>();
        var provider = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hosting.StorageOptions>>().Value.Provider;
        var where = provider == Hosting.StorageProvider.S3 ? "compartiment S3" : "dossier des pièces";
        try
        {
            await store.ProbeAsync(default);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"Nettoyage impossible : le stockage ({where}) ne répond pas ({e.GetBaseException().Message}). Rien n'a été supprimé.");
            return 3;
        }
        var runner = app.Services.GetRequiredService<Deposits.DepositRunner>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var closed = (await runner.TakeOverStaleAsync(default)).Closed.Count;
        var purged = await runner.PurgeAsync(default);
        Console.WriteLine($"Nettoyage du stockage ({where}) : {purged.Files} pièce(s) orpheline(s), {purged.StagedDeposits} copie(s) de dépôt, "
            + $"{purged.JobFolders} dossier(s) de dépôt et {purged.Uploads} envoi(s) abandonné(s) supprimés ; {closed} dépôt(s) interrompu(s) clos ; "
            + $"en {Seconds(watch.Elapsed)}.");
        return 0;
    }

    /// <summary>
    /// The deadline work once, with its e-mails, so that a cron-driven installation needs no running worker. The dispatchers
    /// (<c>Email:Dispatch:Connections</c> side by side, as in the running loop) start with the sweep and send each batch's
    /// e-mails once it is committed, then whatever is left when it ends: the e-mails no longer wait for the whole sweep.
    /// </summary>
    private static async Task<int> SweepAsync(WebApplication app)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        var dispatch = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Email.EmailOptions>>().Value.Dispatch;
        using var stop = new CancellationTokenSource();
        var sweeping = Task.Run(async () =>
        {
            using var scope = scopes.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<Deadlines.DeadlineSweep>().RunAsync();
        });
        var dispatching = Task.Run(() => DispatchUntilSweptAsync(scopes, dispatch, sweeping, stop.Token));
        Deadlines.SweepResult result;
        try
        {
            result = await sweeping;
        }
        catch (Exception)
        {
            // The e-mails already sent stay marked; the dispatchers give back what they hold before the verb fails.
            await stop.CancelAsync();
            try { await dispatching; } catch (Exception) { } // the sweep's failure is the one to report
            throw;
        }
        var swept = watch.Elapsed;
        var clock = app.Services.GetRequiredService<TimeProvider>();
        Console.WriteLine($"Échéances traitées le {Hosting.Fr.DateTime(clock.GetUtcNow().UtcDateTime)} (heure de Paris) : "
            + $"{result.Reminders} relance(s) J+10, {result.Closings} clôture(s) J+20, {result.Conflicts} conflit(s) évité(s), "
            + $"en {Seconds(swept)}.");
        var sent = await dispatching;
        var last = watch.Elapsed - swept;
        int waiting;
        using (var scope = scopes.CreateScope())
            waiting = await scope.ServiceProvider.GetRequiredService<GuichetDbContext>().OutboxMessages.CountAsync(m => m.SentAt == null);
        var left = waiting == 0 ? "" : $" ; {waiting} e-mail(s) en attente (nouvel essai programmé, relais injoignable ou envoi en cours ailleurs)";
        Console.WriteLine(sent == 0
            ? (waiting == 0 ? "Aucun e-mail à envoyer." : $"Aucun e-mail envoyé{left}.")
            : $"E-mails envoyés : {sent}, le dernier {Seconds(last)} après la fin du traitement (envoi commencé avec lui){left}.");
        return 0;
    }

    /// <summary>
    /// Dispatch passes while the sweep runs, then until a pass finds nothing to send. After a pass that sent nothing (nothing
    /// committed yet, or a relay that fails) the next waits twice as long, up to <c>Email:Dispatch:PeriodSeconds</c>, so a
    /// broken relay is not tried more often than the running loop would.
    /// </summary>
    private static async Task<int> DispatchUntilSweptAsync(IServiceScopeFactory scopes, Email.EmailDispatchOptions options, Task sweeping,
        CancellationToken ct)
    {
        var first = TimeSpan.FromMilliseconds(200);
        var pause = first;
        var total = 0;
        while (true)
        {
            // Read before the pass: a pass that starts once the sweep has ended sees every e-mail it wrote.
            var swept = sweeping.IsCompleted;
            var sent = await Email.EmailDispatchService.DispatchSideBySideAsync(scopes, options.Connections, ct);
            total += sent;
            if (sent > 0)
            {
                pause = first;
                continue;
            }
            if (swept) return total;
            await Task.WhenAny(sweeping, Task.Delay(pause, ct));
            ct.ThrowIfCancellationRequested();
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, Math.Max(first.Ticks, options.Period.Ticks)));
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.GetCultureInfo("fr-FR")) + " s";

    // create-user --email x --role Gestionnaire [--name "…"] [--organisation SIRET]; password from GUICHET_PASSWORD or --password.
    private static async Task<int> CreateUserAsync(WebApplication app, string[] args)
    {
        string? Opt(string name)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        var email = Opt("email");
        var role = Opt("role");
        var password = Environment.GetEnvironmentVariable("GUICHET_PASSWORD") ?? Opt("password");
        if (email is null || role is null || password is null || !Roles.All.Contains(role))
        {
            Console.Error.WriteLine("Usage : create-user --email <adresse> --role <Fournisseur|Gestionnaire|Assistance|Administrateur> "
                + "[--name <nom>] [--organisation <SIRET>] --password <mot de passe> (ou variable GUICHET_PASSWORD)");
            return 2;
        }
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<GuichetDbContext>();
        int? organisationId = null;
        if (Opt("organisation") is { } siret)
        {
            organisationId = await db.Organisations.Where(o => o.Siret == siret).Select(o => (int?)o.Id).FirstOrDefaultAsync();
            if (organisationId is null) { Console.Error.WriteLine($"Organisme de SIRET {siret} introuvable."); return 1; }
        }
        var outcome = await scope.ServiceProvider.GetRequiredService<AccountAdmin>().CreateAsync(email, Opt("name"), role, organisationId, password);
        if (outcome.User is null)
        {
            Console.Error.WriteLine(string.Join(Environment.NewLine, outcome.Errors));
            return 1;
        }
        Console.WriteLine($"Utilisateur {email} créé ({Roles.Label(role)}).");
        return 0;
    }
}
