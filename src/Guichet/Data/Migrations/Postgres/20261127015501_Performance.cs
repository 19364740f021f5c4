using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Guichet.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Performance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            migrationBuilder.CreateIndex(
                name: "IX_Requests_ClientId",
                table: "Requests",
                column: "ClientId");

            migrationBuilder.CreateIndex(
                name: "IX_Requests_LastModifiedByVendorAt",
                table: "Requests",
                column: "LastModifiedByVendorAt");

            migrationBuilder.CreateIndex(
                name: "IX_Requests_Number_Trgm",
                table: "Requests",
                column: "Number")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            migrationBuilder.CreateIndex(
                name: "IX_Requests_SchemeCode_Type_Status",
                table: "Requests",
                columns: new[] { "SchemeCode", "Type", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Requests_VendorReference_Trgm",
                table: "Requests",
                column: "VendorReference")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            // The free text compares lower("ClientName"): an expression index, which the EF model cannot describe.
            migrationBuilder.Sql("""CREATE INDEX "IX_Requests_ClientName_Lower_Trgm" ON "Requests" USING gin (lower("ClientName") gin_trgm_ops);""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX "IX_Requests_ClientName_Lower_Trgm";""");

            migrationBuilder.DropIndex(
                name: "IX_Requests_ClientId",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_LastModifiedByVendorAt",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_Number_Trgm",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_SchemeCode_Type_Status",
                table: "Requests");

            migrationBuilder.DropIndex(
                name: "IX_Requests_VendorReference_Trgm",
                table: "Requests");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:PostgresExtension:pg_trgm", ",,");
        }
    }
}
