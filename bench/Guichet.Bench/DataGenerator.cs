using System.Globalization;

namespace Guichet.Bench;

/// <summary>
/// Fills the portal's tables (created by its <c>migrate</c> verb) with vendors, solutions, requests in every status,
/// attachment metadata, history and modification rounds. Vendor 1 is the « large » vendor. Requests come in blocks of
/// five of one vendor: three advances, one paid advance and the balance that settles it, so that every unique index of
/// the model holds (one live advance per client, one live balance per advance, unique numbers and references).
/// </summary>
public sealed class DataGenerator(Database db, BenchOptions o, DateTime now)
{
    public const string Password = "Bench-Guichet-2026!";
    public const int BigVendorId = 1;
    public static readonly DateOnly ReferencingDate = new(2025, 9, 1);

    public sealed record RequestSpec(long Id, int Org, string Number, string Reference, string Type, string Scheme, int SolutionId,
        string ClientIdType, string ClientId, string ClientName, DateOnly PurchaseOrderDate, DateOnly? GoLive, string? AdvanceNumber,
        decimal Amount, string Status, DateTime DepositedAt, DateTime UpdatedAt, DateTime? ModifiedByVendorAt, RoundKind Round);

    public enum RoundKind { None, OpenRecent, OpenDue, ClosedExpired, ClosedConfirmed }

    private static readonly string[] Statuses = ["INCOMPLETE", "EN_COURS", "A_MODIFIER", "VALIDEE", "REJETEE", "DECIDEE_ET_PAYEE"];

    public static string Siret(int org)
    {
        var body = "8" + org.ToString("D8", CultureInfo.InvariantCulture) + "0001";
        for (var d = 0; d < 10; d++)
            if (Luhn(body + d)) return body + d;
        throw new InvalidOperationException();
    }

    private static bool Luhn(string digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }

    public static int EffectorSolution(int org) => 2 * org - 1;
    public static string EffectorSolutionNumber(int org) => $"BENCH-EFF-{org:D4}";

    private static uint Hash(long k)
    {
        var x = (ulong)k * 0x9E3779B97F4A7C15UL;
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9UL;
        return (uint)(x >> 32);
    }

    public int OrgOf(long k) => k < o.BigVendorRequests ? BigVendorId : 2 + (int)((k - o.BigVendorRequests) / 5 % (o.Vendors - 1));

    private static (string Type, string Status, bool Regulator) Shape(long k)
    {
        var h = Hash(k);
        var slot = k % 5;
        var status = (h % 100) switch
        {
            < 10 => "INCOMPLETE", < 45 => "EN_COURS", < 55 => "A_MODIFIER", < 75 => "VALIDEE", < 85 => "REJETEE", _ => "DECIDEE_ET_PAYEE",
        };
        return slot switch
        {
            3 => ("AVANCE", "DECIDEE_ET_PAYEE", false),
            4 => ("SOLDE", status, false),
            _ => ("AVANCE", status, slot == 0 && (h >> 8) % 2 == 0),
        };
    }

    /// <summary>The number of requests to generate so that exactly <paramref name="wanted"/> are regulator requests « en cours » (the bulk part's selection).</summary>
    public static int RequestsWithRegulatorsInProgress(int wanted)
    {
        var found = 0;
        for (long k = 0; ; k++)
            if (Shape(k) is { Regulator: true, Status: "EN_COURS" } && ++found == wanted) return (int)k + 1;
    }

    /// <summary>Every request, computed from its index alone (so each table is written by one pass over the same specs).</summary>
    public IEnumerable<RequestSpec> Requests()
    {
        var openRounds = 0L;
        for (long k = 0; k < o.Requests; k++)
            if (Shape(k).Status == "A_MODIFIER") openRounds++;
        var dueEvery = Math.Max(1, openRounds / Math.Max(1, o.DueRounds));
        long seen = 0, due = 0, advances = 0, balances = 0;
        var advanceNumbers = new string[5];
        for (long k = 0; k < o.Requests; k++)
        {
            var (type, status, regulator) = Shape(k);
            var h = Hash(k + 7_777_777);
            var org = OrgOf(k);
            var scheme = regulator ? "SAS_REGULATEUR" : "SAS_EFFECTEUR";
            var number = type == "AVANCE" ? $"SAS-A-2026-{++advances:D6}" : $"SAS-S-2026-{++balances:D6}";
            advanceNumbers[k % 5] = number;
            var deposited = now.AddMinutes(-(int)(h % (300 * 24 * 60)) - 60 * 24 * 25);
            var updated = deposited.AddMinutes((h >> 3) % (5 * 24 * 60));
            var round = RoundKind.None;
            DateTime? modified = null;
            if (status == "A_MODIFIER")
            {
                round = seen++ % dueEvery == 0 && due < o.DueRounds ? RoundKind.OpenDue : RoundKind.OpenRecent;
                if (round == RoundKind.OpenDue) due++;
                updated = round == RoundKind.OpenDue ? now.AddDays(-12) : now.AddDays(-2);
            }
            else if (status == "EN_COURS" && h % 50 == 0) round = RoundKind.ClosedExpired;
            else if (status == "EN_COURS" && h % 50 == 1)
            {
                round = RoundKind.ClosedConfirmed;
                modified = updated;
            }
            var clientType = regulator ? "FINESS" : "RPPS";
            // The balance in slot 4 settles the paid advance of slot 3: same client.
            var clientKey = type == "SOLDE" ? k - 1 : k;
            var clientId = regulator ? "2" + clientKey.ToString("D8", CultureInfo.InvariantCulture) : "1" + clientKey.ToString("D10", CultureInfo.InvariantCulture);
            var po = DateOnly.FromDateTime(deposited).AddDays(-10);
            yield return new RequestSpec(k + 1, org, number, $"R-{k:D7}", type, scheme, regulator ? 2 * org : 2 * org - 1,
                clientType, clientId, $"Client {clientKey} {(regulator ? "Centre hospitalier" : "Dr Martin")}",
                po, type == "SOLDE" ? po.AddDays(5) : null, type == "SOLDE" ? advanceNumbers[3] : null,
                type == "SOLDE" ? 700.00m : regulator ? 6_000.00m : 300.00m, status, deposited, updated, modified, round);
        }
    }

    public async Task RunAsync()
    {
        await OrganisationsAsync();
        var first = await WriteRequestsAsync();
        Console.WriteLine($"  demandes : {first} lignes");
        Console.WriteLine($"  pièces : {await WriteDocumentsAsync()} lignes");
        Console.WriteLine($"  historique : {await WriteHistoryAsync()} lignes");
        Console.WriteLine($"  tours de modification : {await WriteRoundsAsync()} lignes");
        foreach (var t in new[] { "Organisations", "Solutions", "Requests", "History", "Rounds" }) await db.ResetIdentityAsync(t);
        var advances = await db.ScalarAsync<long>("SELECT count(*) FROM \"Requests\" WHERE \"Type\" = 'AVANCE'");
        var balances = await db.ScalarAsync<long>("SELECT count(*) FROM \"Requests\" WHERE \"Type\" = 'SOLDE'");
        // The counter table the portal keeps on every save, filled as its migration and its recount verb do.
        await db.ExecuteAsync("""
            DELETE FROM "RequestCounts";
            INSERT INTO "RequestCounts" ("OrganisationId", "SchemeCode", "Type", "Status", "Count")
            SELECT "OrganisationId", "SchemeCode", "Type", "Status", COUNT(*) FROM "Requests" GROUP BY "OrganisationId", "SchemeCode", "Type", "Status";
            """);
        // And the dashboard's tallies, as its migration does (DashboardTallies.RebuildSql).
        await db.ExecuteAsync(db.IsPostgres
            ? """
              DELETE FROM "DepositTallies";
              INSERT INTO "DepositTallies" ("Hour", "Count") SELECT floor(extract(epoch from "DepositedAt") / 3600)::bigint, COUNT(*) FROM "Requests" GROUP BY 1;
              DELETE FROM "DecisionDelayTallies";
              INSERT INTO "DecisionDelayTallies" ("Hours", "Count")
              SELECT GREATEST("DecisionSeconds", 0) / 3600, COUNT(*) FROM "Requests" WHERE "DecisionSeconds" IS NOT NULL GROUP BY 1;
              """
            : """
              DELETE FROM "DepositTallies";
              INSERT INTO "DepositTallies" ("Hour", "Count") SELECT CAST(strftime('%s', "DepositedAt") AS INTEGER) / 3600, COUNT(*) FROM "Requests" GROUP BY 1;
              DELETE FROM "DecisionDelayTallies";
              INSERT INTO "DecisionDelayTallies" ("Hours", "Count")
              SELECT MAX("DecisionSeconds", 0) / 3600, COUNT(*) FROM "Requests" WHERE "DecisionSeconds" IS NOT NULL GROUP BY 1;
              """);
        await db.ExecuteAsync("DELETE FROM \"Sequences\"");
        await db.ExecuteAsync("INSERT INTO \"Sequences\" (\"Key\", \"Value\") VALUES ('SAS-A-2026', @a), ('SAS-S-2026', @s)", ("a", advances), ("s", balances));
        // As autovacuum would after a bulk load: statistics, and the visibility map that index-only scans need.
        await db.ExecuteAsync(db.IsPostgres ? "VACUUM ANALYZE" : "ANALYZE");
    }

    private async Task OrganisationsAsync()
    {
        await using (var w = await db.WriterAsync("Organisations", ("Id", Col.Int), ("Name", Col.Text), ("Siret", Col.Text)))
        {
            for (var org = 1; org <= o.Vendors; org++)
                await w.RowAsync(org, org == BigVendorId ? "Grand Éditeur Bench" : $"Éditeur bench {org:D4}", Siret(org));
            await w.CompleteAsync();
        }
        await using (var w = await db.WriterAsync("Solutions", ("Id", Col.Int), ("OrganisationId", Col.Int), ("Name", Col.Text), ("Version", Col.Text),
            ("ReferencingNumber", Col.Text), ("ReferencingDate", Col.Date), ("SchemeCode", Col.Text)))
        {
            for (var org = 1; org <= o.Vendors; org++)
            {
                await w.RowAsync(2 * org - 1, org, $"Agenda bench {org}", "1", EffectorSolutionNumber(org), ReferencingDate, "SAS_EFFECTEUR");
                await w.RowAsync(2 * org, org, $"Régulation bench {org}", "1", $"BENCH-REG-{org:D4}", ReferencingDate, "SAS_REGULATEUR");
            }
            await w.CompleteAsync();
        }
    }

    private async Task<long> WriteRequestsAsync()
    {
        await using var w = await db.WriterAsync("Requests", ("Id", Col.Long), ("Number", Col.Text), ("OrganisationId", Col.Int), ("VendorReference", Col.Text),
            ("Type", Col.Text), ("SchemeCode", Col.Text), ("SolutionId", Col.Int), ("ClientIdType", Col.Text), ("ClientId", Col.Text), ("ClientName", Col.Text),
            ("PurchaseOrderNumber", Col.Text), ("PurchaseOrderDate", Col.Date), ("GoLiveDate", Col.Date), ("AdvanceNumber", Col.Text), ("Amount", Col.Money),
            ("ContactSupport", Col.Text), ("Status", Col.Text), ("RejectionReason", Col.Text), ("DepositedAt", Col.Timestamp), ("UpdatedAt", Col.Timestamp),
            ("LastModifiedByVendorAt", Col.Timestamp), ("LastRoundOutcome", Col.Text), ("Version", Col.Int), ("DecidedAt", Col.Timestamp), ("DecisionSeconds", Col.Long));
        foreach (var r in Requests())
        {
            // A decided request carries its decision time as the portal keeps it (the dashboard's percentiles read it).
            var decided = r.Status is "VALIDEE" or "REJETEE" or "DECIDEE_ET_PAYEE";
            await w.RowAsync(r.Id, r.Number, r.Org, r.Reference, r.Type, r.Scheme, r.SolutionId, r.ClientIdType, r.ClientId, r.ClientName,
                $"BC-{r.Id}", r.PurchaseOrderDate, r.GoLive, r.AdvanceNumber, r.Amount, $"https://support.editeur{r.Org}.test/sas", r.Status,
                r.Status == "REJETEE" ? "Pièce justificative non conforme." : null, r.DepositedAt, r.UpdatedAt, r.ModifiedByVendorAt,
                r.Round switch { RoundKind.ClosedExpired => "Expired", RoundKind.ClosedConfirmed => "Confirmed", _ => null }, 1,
                decided ? r.UpdatedAt : null, decided ? (long)(r.UpdatedAt - r.DepositedAt).TotalSeconds : null);
        }
        await w.CompleteAsync();
        return w.Rows;
    }

    private async Task<long> WriteDocumentsAsync()
    {
        await using var w = await db.WriterAsync("Documents", ("Id", Col.Uuid), ("FundingRequestId", Col.Long), ("Type", Col.Text), ("FileName", Col.Text),
            ("StorageKey", Col.Text), ("ContentType", Col.Text), ("Size", Col.Long), ("Sha256", Col.Text), ("AddedAt", Col.Timestamp), ("RoundId", Col.Long), ("IsDraft", Col.Bool));
        var sha = new string('a', 64);
        foreach (var r in Requests())
        {
            var types = r.Type == "AVANCE" ? ["BON_DE_COMMANDE"] : r.Status == "INCOMPLETE" ? ["FACTURE"] : new[] { "FACTURE", "VERIFICATION_APTITUDE" };
            if (r.Type == "AVANCE" && r.Status == "INCOMPLETE") continue;
            for (var i = 0; i < types.Length; i++)
                await w.RowAsync(Guid.CreateVersion7(), r.Id, types[i], $"{types[i].ToLowerInvariant()}-{r.Id}.pdf", (r.Id * 4 + i).ToString("x32", CultureInfo.InvariantCulture),
                    "application/pdf", 102_400L, sha, r.DepositedAt, null, false);
        }
        await w.CompleteAsync();
        return w.Rows;
    }

    private async Task<long> WriteHistoryAsync()
    {
        await using var w = await db.WriterAsync("History", ("Id", Col.Long), ("FundingRequestId", Col.Long), ("At", Col.Timestamp), ("ActorName", Col.Text),
            ("ActorRole", Col.Text), ("ActorUserId", Col.Text), ("Event", Col.Text), ("FromStatus", Col.Text), ("ToStatus", Col.Text), ("Comment", Col.Text),
            ("Changes", Col.Text), ("DocumentsAdded", Col.Text));
        long id = 0;
        foreach (var r in Requests())
        {
            var first = r.Status == "INCOMPLETE" ? "INCOMPLETE" : "EN_COURS";
            await w.RowAsync(++id, r.Id, r.DepositedAt, $"Éditeur {r.Org}", "Fournisseur", null, "Dépôt de la demande", null, first, null, "[]",
                r.Status == "INCOMPLETE" && r.Type == "AVANCE" ? "[]" : $"[\"piece-{r.Id}.pdf\"]");
            if (r.Round is RoundKind.ClosedExpired or RoundKind.ClosedConfirmed)
                await w.RowAsync(++id, r.Id, r.UpdatedAt, "Système", "Système", null,
                    r.Round == RoundKind.ClosedExpired ? "Clôture automatique (délai dépassé)" : "Modification confirmée", "A_MODIFIER", "EN_COURS", null, "[]", "[]");
            else if (r.Status != first)
                await w.RowAsync(++id, r.Id, r.UpdatedAt, "Gestionnaire bench", "Gestionnaire", null, "Changement de statut", "EN_COURS", r.Status,
                    r.Status == "A_MODIFIER" ? "Merci de préciser le contact du support." : null, "[]", "[]");
        }
        await w.CompleteAsync();
        return w.Rows;
    }

    private async Task<long> WriteRoundsAsync()
    {
        await using var w = await db.WriterAsync("Rounds", ("Id", Col.Long), ("FundingRequestId", Col.Long), ("OpenedAt", Col.Timestamp), ("OpenedBy", Col.Text),
            ("OpenedByRole", Col.Text), ("AtVendorRequest", Col.Bool), ("Comment", Col.Text), ("Items", Col.Text), ("ReminderDelayDays", Col.Int),
            ("ClosingDelayDays", Col.Int), ("ReminderDueAt", Col.Timestamp), ("ClosingDueAt", Col.Timestamp), ("ReminderSentAt", Col.Timestamp),
            ("ClosedAt", Col.Timestamp), ("Outcome", Col.Text), ("Draft", Col.Text), ("DraftUpdatedAt", Col.Timestamp));
        long id = 0;
        foreach (var r in Requests())
        {
            if (r.Round == RoundKind.None) continue;
            var opened = r.Round switch
            {
                RoundKind.OpenDue => now.AddDays(-12),
                RoundKind.OpenRecent => now.AddDays(-2),
                _ => r.UpdatedAt.AddDays(-20),
            };
            var midnight = opened.Date; // close enough to the Paris day for bench data
            DateTime? closed = r.Round is RoundKind.ClosedExpired or RoundKind.ClosedConfirmed ? r.UpdatedAt : null;
            var outcome = r.Round switch { RoundKind.ClosedExpired => "Expired", RoundKind.ClosedConfirmed => "Confirmed", _ => null };
            await w.RowAsync(++id, r.Id, opened, "Gestionnaire bench", "Gestionnaire", false, "Merci de préciser le contact du support.",
                "[\"informations.contactSupport\"]", 10, 20, midnight.AddDays(10), midnight.AddDays(20),
                r.Round == RoundKind.ClosedExpired ? midnight.AddDays(10) : null, closed, outcome, "{}", null);
        }
        await w.CompleteAsync();
        return w.Rows;
    }
}
