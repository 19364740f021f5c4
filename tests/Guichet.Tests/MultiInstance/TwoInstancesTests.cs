using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Guichet.Tests.Faults;
using Guichet.Tests.Support;
using Npgsql;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.MultiInstance;

/// <summary>
/// Two real portals (<see cref="PortalProcess"/>) on one PostgreSQL database and one S3 bucket (each with a local working
/// folder of its own, as two machines), workers on in both, one SMTP catcher: as a load balancer would spread users over
/// them, they behave as one portal — sessions, deposits, e-mails, deadlines and sign-in throttling.
/// </summary>
[Trait("Category", "Faults")]
public sealed class TwoInstancesTests() : FaultScenario("Postgres", s3: true)
{
    private const string Vendor = "editeur@agendapro.test";
    private const string Password = "Guichet-Demo-2026!";
    private SmtpCatcher? _smtp;

    /// <summary>
    /// The environment of both instances, in this one place: FaultScenario's database and bucket (attachments and staged
    /// deposits shared through it), every worker on with short periods, e-mails to the catcher. The local working folders
    /// (Storage:Path) differ, so that whatever one instance needs of the other's work comes from the bucket: B's is
    /// FaultScenario's (<see cref="FaultScenario.JobFolders"/> looks there), A's its own.
    /// </summary>
    private async Task<(Dictionary<string, string> A, Dictionary<string, string> B)> InstanceEnvironmentsAsync(Dictionary<string, string>? extra)
    {
        _smtp ??= await SmtpCatcher.StartAsync();
        var env = new Dictionary<string, string>(Env)
        {
            ["Workers__Enabled"] = "true",
            ["Email__Smtp__Host"] = "127.0.0.1",
            ["Email__Smtp__Port"] = _smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Email__Smtp__Security"] = "None",
            ["Email__Dispatch__PeriodSeconds"] = "1",
            ["Email__Dispatch__LeaseSeconds"] = "10",
            ["Deadlines__IntervalSeconds"] = "5",
        };
        foreach (var (key, value) in extra ?? []) env[key] = value;
        Assert.Equal("S3", env["Storage__Provider"]);
        var a = new Dictionary<string, string>(env) { ["Storage__Path"] = Path.Combine(Folder, "pieces-a") };
        var b = new Dictionary<string, string>(env) { ["Storage__Path"] = StoragePath };
        return (a, b);
    }

    /// <summary>A, then B once A has migrated and seeded the database (two first starts would race on the migrations).</summary>
    private async Task<(PortalProcess A, PortalProcess B)> StartBothAsync(Dictionary<string, string>? extra = null)
    {
        var (envA, envB) = await InstanceEnvironmentsAsync(extra);
        var a = await PortalProcess.StartAsync(envA);
        try { return (a, await PortalProcess.StartAsync(envB)); }
        catch { await a.DisposeAsync(); throw; }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_smtp is not null) await _smtp.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_session_opened_on_one_instance_works_on_the_other_and_signing_out_there_ends_it_everywhere()
    {
        var (a, b) = await StartBothAsync();
        await using var _ = a;
        await using var __ = b;
        var jar = new CookieContainer(); // cookies go by host, not port: one jar for both, as behind a load balancer
        using var handler = new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false };
        using var onA = new HttpClient(handler, disposeHandler: false) { BaseAddress = a.BaseAddress };
        using var onB = new HttpClient(handler, disposeHandler: false) { BaseAddress = b.BaseAddress };

        Assert.Equal(HttpStatusCode.Redirect, (await onA.PostForm("/connexion", new() { ["Email"] = Vendor, ["Password"] = Password })).StatusCode);
        var tracking = await onB.GetAsync("/demandes");
        Assert.Equal(HttpStatusCode.OK, tracking.StatusCode);
        Assert.Contains("Camille Durand", await tracking.Content.ReadAsStringAsync());
        var session = jar.GetCookies(a.BaseAddress)["guichet"]!.Value;
        Assert.Equal(HttpStatusCode.OK, (await WithCookie(a, session)).StatusCode);

        // « Se déconnecter » on B (a form token of B's page); the cookie kept from before still reaches A.
        Assert.Equal(HttpStatusCode.Redirect, (await onB.PostForm("/deconnexion", new(), "/demandes")).StatusCode);
        var replayed = await WithCookie(a, session);
        Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        Assert.StartsWith("/connexion", replayed.Headers.Location!.OriginalString.Replace(a.BaseAddress.ToString().TrimEnd('/'), ""));
    }

    private static async Task<HttpResponseMessage> WithCookie(PortalProcess portal, string session)
    {
        using var raw = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/demandes");
        request.Headers.Add("Cookie", "guichet=" + session);
        return await raw.SendAsync(request);
    }

    [Fact]
    public async Task A_deposit_posted_on_one_instance_is_followed_to_its_result_from_the_other()
    {
        var (a, b) = await StartBothAsync();
        await using var _ = a;
        await using var __ = b;
        var (form, prefix) = await LargeDepositAsync(a, 300);
        var url = await PostInBackgroundAsync(a.Client("demo-agendapro"), form);

        var fromB = b.Client("demo-agendapro");
        var done = await PollAsync(fromB, url, s => Statut(s) != "EN_TRAITEMENT", 120, "fin du dépôt vue depuis B", 100);
        Assert.Equal("TERMINE", Statut(done));
        var created = done.GetProperty("demandes").EnumerateArray().ToList();
        Assert.Equal(300, created.Count);
        Assert.All(created, d => Assert.StartsWith(prefix, d.GetProperty("referenceFournisseur").GetString()));
        Assert.Equal(300, await RequestsWithPrefixAsync(prefix));
        // A request of the deposit, read on B.
        var one = await fromB.GetAsync($"/api/v1/demandes/{created[^1].GetProperty("numero").GetString()}");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Empty(JobFolders());
    }

    [Fact]
    public async Task An_instance_killed_during_a_large_deposit_has_its_job_resumed_by_the_other_to_the_end_with_every_request_once()
    {
        var (a, b) = await StartBothAsync();
        await using var _ = a;
        await using var __ = b;
        const int count = 3000;
        var (form, prefix) = await LargeDepositAsync(a, count);
        var url = await PostInBackgroundAsync(a.Client("demo-agendapro"), form);
        var seen = await PollAsync(a.Client("demo-agendapro"), url, s => Statut(s) != "EN_TRAITEMENT" || (Done(s) > 0 && Done(s) < count),
            60, "dépôt en cours sur A");
        Assert.Equal("EN_TRAITEMENT", Statut(seen));
        await a.KillAsync();
        Assert.NotEmpty(await StoredKeysAsync()); // A had written files of the deposit

        // B, still running, notices the missing heartbeat (4 s), takes the job over and runs it from the shared folder.
        var fromB = b.Client("demo-agendapro");
        var done = await PollAsync(fromB, url, s => Statut(s) != "EN_TRAITEMENT", 300, "reprise du dépôt par B", 200);
        Assert.True(Statut(done) == "TERMINE", done.ToString());
        var created = done.GetProperty("demandes").EnumerateArray().ToList();
        Assert.Equal(count, created.Count);
        Assert.Equal(count, created.Select(d => d.GetProperty("referenceFournisseur").GetString()).Distinct().Count());
        Assert.Equal(count, await RequestsWithPrefixAsync(prefix)); // each request once
        Assert.Equal(1, await TakeoversAsync(url));
        // A request of the resumed deposit, read on B.
        Assert.Equal(HttpStatusCode.OK, (await fromB.GetAsync($"/api/v1/demandes/{created[^1].GetProperty("numero").GetString()}")).StatusCode);
        Assert.Empty(await OrphansAfterPurgeAsync(120)); // B's purge removes the files A's run left (bound for a loaded machine)
        Assert.Empty(JobFolders());
        Assert.False(b.HasExited);
        await AssertCountersExactAsync();
    }

    [Fact]
    public async Task E_mails_written_on_both_instances_are_delivered_exactly_once_while_both_dispatchers_run()
    {
        var (a, b) = await StartBothAsync();
        await using var _ = a;
        await using var __ = b;
        var numbers = await DepositAsync(a, 16);
        PortalProcess[] instances = [a, b];
        // Rounds opened by a manager and confirmed by the vendor, each on the other instance than the one before.
        await Parallel.ForEachAsync(numbers.Select((n, i) => (n, i)), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (x, _) =>
        {
            await OpenRoundAsync(instances[x.i % 2], x.n);
            var vendor = instances[(x.i + 1) % 2].Client("demo-agendapro");
            Assert.Equal(HttpStatusCode.OK, (await vendor.PatchAsync($"/api/v1/demandes/{x.n}/modification",
                Body("""{ "informations": { "contactSupport": "support@agendapro.test" } }"""))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await vendor.PostAsync($"/api/v1/demandes/{x.n}/modification/confirmer", null)).StatusCode);
        });

        var subjects = numbers.SelectMany(n => new[] { $"Demande {n} : modification demandée", $"Demande {n} : modification enregistrée" }).ToList();
        await UntilAsync(() => subjects.All(s => Sent(s) > 0), 60, "les 32 e-mails");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a few more runs of both dispatchers: a duplicate would arrive now
        Assert.Equal(0, await ScalarAsync("SELECT COUNT(*) FROM \"OutboxMessages\" WHERE \"SentAt\" IS NULL"));
        Assert.All(subjects, s => Assert.Equal((s, 1), (s, Sent(s))));
        AssertNoDuplicate();
    }

    [Fact]
    public async Task With_both_sweepers_running_each_J10_reminder_and_J20_closing_happens_once()
    {
        var (a, b) = await StartBothAsync();
        await using var _ = a;
        await using var __ = b;
        var numbers = await DepositAsync(a, 6);
        for (var i = 0; i < numbers.Count; i++) await OpenRoundAsync(i % 2 == 0 ? a : b, numbers[i]);
        var list = string.Join(",", numbers.Select(n => $"'{n}'"));
        var rounds = $"\"FundingRequestId\" IN (SELECT \"Id\" FROM \"Requests\" WHERE \"Number\" IN ({list}))";
        var lines = $"SELECT COUNT(*) FROM \"History\" WHERE \"FundingRequestId\" IN (SELECT \"Id\" FROM \"Requests\" WHERE \"Number\" IN ({list})) AND \"Event\" = ";

        // The processes' clocks cannot be moved: the due dates are moved instead, to a minute ago.
        await ScalarAsync($"UPDATE \"Rounds\" SET \"ReminderDueAt\" = now() - interval '1 minute' WHERE {rounds}");
        await UntilAsync(async () => await ScalarAsync(lines + "'Relance envoyée (J+10)'") >= numbers.Count, 30, "les relances J+10");
        await Task.Delay(TimeSpan.FromSeconds(6)); // one more sweep of each instance
        Assert.Equal(numbers.Count, await ScalarAsync(lines + "'Relance envoyée (J+10)'"));

        await ScalarAsync($"UPDATE \"Rounds\" SET \"ClosingDueAt\" = now() - interval '1 minute' WHERE {rounds}");
        await UntilAsync(async () => await ScalarAsync(lines + "'Délai expiré — instruite en l''état'") >= numbers.Count, 30, "les clôtures J+20");
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.Equal(numbers.Count, await ScalarAsync(lines + "'Délai expiré — instruite en l''état'"));

        var subjects = numbers.SelectMany(n => new[] { $"Relance : demande {n} ", $"Demande {n} : délai de modification expiré" }).ToList();
        await UntilAsync(() => subjects.All(s => Sent(s) > 0), 30, "les e-mails d'échéance");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.All(subjects, s => Assert.Equal((s, 1), (s, Sent(s))));
        AssertNoDuplicate();
    }

    [Fact]
    public async Task Sign_in_and_password_reset_requests_spread_over_both_instances_share_one_limit_and_one_journal_row()
    {
        var (a, b) = await StartBothAsync(new()
        {
            ["RateLimits__Enabled"] = "true",
            ["RateLimits__SignInPerAddress__Permits"] = "4",
            ["RateLimits__SignInPerAddress__WindowSeconds"] = "600",
            ["RateLimits__ForgotPasswordPerAddress__Permits"] = "2",
        });
        await using var _ = a;
        await using var __ = b;
        const string target = "editeur@regulis.test";
        async Task<HttpResponseMessage> SignInAsync(PortalProcess portal, string password)
        {
            using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
                { BaseAddress = portal.BaseAddress };
            return await client.PostForm("/connexion", new() { ["Email"] = target, ["Password"] = password });
        }

        async Task<HttpResponseMessage> ForgotAsync(PortalProcess portal)
        {
            using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
                { BaseAddress = portal.BaseAddress };
            return await client.PostForm("/compte/mot-de-passe-oublie", new() { ["Email"] = target });
        }

        // The limits count in windows aligned on the clock (600 s for sign-in here, an hour for « mot de passe oublié »):
        // the tries start with at least a minute left in both, so that no window ends between them.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var untilEdge = new[] { 600L, 3600L }.Select(w => w - now % w).Where(left => left < 60).DefaultIfEmpty(-1).Max();
        if (untilEdge >= 0) await Task.Delay(TimeSpan.FromSeconds(untilEdge + 1));

        // Two tries on each instance: within a budget of 4 on either alone, the whole budget together.
        foreach (var portal in new[] { a, b, a, b })
            Assert.Equal(HttpStatusCode.BadRequest, (await SignInAsync(portal, "mauvais")).StatusCode);
        foreach (var portal in new[] { a, b })
        {
            var refused = await SignInAsync(portal, Password);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After en secondes attendu");
            Assert.Contains("Trop de tentatives de connexion", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, await ScalarAsync($"SELECT COUNT(*) FROM \"SecurityEvents\" WHERE \"Kind\" = 'TENTATIVES_RALENTIES' AND \"SubjectEmail\" = '{target}'"));
        // « Mot de passe oublié » alike: one request on each instance, then refused on both; two e-mails in all.
        foreach (var portal in new[] { a, b })
            Assert.Equal(HttpStatusCode.OK, (await ForgotAsync(portal)).StatusCode);
        foreach (var portal in new[] { a, b })
            Assert.Contains("Aucun e-mail supplémentaire", await (await ForgotAsync(portal)).Content.ReadAsStringAsync());
        await UntilAsync(() => Sent("Réinitialisation de votre mot de passe") >= 2, 30, "les e-mails de réinitialisation");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(2, Sent("Réinitialisation de votre mot de passe"));
        // Another account is not slowed by it, on either instance.
        using var other = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = b.BaseAddress };
        Assert.Equal(HttpStatusCode.Redirect, (await other.PostForm("/connexion", new() { ["Email"] = Vendor, ["Password"] = Password })).StatusCode);
    }

    /// <summary>A small deposit of <paramref name="count"/> advances, treated at once; returns the numbers given.</summary>
    private static async Task<List<string>> DepositAsync(PortalProcess portal, int count)
    {
        var (form, _) = await LargeDepositAsync(portal, count);
        var response = await portal.Client("demo-agendapro").PostAsync("/api/v1/depots", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Json(response)).GetProperty("demandes").EnumerateArray().Select(d => d.GetProperty("numero").GetString()!).ToList();
    }

    private static async Task OpenRoundAsync(PortalProcess portal, string number)
    {
        var body = JsonSerializer.Serialize(new JsonObject { ["commentaire"] = "Corrigez le contact.", ["elements"] = new JsonArray(Guichet.Domain.EditableField.ContactSupport) });
        var response = await portal.Client("demo-gestionnaire").PostAsync($"/api/v1/demandes/{number}/demande-de-modification", Body(body));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>How many messages whose subject starts with <paramref name="subject"/> reached the catcher.</summary>
    private int Sent(string subject) => _smtp!.Received.Count(m => (m.Subject ?? "").StartsWith(subject, StringComparison.Ordinal));

    /// <summary>No message reached the catcher twice (the same outbox row sent by both dispatchers would keep its Message-ID).</summary>
    private void AssertNoDuplicate()
    {
        var twice = _smtp!.Received.GroupBy(m => (m.MessageId, string.Join(",", m.To), m.Subject)).Where(g => g.Count() > 1).Select(g => g.Key.Subject).ToList();
        Assert.Empty(twice);
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Env["ConnectionStrings__Guichet"]);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L, CultureInfo.InvariantCulture);
    }

    private static Task UntilAsync(Func<bool> condition, int seconds, string what) => UntilAsync(() => Task.FromResult(condition()), seconds, what);

    private static async Task UntilAsync(Func<Task<bool>> condition, int seconds, string what)
    {
        var bound = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < bound)
        {
            if (await condition()) return;
            await Task.Delay(200);
        }
        Assert.Fail($"{what} : pas observé en {seconds} s.");
    }
}

/// <summary>The shared sign-in counter lives in the database: with the database down, signing in is an honest 503, never a 500.</summary>
[Trait("Category", "Faults")]
public sealed partial class SharedLimitOutageTests() : FaultScenario("Postgres")
{
    [Fact]
    public async Task Signing_in_while_the_database_is_down_answers_503_in_French_and_works_once_it_is_back()
    {
        var env = new Dictionary<string, string>(Env) { ["RateLimits__Enabled"] = "true" };
        await using var portal = await PortalProcess.StartAsync(env);
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
            { BaseAddress = portal.BaseAddress };
        var token = Token().Match(await client.GetStringAsync("/connexion")).Groups[1].Value;
        FormUrlEncodedContent Form() => new(new Dictionary<string, string>
            { ["Email"] = "editeur@agendapro.test", ["Password"] = "Guichet-Demo-2026!", ["__RequestVerificationToken"] = token });

        await Server!.StopAsync("immediate");
        try
        {
            await FaultRequests.AssertUnavailable(await client.PostAsync("/connexion", Form()), api: false);
        }
        finally
        {
            await Server.StartAgainAsync();
        }
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostAsync("/connexion", Form())).StatusCode);
    }

    [System.Text.RegularExpressions.GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex Token();
}
