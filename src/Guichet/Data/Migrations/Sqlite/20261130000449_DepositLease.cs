using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Guichet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DepositLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ContentSha256",
                table: "DepositJobs",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "HeartbeatAt",
                table: "DepositJobs",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<string>(
                name: "IdempotencyKey",
                table: "DepositJobs",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Documents_StorageKey",
                table: "Documents",
                column: "StorageKey");

            migrationBuilder.CreateIndex(
                name: "IX_DepositJobs_OrganisationId_IdempotencyKey",
                table: "DepositJobs",
                columns: new[] { "OrganisationId", "IdempotencyKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DepositJobs_Status_HeartbeatAt",
                table: "DepositJobs",
                columns: new[] { "Status", "HeartbeatAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Documents_StorageKey",
                table: "Documents");

            migrationBuilder.DropIndex(
                name: "IX_DepositJobs_OrganisationId_IdempotencyKey",
                table: "DepositJobs");

            migrationBuilder.DropIndex(
                name: "IX_DepositJobs_Status_HeartbeatAt",
                table: "DepositJobs");

            migrationBuilder.DropColumn(
                name: "ContentSha256",
                table: "DepositJobs");

            migrationBuilder.DropColumn(
                name: "HeartbeatAt",
                table: "DepositJobs");

            migrationBuilder.DropColumn(
                name: "IdempotencyKey",
                table: "DepositJobs");
        }
    }
}
