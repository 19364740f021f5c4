using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Guichet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddAssignmentAndNotes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AssignedToName",
                table: "Requests",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AssignedToUserId",
                table: "Requests",
                type: "TEXT",
                maxLength: 450,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "DecidedAt",
                table: "Requests",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DecisionSeconds",
                table: "Requests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "InternalNotes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FundingRequestId = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    AuthorName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    AuthorRole = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    AuthorUserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InternalNotes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_InternalNotes_Requests_FundingRequestId",
                        column: x => x.FundingRequestId,
                        principalTable: "Requests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Rounds_ClosedAt_ClosingDueAt",
                table: "Rounds",
                columns: new[] { "ClosedAt", "ClosingDueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Rounds_Outcome",
                table: "Rounds",
                column: "Outcome");

            migrationBuilder.CreateIndex(
                name: "IX_Requests_AssignedToUserId_DepositedAt",
                table: "Requests",
                columns: new[] { "AssignedToUserId", "DepositedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Requests_DecisionSeconds",
                table: "Requests",
                column: "DecisionSeconds");

            migrationBuilder.CreateIndex(
                name: "IX_InternalNotes_FundingRequestId_At",
                table: "InternalNotes",
                columns: new[] { "FundingRequestId", "At" });
            // Requests decided before this migration: their first validation or rejection, read from the history.
            migrationBuilder.Sql(Guichet.Data.DecisionTimes.SqliteBackfill);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "InternalNotes");

            migrationBuilder.DropIndex(
                name: "IX_Rounds_ClosedAt_ClosingDueAt",
                table: "Rounds");

            migrationBuilder.DropIndex(
                name: "IX_Rounds_Outcome",
                table: "Rounds");

            migrationBuilder.DropIndex(
                name: "IX_Requests_AssignedToUserId_DepositedAt",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_DecisionSeconds",
                table: "Requests");

            migrationBuilder.DropColumn(
                name: "AssignedToName",
                table: "Requests");

            migrationBuilder.DropColumn(
                name: "AssignedToUserId",
                table: "Requests");

            migrationBuilder.DropColumn(
                name: "DecidedAt",
                table: "Requests");

            migrationBuilder.DropColumn(
                name: "DecisionSeconds",
                table: "Requests");
        }
    }
}
