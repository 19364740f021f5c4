using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Guichet.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddDashboardTallies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DecisionDelayTallies",
                columns: table => new
                {
                    Hours = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DecisionDelayTallies", x => x.Hours);
                });

            migrationBuilder.CreateTable(
                name: "DepositTallies",
                columns: table => new
                {
                    Hour = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DepositTallies", x => x.Hour);
                });

            // The tallies of the requests already there (decision times were backfilled by AddAssignmentAndNotes).
            migrationBuilder.Sql(DashboardTallies.RebuildSql(postgres: false));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DecisionDelayTallies");

            migrationBuilder.DropTable(
                name: "DepositTallies");
        }
    }
}
