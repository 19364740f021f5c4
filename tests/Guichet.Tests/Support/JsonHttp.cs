using System.Text;
using System.Text.Json;

namespace Guichet.Tests.Support;

/// <summary>JSON over HTTP, once for every test class (<c>using static Guichet.Tests.Support.JsonHttp;</c>).</summary>
public static class JsonHttp
{
    /// <summary>The body of a response as a JSON tree, whatever its status (French problem details are JSON too).</summary>
    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>GETs <paramref name="url"/> and reads the body as a JSON tree.</summary>
    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url) => await Json(await client.GetAsync(url));

    /// <summary>A JSON text as an <c>application/json</c> request body.</summary>
    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");
}
