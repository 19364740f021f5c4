using System.Net;
using System.Text.Json;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Support;

/// <summary>The events feed read as an integrator does: one page after a cursor, or everything until « suite » is false.</summary>
public static class EventFeed
{
    public sealed record Page(List<JsonElement> Events, string Cursor, bool More);

    public static async Task<Page> PageAsync(this HttpClient client, string after, int limit = 100)
    {
        var response = await client.GetAsync($"/api/v1/evenements?apres={after}&limite={limit}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        return new(body.GetProperty("evenements").EnumerateArray().ToList(), body.GetProperty("curseur").GetString()!,
            body.GetProperty("suite").GetBoolean());
    }

    /// <summary>Every event after <paramref name="after"/>, page by page; returns them and the last cursor.</summary>
    public static async Task<(List<JsonElement> Events, string Cursor)> AllAsync(this HttpClient client, string after = "0", int limit = 100)
    {
        var all = new List<JsonElement>();
        while (true)
        {
            var page = await client.PageAsync(after, limit);
            all.AddRange(page.Events);
            after = page.Cursor;
            if (!page.More) return (all, after);
        }
    }

    /// <summary>The current end of the feed: the cursor after which only new events will come.</summary>
    public static async Task<string> EndAsync(this HttpClient client) => (await client.AllAsync(limit: 500)).Cursor;

    public static string Type(this JsonElement e) => e.GetProperty("type").GetString()!;

    public static string? Number(this JsonElement e) =>
        e.GetProperty("demande").ValueKind == JsonValueKind.Null ? null : e.GetProperty("demande").GetProperty("numero").GetString();
}
