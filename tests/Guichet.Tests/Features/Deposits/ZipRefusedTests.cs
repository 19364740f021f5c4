using Guichet.Tests.Support;

namespace Guichet.Tests.Features.Deposits;

/// <summary>The ZIP of a deposit is read defensively: hostile or inconsistent archives are refused and nothing is stored.</summary>
public abstract class ZipRefusedTests(GuichetApp app) : DepositScenario(app)
{
    public static TheoryData<string, string> ZipErrors() => new()
    {
        { "traversal", "Chemin interdit" },
        { "bomb", "taux de compression anormal" },
        { "nested", "archive" },
        { "executable", "ne correspond pas à son extension" },
        { "tooLarge", "taille maximale" },
        { "missing", "absent du ZIP" },
        { "extra", "n'est cité par aucune demande" },
        { "notZip", "illisible" },
        { "exe", "n'est pas accepté" },
    };

    [Theory]
    [MemberData(nameof(ZipErrors))]
    public async Task Hostile_or_inconsistent_zips_are_refused_and_nothing_is_stored(string kind, string words)
    {
        var example = await Example();
        var d = DepositFiles.FreshAdvance(example, Seed());
        byte[] zip;
        switch (kind)
        {
            case "traversal":
                zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf), ("../../etc/evil.pdf", DepositFiles.Pdf));
                break;
            case "bomb":
                d["piecesJointes"]![0]!["fichier"] = "bombe.pdf";
                zip = DepositFiles.Zip(("bombe.pdf", [.. "%PDF-"u8, .. new byte[15 * 1024 * 1024]]));
                break;
            case "nested":
                d["piecesJointes"]![0]!["fichier"] = "interne.pdf";
                zip = DepositFiles.Zip(("interne.pdf", DepositFiles.Zip(("a.pdf", DepositFiles.Pdf))));
                break;
            case "executable":
                zip = DepositFiles.Zip(("bc-2026-001.pdf", [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00]));
                break;
            case "tooLarge":
                var big = new byte[21 * 1024 * 1024];
                Random.Shared.NextBytes(big);
                "%PDF-"u8.CopyTo(big);
                zip = DepositFiles.Zip(("bc-2026-001.pdf", big));
                break;
            case "missing":
                zip = DepositFiles.Zip(("autre-nom.pdf", DepositFiles.Pdf));
                break;
            case "extra":
                zip = DepositFiles.Zip(("bc-2026-001.pdf", DepositFiles.Pdf), ("en-trop.png", DepositFiles.Png));
                break;
            case "notZip":
                zip = "ceci n'est pas une archive"u8.ToArray();
                break;
            default: // exe
                d["piecesJointes"]![0]!["fichier"] = "setup.exe";
                zip = DepositFiles.Zip(("setup.exe", [0x4D, 0x5A, 0x90, 0x00]));
                break;
        }
        var path = kind is "missing" or "executable" or "exe" or "nested" ? "$.demandes[0].piecesJointes[0]" : "zip";
        await Refused(AgendaPro, DepositFiles.Form(DepositFiles.With(example, d), zip), path, words);
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class ZipRefusedTestsOnSqlite(SqliteApp app) : ZipRefusedTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class ZipRefusedTestsOnPostgres(PostgresApp app) : ZipRefusedTests(app);
