using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Guichet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Performance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Requests_ClientId",
                table: "Requests",
                column: "ClientId");

            migrationBuilder.CreateIndex(
                name: "IX_Requests_LastModifiedByVendorAt",
                table: "Requests",
                column: "LastModifiedByVendorAt");

            migrationBuilder.CreateIndex(
                name: "IX_Requests_SchemeCode_Type_Status",
                table: "Requests",
                columns: new[] { "SchemeCode", "Type", "Status" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Requests_ClientId",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_LastModifiedByVendorAt",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_SchemeCode_Type_Status",
                table: "Requests");
        }
    }
}
