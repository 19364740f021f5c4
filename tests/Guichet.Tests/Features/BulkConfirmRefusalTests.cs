using System.Net;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Tests.Features;

/// <summary>
/// The confirmation page of an opération groupée refused (nothing ticked, no reason for « Rejeter »): a 400 page whose
/// title starts with « Erreur – », the French reason in an alert focused on load (as every error summary), and no operation.
/// </summary>
public abstract class BulkConfirmRefusalTests(GuichetApp app)
{
    [Theory]
    [InlineData("valider", "", "Cochez au moins une demande dans la file, ou choisissez « tous les résultats du filtre ».")]
    [InlineData("rejeter", "motif-vide", "Le motif du rejet est obligatoire.")]
    public async Task A_refused_bulk_selection_is_read_first_and_starts_nothing(string action, string variant, string message)
    {
        var manager = await app.SignedIn("gestionnaire@asp.test");
        var before = await app.Db(db => db.BulkOperations.CountAsync());
        var fields = new Dictionary<string, string> { ["Action"] = action, ["Portee"] = "cochees", ["Filtre"] = "" };
        if (variant == "motif-vide") fields["Numeros"] = (await app.Db(db => db.Requests.Select(r => r.Number).FirstAsync()));

        var response = await manager.PostForm("/instruction/operations-groupees/nouvelle", fields, "/instruction");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = Readable.Of(await response.Content.ReadAsStringAsync());
        Assert.Contains("<title>Erreur – Confirmer l'opération groupée — Guichet Ségur numérique</title>", html);
        Assert.Contains("role=\"alert\" id=\"resume-erreurs\" tabindex=\"-1\" aria-labelledby=\"resume-erreurs-titre\"", html);
        Assert.Contains("/js/error-summary.js", html);
        Assert.Contains(message, html);
        Assert.DoesNotContain("Confirmer</button>", html);
        Assert.Equal(before, await app.Db(db => db.BulkOperations.CountAsync()));
    }
}

public sealed class BulkConfirmRefusalTestsOnSqlite(SqliteApp app) : BulkConfirmRefusalTests(app), IClassFixture<SqliteApp>;

public sealed class BulkConfirmRefusalTestsOnPostgres(PostgresApp app) : BulkConfirmRefusalTests(app), IClassFixture<PostgresApp>;
