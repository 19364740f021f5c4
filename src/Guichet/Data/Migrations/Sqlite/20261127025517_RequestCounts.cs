using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Guichet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RequestCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "LastRoundOutcome",
                table: "Requests",
                type: "TEXT",
                maxLength: 20,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RequestCounts",
                columns: table => new
                {
                    OrganisationId = table.Column<int>(type: "INTEGER", nullable: false),
                    SchemeCode = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RequestCounts", x => new { x.OrganisationId, x.SchemeCode, x.Type, x.Status });
                    table.ForeignKey(
                        name: "FK_RequestCounts_Organisations_OrganisationId",
                        column: x => x.OrganisationId,
                        principalTable: "Organisations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Requests_LastRoundOutcome_Status_DepositedAt",
                table: "Requests",
                columns: new[] { "LastRoundOutcome", "Status", "DepositedAt" });
            // Existing data: the counters from the requests, and each request's latest round outcome from its rounds.
            migrationBuilder.Sql("""
                INSERT INTO "RequestCounts" ("OrganisationId", "SchemeCode", "Type", "Status", "Count")
                SELECT "OrganisationId", "SchemeCode", "Type", "Status", COUNT(*) FROM "Requests"
                GROUP BY "OrganisationId", "SchemeCode", "Type", "Status";
                """);
            migrationBuilder.Sql("""
                UPDATE "Requests" SET "LastRoundOutcome" = (
                    SELECT x."Outcome" FROM "Rounds" x WHERE x."FundingRequestId" = "Requests"."Id"
                    ORDER BY x."OpenedAt" DESC, x."Id" DESC LIMIT 1)
                WHERE EXISTS (SELECT 1 FROM "Rounds" y WHERE y."FundingRequestId" = "Requests"."Id");
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RequestCounts");

            migrationBuilder.DropIndex(
                name: "IX_Requests_LastRoundOutcome_Status_DepositedAt",
                table: "Requests");

            migrationBuilder.DropColumn(
                name: "LastRoundOutcome",
                table: "Requests");
        }
    }
}
