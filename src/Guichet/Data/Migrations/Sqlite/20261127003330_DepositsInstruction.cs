using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Guichet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DepositsInstruction : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DepositJobs",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    OrganisationId = table.Column<int>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: false),
                    JsonFileName = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    ZipFileName = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Total = table.Column<int>(type: "INTEGER", nullable: false),
                    Processed = table.Column<int>(type: "INTEGER", nullable: false),
                    ResultJson = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DepositJobs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "OutboxMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MessageId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    FundingRequestId = table.Column<long>(type: "INTEGER", nullable: true),
                    Recipients = table.Column<string>(type: "TEXT", nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    HtmlBody = table.Column<string>(type: "TEXT", nullable: false),
                    TextBody = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    SentAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    LeaseToken = table.Column<Guid>(type: "TEXT", nullable: true),
                    LeaseUntil = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OutboxMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OutboxMessages_Requests_FundingRequestId",
                        column: x => x.FundingRequestId,
                        principalTable: "Requests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "RequestViews",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    FundingRequestId = table.Column<long>(type: "INTEGER", nullable: false),
                    ViewedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RequestViews", x => new { x.UserId, x.FundingRequestId });
                    table.ForeignKey(
                        name: "FK_RequestViews_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_RequestViews_Requests_FundingRequestId",
                        column: x => x.FundingRequestId,
                        principalTable: "Requests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Requests_DepositedAt",
                table: "Requests",
                column: "DepositedAt");

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
                name: "IX_Requests_Status_DepositedAt",
                table: "Requests",
                columns: new[] { "Status", "DepositedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_DepositJobs_OrganisationId_CreatedAt",
                table: "DepositJobs",
                columns: new[] { "OrganisationId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_FundingRequestId",
                table: "OutboxMessages",
                column: "FundingRequestId");

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_LeaseToken",
                table: "OutboxMessages",
                column: "LeaseToken");

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_MessageId",
                table: "OutboxMessages",
                column: "MessageId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_SentAt_NextAttemptAt",
                table: "OutboxMessages",
                columns: new[] { "SentAt", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestViews_FundingRequestId",
                table: "RequestViews",
                column: "FundingRequestId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DepositJobs");

            migrationBuilder.DropTable(
                name: "OutboxMessages");

            migrationBuilder.DropTable(
                name: "RequestViews");

            migrationBuilder.DropIndex(
                name: "IX_Requests_DepositedAt",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_LiveAdvance",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_LiveBalance",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_Status_DepositedAt",
                table: "Requests");
        }
    }
}
