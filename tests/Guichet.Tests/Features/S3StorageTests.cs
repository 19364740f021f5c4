using System.Net;
using System.Security.Cryptography;
using System.Text;
using Guichet.Accounts;
using Guichet.Deposits;
using Guichet.Domain;
using Guichet.Storage;
using Guichet.Tests.Features.Deposits;
using Guichet.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Guichet.Tests.Support.JsonHttp;

namespace Guichet.Tests.Features;

/// <summary>
/// What only the S3 mode does: large files in parts, a deposit's files staged in the bucket for any instance, a failed
/// deposit's objects removed, the orphan sweep (« storage-gc ») — checked against the bucket itself through the AWS SDK.
/// </summary>
public abstract class S3StorageTests(S3App app) : DepositScenario(app)
{
    private S3App S3App { get; } = app;

    /// <summary>A « PDF » of <paramref name="bytes"/> random (incompressible) bytes.</summary>
    private static byte[] RandomPdf(int bytes)
    {
        var content = new byte[bytes];
        Random.Shared.NextBytes(content);
        "%PDF-"u8.CopyTo(content);
        return content;
    }

    [Fact]
    public async Task A_large_attachment_goes_to_the_bucket_in_parts_and_comes_back_identical()
    {
        var example = await Example();
        var d = Guichet.Tests.Support.DepositFiles.FreshAdvance(example, Seed());
        var pdf = RandomPdf(12 * 1024 * 1024 + 123); // parts of 5 MB: three
        var response = await AgendaPro.PostAsync("/api/v1/depots",
            Guichet.Tests.Support.DepositFiles.Form(Guichet.Tests.Support.DepositFiles.With(example, d), Guichet.Tests.Support.DepositFiles.Zip(("bc-2026-001.pdf", pdf))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var number = (await Json(response)).GetProperty("demandes")[0].GetProperty("numero").GetString()!;
        var doc = await App.Db(db => db.Requests.Where(r => r.Number == number).SelectMany(r => r.Documents).SingleAsync());

        var stored = Assert.Single(await S3App.S3.ObjectsAsync(), o => o.Key == doc.StorageKey);
        Assert.Equal(pdf.Length, stored.Size);
        Assert.Equal(pdf.Length, doc.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(pdf)), doc.Sha256);
        // The server logs each request: three parts of one multipart upload, no single PUT of the whole file.
        Assert.Contains($"{doc.StorageKey}?partNumber=3", S3App.S3.Log.Replace("&", "?"));
        Assert.DoesNotContain($"{doc.StorageKey}?partNumber=4", S3App.S3.Log.Replace("&", "?"));
        Assert.Equal(pdf, await S3App.S3.ReadAsync(doc.StorageKey));

        var owner = await App.SignedIn("editeur@agendapro.test");
        var served = await owner.GetAsync($"/demandes/{number}/pieces/{doc.Id}");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(pdf, await served.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Files_on_each_side_of_a_part_come_back_identical_from_a_stream_that_trickles()
    {
        // One PUT below a part, parts from a part on: the bytes on each side of the edge must all reach the object, even
        // from a stream that never fills the buffer at once (a ZIP entry may read so).
        var store = App.Services.GetRequiredService<AttachmentStore>();
        const int part = 5 * 1024 * 1024;
        foreach (var length in new[] { 0, 1, part - 1, part, part + 1 })
        {
            var content = RandomPdf(Math.Max(length, 5))[..length];
            var log = S3App.S3.Log.Length;
            await using var stream = new TrickleStream(content);

            var stored = await store.SaveAsync(stream);

            Assert.Equal(length, stored.Size);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), stored.Sha256);
            Assert.Equal(content, await S3App.S3.ReadAsync(stored.Key));
            var multipart = S3App.S3.Log[log..].Contains("partNumber=1");
            Assert.True(multipart == (length >= part), $"{length} octets : {(multipart ? "en parties" : "en un envoi")}");
        }
    }

    /// <summary>Reads at most 7 000 bytes a call, never filling a buffer at once.</summary>
    private sealed class TrickleStream(byte[] content) : MemoryStream(content, writable: false)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 7000)], ct);
    }

    [Fact]
    public async Task A_file_found_over_its_limit_during_a_multipart_upload_is_refused_and_leaves_no_object()
    {
        var store = App.Services.GetRequiredService<AttachmentStore>();
        var objects = (await S3App.S3.ObjectsAsync()).Count;
        var log = S3App.S3.Log.Length;
        // Two full parts went up before the third read passes the limit.
        using var content = new MemoryStream(RandomPdf(12 * 1024 * 1024));
        var refused = await Assert.ThrowsAsync<FileTooLargeException>(() => store.SaveAsync(content, maxBytes: 11 * 1024 * 1024));
        Assert.Contains("taille maximale", refused.Message);
        Assert.Equal(objects, (await S3App.S3.ObjectsAsync()).Count);
        Assert.Contains("partNumber=2", S3App.S3.Log[log..]);
        Assert.DoesNotContain("partNumber=3", S3App.S3.Log[log..]);
    }

    [Fact]
    public async Task A_deposit_whose_transaction_fails_leaves_no_object_in_the_bucket()
    {
        var example = await Example();
        var first = Guichet.Tests.Support.DepositFiles.FreshAdvance(example, Seed());
        var second = Guichet.Tests.Support.DepositFiles.FreshAdvance(example, Seed());
        var json = Encoding.UTF8.GetBytes(Guichet.Tests.Support.DepositFiles.With(example, first, second).ToJsonString());
        var zipPath = Path.Combine(Path.GetTempPath(), $"guichet-s3-zip-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(zipPath, Guichet.Tests.Support.DepositFiles.Zip(("bc-2026-001.pdf", RandomPdf(64 * 1024))));
        var objects = (await S3App.S3.ObjectsAsync()).Count;
        var requests = await TotalRequests();
        var written = 0;
        try
        {
            using var scope = App.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<Guichet.Data.GuichetDbContext>();
            var user = await db.Users.SingleAsync(u => u.Email == "editeur@agendapro.test");
            var org = await db.Organisations.SingleAsync(o => o.Id == user.OrganisationId);
            var service = scope.ServiceProvider.GetRequiredService<DepositService>();
            // The commit fails after every file and row was written, as when the database goes away at the last moment.
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => service.DepositAsync(org, new Actor(user.Email!, Roles.Fournisseur, user.Id),
                json, zipPath, null, default, async (_, _) =>
                {
                    written = (await S3App.S3.ObjectsAsync()).Count - objects;
                    throw new InvalidOperationException("validation refusée");
                }));
            Assert.Equal("validation refusée", failure.Message);
        }
        finally
        {
            File.Delete(zipPath);
        }
        Assert.Equal(2, written); // the file each request cites
        Assert.Equal(objects, (await S3App.S3.ObjectsAsync()).Count);
        Assert.Equal(requests, await TotalRequests());
    }

    [Fact]
    public async Task A_background_deposit_is_staged_in_the_bucket_and_its_staged_copy_is_gone_once_it_ends()
    {
        var form = Guichet.Tests.Support.DepositFiles.Form(await FreshFile(), ExampleZip());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/depots") { Content = form };
        request.Headers.Add("Prefer", "respond-async");
        var accepted = await AgendaPro.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var body = await Json(accepted);
        var url = body.GetProperty("url").GetString()!;
        var staged = $"_depots/{body.GetProperty("id").GetString()!.Replace("-", "")}/";
        System.Text.Json.JsonElement job;
        List<(string Key, long Size)> left;
        var until = DateTime.UtcNow.AddSeconds(60);
        // The job's end is written in the deposit's transaction; its working files go just after.
        do
        {
            job = await AgendaPro.GetJsonAsync(url);
            left = await S3App.S3.ObjectsAsync(staged);
            if (job.GetProperty("statut").GetString() != "EN_TRAITEMENT" && left.Count == 0 && UploadLeftovers().Count == 0) break;
            await Task.Delay(50);
        } while (DateTime.UtcNow < until);
        Assert.Equal("TERMINE", job.GetProperty("statut").GetString());
        Assert.Empty(left);
        Assert.Empty(UploadLeftovers());
        // It was in the bucket while the job ran: the JSON and the ZIP, as the server logged their writes.
        Assert.Contains($"Stored object \"{staged}{DepositUpload.JsonFile}\"", S3App.S3.Log);
        Assert.Contains($"Stored object \"{staged}{DepositUpload.ZipFile}\"", S3App.S3.Log);
    }

    [Fact]
    public async Task A_staged_deposit_is_found_by_an_instance_that_does_not_have_its_folder()
    {
        var store = App.Services.GetRequiredService<AttachmentStore>();
        var job = Guid.NewGuid();
        var folder = Path.Combine(store.Root, "_depots", job.ToString("N"));
        Directory.CreateDirectory(folder);
        var zip = RandomPdf(6 * 1024 * 1024); // more than a part
        await File.WriteAllTextAsync(Path.Combine(folder, DepositUpload.JsonFile), "{\"demandes\":[]}");
        await File.WriteAllBytesAsync(Path.Combine(folder, DepositUpload.ZipFile), zip);

        await store.StageAsync(job, folder, default);
        Directory.Delete(folder, recursive: true); // the other instance has nothing of it
        Assert.True(await store.FetchStagedAsync(job, folder, default));
        Assert.Equal("{\"demandes\":[]}", await File.ReadAllTextAsync(Path.Combine(folder, DepositUpload.JsonFile)));
        Assert.Equal(zip, await File.ReadAllBytesAsync(Path.Combine(folder, DepositUpload.ZipFile)));
        Assert.Contains(job, await store.StagedJobsAsync(DateTime.UtcNow.AddMinutes(1), default).ToListAsync());

        await store.DeleteStagedAsync(job, default);
        Directory.Delete(folder, recursive: true);
        Assert.Empty(await S3App.S3.ObjectsAsync($"_depots/{job:N}/"));
        Assert.False(await store.FetchStagedAsync(job, folder, default));
    }

    [Fact]
    public async Task Storage_gc_removes_orphan_objects_and_staged_copies_of_no_job_and_keeps_every_referenced_attachment()
    {
        var store = App.Services.GetRequiredService<AttachmentStore>();
        using var orphanContent = new MemoryStream(RandomPdf(1024));
        var orphan = await store.SaveAsync(orphanContent);
        var ghost = Guid.NewGuid();
        var folder = Path.Combine(App.StoragePath, "ghost-" + ghost.ToString("N"));
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, DepositUpload.JsonFile), "{}");
        await store.StageAsync(ghost, folder, default);
        Directory.Delete(folder, recursive: true);
        var referenced = await App.Db(db => db.Documents.Select(d => d.StorageKey).ToListAsync());
        Assert.NotEmpty(referenced);
        // Older than the margin below (3 s): only files that old are removed.
        await Task.Delay(TimeSpan.FromSeconds(4));

        var (code, output, error) = await App.RunVerbWithAsync(
            [("Deposits:HeartbeatSeconds", "1"), ("Deposits:StaleAfterSeconds", "2"), ("Deposits:OrphanFilesAfterSeconds", "3")], "storage-gc");
        Assert.True(code == 0, output + error + S3App.S3.Log);
        Assert.Contains("Nettoyage du stockage (compartiment S3)", output);
        Assert.Contains("1 copie(s) de dépôt", output);
        var left = (await S3App.S3.ObjectsAsync()).Select(o => o.Key).ToHashSet();
        Assert.DoesNotContain(orphan.Key, left);
        Assert.Empty(await S3App.S3.ObjectsAsync($"_depots/{ghost:N}/"));
        Assert.All(referenced, key => Assert.Contains(key, left));
    }

    [Fact]
    public async Task Storage_gc_on_an_unreachable_bucket_stops_in_French_with_exit_3_and_removes_nothing()
    {
        var before = (await S3App.S3.ObjectsAsync()).Count;
        var (code, output, error) = await App.RunVerbWithAsync(
            [("Storage:S3:ServiceUrl", $"http://127.0.0.1:{Guichet.Testing.ClamdServer.ClosedPort()}")], "storage-gc");
        Assert.Equal(3, code);
        Assert.Contains("Nettoyage impossible : le stockage (compartiment S3) ne répond pas", error);
        Assert.Equal(before, (await S3App.S3.ObjectsAsync()).Count);
        Assert.Equal("", output);
    }
}

public sealed class S3StorageTestsOnSqlite(SqliteS3App app) : S3StorageTests(app), IClassFixture<SqliteS3App>;

public sealed class S3StorageTestsOnPostgres(PostgresS3App app) : S3StorageTests(app), IClassFixture<PostgresS3App>;
