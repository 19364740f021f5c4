using System.Net;
using Guichet.Tests.Support;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features.Deposits;

/// <summary>« Idempotency-Key » on POST /api/v1/depots: a retry gets the same job; other files under the same key are refused.</summary>
public abstract class IdempotentDepositTests(GuichetApp app) : DepositScenario(app)
{
    private static HttpRequestMessage Post(MultipartFormDataContent form, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/depots") { Content = form };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task The_same_deposit_posted_twice_under_one_key_creates_one_set_of_requests_and_returns_the_same_job()
    {
        var file = await FreshFile();
        var zip = ExampleZip(); // built once: a ZIP's entries carry the time they were written, and the key compares bytes
        var key = "cle-" + Guid.NewGuid().ToString("N");
        var before = await TotalRequests();

        var first = await AgendaPro.SendAsync(Post(DepositFiles.Form(file, zip), key));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var firstBody = await Json(first);
        var second = await AgendaPro.SendAsync(Post(DepositFiles.Form(file, zip), key));
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var secondBody = await Json(second);

        Assert.Equal(firstBody.GetProperty("id").GetGuid(), secondBody.GetProperty("id").GetGuid());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(firstBody.GetProperty("demandes")[0].GetProperty("numero").GetString(), secondBody.GetProperty("demandes")[0].GetProperty("numero").GetString());
        Assert.True(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(before + 1, await TotalRequests());
        Assert.Empty(UploadLeftovers());
    }

    [Fact]
    public async Task Other_files_under_a_used_key_are_refused_and_nothing_is_stored()
    {
        var key = "cle-" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Created, (await AgendaPro.SendAsync(Post(DepositFiles.Form(await FreshFile(), ExampleZip()), key))).StatusCode);
        var before = await TotalRequests();
        var files = await StoredFiles();

        var other = await AgendaPro.SendAsync(Post(DepositFiles.Form(await FreshFile(), ExampleZip()), key));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        Assert.Contains("clé d'idempotence", (await Json(other)).GetProperty("detail").GetString());
        Assert.Equal(before, await TotalRequests());
        Assert.Equal(files, await StoredFiles());
        Assert.Empty(UploadLeftovers());
    }

    [Fact]
    public async Task A_key_that_is_not_visible_ascii_or_too_long_is_refused()
    {
        var response = await AgendaPro.SendAsync(Post(DepositFiles.Form(await FreshFile(), ExampleZip()), new string('k', 201)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Idempotency-Key", (await Json(response)).GetProperty("title").GetString());
    }
}

[Collection(nameof(DepositsOnSqlite))]
public sealed class IdempotentDepositTestsOnSqlite(SqliteApp app) : IdempotentDepositTests(app);

[Collection(nameof(DepositsOnPostgres))]
public sealed class IdempotentDepositTestsOnPostgres(PostgresApp app) : IdempotentDepositTests(app);
