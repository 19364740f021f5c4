using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Guichet.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Deposits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DepositJobs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    OrganisationId = table.Column<int>(type: "integer", nullable: false),
                    UserId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    JsonFileName = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    ZipFileName = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Total = table.Column<int>(type: "integer", nullable: false),
                    Processed = table.Column<int>(type: "integer", nullable: false),
                    ResultJson = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DepositJobs", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Requests_LiveAdvance",
                table: "Requests",
                columns: new[] { "SchemeCode", "ClientIdType", "ClientId" },
                unique: true,
                filter: "\"Type\" = 'AVANCE' AND \"Status\" <> 'REJETEE'");

            migrationBuilder.CreateIndex(
                name: "IX_Requests_LiveBalance",
                table: "Requests",
                column: "AdvanceNumber",
                unique: true,
                filter: "\"Type\" = 'SOLDE' AND \"Status\" <> 'REJETEE'");

            migrationBuilder.CreateIndex(
                name: "IX_DepositJobs_OrganisationId_CreatedAt",
                table: "DepositJobs",
                columns: new[] { "OrganisationId", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DepositJobs");

            migrationBuilder.DropIndex(
                name: "IX_Requests_LiveAdvance",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_LiveBalance",
                table: "Requests");
        }
    }
}
