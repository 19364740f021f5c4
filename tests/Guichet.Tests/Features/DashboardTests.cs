using System.Net;
using Guichet.Data;
using Guichet.Domain;
using Guichet.Instruction;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tests.Features;

/// <summary>« Tableau de bord »: every figure equals the same count made here directly on the database.</summary>
public abstract class DashboardTests(GuichetApp app)
{
    private static readonly Actor Manager = new("Claire Petit (ASP)", "Gestionnaire", null);

    [Fact]
    public async Task Dashboard_figures_equal_the_counts_made_directly_on_the_database()
    {
        // Decisions taken 1 to 9 days after deposit, so the percentiles fall between distinct values.
        for (var i = 1; i <= 5; i++)
        {
            var number = await app.NewAsync();
            var days = i * 2 - 1;
            await app.ChangeAsync(number, r =>
            {
                if (days % 3 == 0) r.Reject(Manager, "Pièce illisible.", r.DepositedAt.AddDays(days).AddHours(i));
                else r.Validate(Manager, r.DepositedAt.AddDays(days).AddHours(i));
            });
        }
        await app.NewExpiredAsync();
        var now = app.Clock.UtcNow;

        var figures = await app.Db(db => Dashboard.RunAsync(db, now, CancellationToken.None));

        var requests = await app.Db(db => db.Requests.AsNoTracking().Select(r => new { r.Status, r.SchemeCode, r.DepositedAt, r.DecisionSeconds }).ToListAsync());
        var byStatusAndScheme = requests.GroupBy(r => (r.Status, r.SchemeCode)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(byStatusAndScheme.OrderBy(x => x.Key.ToString()), figures.ByStatusAndScheme.OrderBy(x => x.Key.ToString()));

        Assert.Equal(26, figures.DepositsPerWeek.Count);
        var today = ParisCalendar.DateOf(now);
        Assert.Equal(DayOfWeek.Monday, figures.DepositsPerWeek[^1].Monday.DayOfWeek);
        Assert.InRange(today.DayNumber - figures.DepositsPerWeek[^1].Monday.DayNumber, 0, 6);
        foreach (var (monday, deposits) in figures.DepositsPerWeek)
            Assert.Equal(requests.Count(r => ParisCalendar.DateOf(r.DepositedAt) is var d && d >= monday && d <= monday.AddDays(6)), deposits);
        Assert.True(figures.DepositsPerWeek.Sum(w => w.Deposits) > 0);

        var rounds = await app.Db(db => db.Rounds.AsNoTracking().ToListAsync());
        var open = rounds.Where(r => r.ClosedAt is null).ToList();
        Assert.Equal(open.Count, figures.OpenRounds);
        Assert.Equal(open.Count(r => r.ReminderSentAt is null && r.ReminderDueAt < now.AddDays(7)), figures.RemindersDueIn7Days);
        Assert.Equal(open.Count(r => r.ClosingDueAt < now.AddDays(7)), figures.ClosingsDueIn7Days);
        Assert.True(figures.OpenRounds > 0 && figures.RemindersDueIn7Days > 0, "the demo data has rounds whose J+10 is tomorrow");
        foreach (var outcome in Enum.GetValues<RoundOutcome>())
            Assert.Equal(rounds.Count(r => r.Outcome == outcome), figures.ClosedRoundOutcomes.GetValueOrDefault(outcome));
        Assert.True(figures.ClosedRoundOutcomes.GetValueOrDefault(RoundOutcome.Expired) > 0);

        // Decision times are kept to the hour: each counts as the middle of its whole hour.
        var delays = requests.Where(r => r.DecisionSeconds is not null).Select(r => r.DecisionSeconds!.Value / 3600 * 3600 + 1800.0).Order().ToList();
        Assert.Equal(delays.Count, figures.Decided);
        Assert.True(delays.Count >= 5);
        Assert.Equal(PercentileCont(delays, 0.5), figures.MedianDecisionSeconds!.Value, 6);
        Assert.Equal(PercentileCont(delays, 0.9), figures.P90DecisionSeconds!.Value, 6);

        // The page shows the same figures, each table cell linking to the queue with its filter.
        var page = await (await app.SignedIn("gestionnaire@asp.test")).GetStringAsync("/instruction/tableau-de-bord");
        var enCours = byStatusAndScheme.GetValueOrDefault((RequestStatus.EnCours, FundingScheme.SasEffecteur));
        Assert.Matches($"data-chiffre=\"EN_COURS\\|SAS_EFFECTEUR\"><a href=\"/instruction\\?statut=EN_COURS&amp;dispositif=SAS_EFFECTEUR\">{enCours}<", page);
        Assert.Contains($"data-chiffre=\"tours|ouverts\"><a href=\"/instruction?statut=A_MODIFIER\">{figures.OpenRounds}<", page);
        Assert.Contains($"data-chiffre=\"delai|mediane\">{DashboardModel.Days(PercentileCont(delays, 0.5))}<", page);
        Assert.Contains("<svg class=\"gx-chart\"", page);
        Assert.Equal(0, await app.Db(db => DashboardTallies.DifferencesAsync(db, CancellationToken.None)));
    }

    [Fact]
    public async Task Only_managers_open_the_dashboard()
    {
        Assert.Equal(HttpStatusCode.OK, (await (await app.SignedIn("gestionnaire@asp.test")).GetAsync("/instruction/tableau-de-bord")).StatusCode);
        foreach (var email in new[] { "editeur@agendapro.test", "assistance@asp.test" })
        {
            var response = await (await app.SignedIn(email)).GetAsync("/instruction/tableau-de-bord");
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/acces-refuse", response.Headers.Location!.PathAndQuery);
        }
    }

    [Fact]
    public async Task The_migration_takes_the_decision_time_of_requests_decided_before_it_from_their_history()
    {
        var number = await app.NewAsync();
        await app.ChangeAsync(number, r => r.Validate(Manager, r.DepositedAt.AddDays(4).AddMinutes(7)));
        // As before the migration: decided requests without their decision time.
        await app.Db(db => db.Requests.Where(r => r.DecidedAt != null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.DecidedAt, (DateTime?)null).SetProperty(r => r.DecisionSeconds, (long?)null)));
        await app.Db(db => db.Database.ExecuteSqlRawAsync(db.Database.IsNpgsql() ? DecisionTimes.PostgresBackfill : DecisionTimes.SqliteBackfill));
        // The dashboard's tallies, rebuilt from the backfilled columns as the migration AddDashboardTallies does, agree with them.
        await app.Db(db => db.Database.ExecuteSqlRawAsync(DashboardTallies.RebuildSql(db.Database.IsNpgsql())));
        Assert.Equal(0, await app.Db(db => DashboardTallies.DifferencesAsync(db, CancellationToken.None)));

        var decided = await app.Db(db => db.Requests.AsNoTracking().Include(r => r.History)
            .Where(r => r.Status == RequestStatus.Validee || r.Status == RequestStatus.Rejetee || r.Status == RequestStatus.DecideeEtPayee).ToListAsync());
        Assert.True(decided.Count > 1);
        foreach (var r in decided)
        {
            var first = r.History.Where(h => h.FromStatus == RequestStatus.EnCours && h.ToStatus is RequestStatus.Validee or RequestStatus.Rejetee).Min(h => h.At);
            Assert.Equal(first, r.DecidedAt!.Value, TimeSpan.FromMilliseconds(1));
            Assert.InRange(r.DecisionSeconds!.Value, (long)(first - r.DepositedAt).TotalSeconds - 1, (long)(first - r.DepositedAt).TotalSeconds);
        }
        var mine = Assert.Single(decided, r => r.Number == number);
        Assert.Equal((long)TimeSpan.FromDays(4).Add(TimeSpan.FromMinutes(7)).TotalSeconds, mine.DecisionSeconds);
    }

    // PostgreSQL's percentile_cont, written out: rank p·(n−1), linear between the two neighbours.
    private static double PercentileCont(List<double> sorted, double p)
    {
        var rank = p * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
    }
}

public sealed class DashboardTestsOnSqlite(SqliteApp app) : DashboardTests(app), IClassFixture<SqliteApp>;

public sealed class DashboardTestsOnPostgres(PostgresApp app) : DashboardTests(app), IClassFixture<PostgresApp>;
