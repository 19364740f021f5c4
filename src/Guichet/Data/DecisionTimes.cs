namespace Guichet.Data;

/// <summary>
/// Fills <c>DecidedAt</c> and <c>DecisionSeconds</c> of requests decided before those columns existed, from their history
/// (the first EN_COURS → VALIDEE or REJETEE line). SQLite's julianday is a double: rounded to the millisecond before the
/// whole seconds are taken, so a difference of exactly N seconds is not read as N − 1. Run by the migration <c>AddAssignmentAndNotes</c>; tested on both providers.
/// </summary>
public static class DecisionTimes
{
    public const string SqliteBackfill = """
        UPDATE "Requests" SET "DecidedAt" = (SELECT MIN(h."At") FROM "History" h
            WHERE h."FundingRequestId" = "Requests"."Id" AND h."ToStatus" IN ('VALIDEE', 'REJETEE') AND h."FromStatus" = 'EN_COURS')
        WHERE "DecidedAt" IS NULL AND "Status" IN ('VALIDEE', 'REJETEE', 'DECIDEE_ET_PAYEE');
        UPDATE "Requests" SET "DecisionSeconds" = CAST(round((julianday("DecidedAt") - julianday("DepositedAt")) * 86400000) AS INTEGER) / 1000
        WHERE "DecidedAt" IS NOT NULL AND "DecisionSeconds" IS NULL;
        """;

    public const string PostgresBackfill = """
        UPDATE "Requests" r SET "DecidedAt" = d.at, "DecisionSeconds" = floor(extract(epoch from d.at - r."DepositedAt"))::bigint
        FROM (SELECT h."FundingRequestId" AS id, MIN(h."At") AS at FROM "History" h
              WHERE h."ToStatus" IN ('VALIDEE', 'REJETEE') AND h."FromStatus" = 'EN_COURS' GROUP BY h."FundingRequestId") d
        WHERE d.id = r."Id" AND r."DecidedAt" IS NULL AND r."Status" IN ('VALIDEE', 'REJETEE', 'DECIDEE_ET_PAYEE');
        """;
}
