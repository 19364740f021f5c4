using System.Globalization;
using Guichet.Accounts;
using Guichet.Data;
using Guichet.Hosting;
using Guichet.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Api;

public sealed record FluxEvenementsDto(IReadOnlyList<EvenementIntegrationDto> Evenements, string Curseur, bool Suite);

/// <summary>
/// <c>/api/v1/evenements</c>: the caller's organisation's events after a cursor, in order. Vendors only: the agency has
/// no organisation of its own, and no feed reads another organisation's events.
/// </summary>
public static class EvenementsApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    public static void MapEvenementsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapApiV1().MapGroup("/evenements").WithTags("Intégration");

        api.MapGet("/", async (HttpContext http, GuichetDbContext db, CancellationToken ct) =>
        {
            var organisation = http.User.OrganisationId() ?? throw Refusal.Forbidden("Le flux d'événements est réservé aux organismes fournisseurs.");
            var (after, limit) = Parse(http.Request.Query);
            var rows = await db.Events.AsNoTracking()
                .Where(e => e.OrganisationId == organisation && e.Position != null && e.Position > after)
                .OrderBy(e => e.Position).Take(limit + 1).ToListAsync(ct);
            var page = rows.Take(limit).ToList();
            var cursor = page.Count > 0 ? page[^1].Position!.Value : after;
            return Results.Ok(new FluxEvenementsDto(page.Select(e => e.ToDto()).ToList(),
                cursor.ToString(CultureInfo.InvariantCulture), rows.Count > limit));
        }).RequireRoles(Roles.Fournisseur)
          .WithName("ListEvents").Answers<FluxEvenementsDto>().Refuses(400)
          .WithSummary("Flux des événements de l'organisme")
          .WithDescription("Les événements de l'organisme de l'appelant après le curseur « apres » (0 ou absent : depuis le début), dans l'ordre, "
              + $"au plus « limite » ({DefaultLimit} par défaut, {MaxLimit} au plus). Rappeler avec le « curseur » rendu tant que « suite » est vrai ; "
              + "un événement n'apparaît qu'une fois et jamais après un plus récent. Réservé aux fournisseurs.");
    }

    private static (long After, int Limit) Parse(IQueryCollection query)
    {
        long after = 0;
        if (query.TryGetValue("apres", out var a) && !string.IsNullOrEmpty(a)
            && (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out after)))
            throw Refusal.Invalid("Le curseur « apres » doit être un entier positif, celui rendu par l'appel précédent.", "apres");
        var limit = DefaultLimit;
        if (query.TryGetValue("limite", out var l) && !string.IsNullOrEmpty(l)
            && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
            throw Refusal.Invalid($"« limite » doit être un entier entre 1 et {MaxLimit}.", "limite");
        return (after, limit);
    }
}
