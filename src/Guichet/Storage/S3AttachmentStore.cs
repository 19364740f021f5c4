using System.Buffers;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Guichet.Hosting;
using Microsoft.Extensions.Options;

namespace Guichet.Storage;

/// <summary>
/// Attachments in an S3-compatible bucket, under <c>{Prefix}{key}</c>. A file is streamed through one pooled buffer of
/// Storage:S3:PartSizeMegabytes: one PUT when it fits, else a multipart upload part by part (aborted on any failure),
/// hashed on the way; downloads are streamed from GET. A deposit's uploaded files are staged under
/// <c>{Prefix}_depots/{job}/</c> so that any instance can run or clean up its job. A call that finds the service away (after
/// a short connect timeout and two retries) throws <see cref="StorageUnavailableException"/>: a 503, never a 500.
/// </summary>
public sealed class S3AttachmentStore : AttachmentStore, IDisposable
{
    private const string StagingFolder = "_depots/";
    private readonly IAmazonS3 _s3;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly int _partSize;
    // Part buffers of this store only, at most four kept between uploads: a few large buffers, not one per core and thread.
    private readonly ArrayPool<byte> _buffers;

    public S3AttachmentStore(IOptions<StorageOptions> options, IHostEnvironment env, ILogger<S3AttachmentStore> logger)
        : base(StorageRoot.Of(options.Value, env), logger)
    {
        var o = options.Value.S3;
        _bucket = o.Bucket;
        _prefix = o.Prefix;
        _partSize = o.PartSizeMegabytes * 1024 * 1024;
        _buffers = ArrayPool<byte>.Create(_partSize, maxArraysPerBucket: 4);
        var config = new AmazonS3Config
        {
            ForcePathStyle = o.ForcePathStyle,
            // Only the checksums S3 requires: many compatible services (and older ones) reject the SDK's newer trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // A service that is down answers nothing: give up soon and say « réessayez » rather than hold the user's request.
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(5, o.TimeoutSeconds)),
            Timeout = TimeSpan.FromSeconds(o.TimeoutSeconds),
            RetryMode = RequestRetryMode.Standard,
            // Two retries in all: a reset or timed-out connection is one of them, not ten more (the SDK's default for « stale » ones).
            MaxErrorRetry = 2,
            MaxStaleConnectionRetries = 0,
        };
        if (string.IsNullOrWhiteSpace(o.ServiceUrl)) config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(o.Region);
        else
        {
            config.ServiceURL = o.ServiceUrl;
            config.AuthenticationRegion = string.IsNullOrWhiteSpace(o.Region) ? "us-east-1" : o.Region;
        }
        _s3 = string.IsNullOrWhiteSpace(o.AccessKey) ? new AmazonS3Client(config) : new AmazonS3Client(new BasicAWSCredentials(o.AccessKey, o.SecretKey), config);
    }

    public override async Task<StoredFile> SaveAsync(Stream content, long? maxBytes = null, CancellationToken ct = default)
    {
        var key = NewKey();
        var (size, sha) = await GuardAsync("envoi d'une pièce", () => PutAsync(_prefix + key, content, maxBytes, ct), ct);
        return new StoredFile(key, size, sha);
    }

    /// <summary>Streams <paramref name="content"/> to the object: one PUT when it fits in a part, else a multipart upload.</summary>
    private async Task<(long Size, string Sha256)> PutAsync(string objectKey, Stream content, long? maxBytes, CancellationToken ct)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = _buffers.Rent(_partSize);
        string? uploadId = null;
        long size = 0;
        try
        {
            var parts = new List<PartETag>();
            while (true)
            {
                var filled = await FillAsync(content, buffer, ct);
                size += filled;
                if (maxBytes is { } max && size > max) throw new FileTooLargeException(max);
                sha.AppendData(buffer, 0, filled);
                if (uploadId is null && filled < _partSize)
                {
                    // The whole file fits in one part: one PUT.
                    using var body = new MemoryStream(buffer, 0, filled, writable: false);
                    await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = objectKey, InputStream = body, UseChunkEncoding = false, AutoCloseStream = false }, ct);
                    break;
                }
                if (filled == 0) break; // the previous part was the last one, and full
                uploadId ??= (await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = objectKey }, ct)).UploadId;
                using (var body = new MemoryStream(buffer, 0, filled, writable: false))
                {
                    var part = await _s3.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = _bucket, Key = objectKey, UploadId = uploadId, PartNumber = parts.Count + 1,
                        InputStream = body, PartSize = filled, UseChunkEncoding = false,
                    }, ct);
                    parts.Add(new PartETag(parts.Count + 1, part.ETag));
                }
                if (filled < _partSize) break;
            }
            if (uploadId is not null)
                await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = _bucket, Key = objectKey, UploadId = uploadId, PartETags = parts }, ct);
        }
        catch
        {
            // Parts of an aborted upload are freed by the service; nothing of the file stays.
            if (uploadId is not null)
            {
                try { await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = objectKey, UploadId = uploadId }, CancellationToken.None); }
                catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException) { }
            }
            throw;
        }
        finally
        {
            _buffers.Return(buffer);
        }
        return (size, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    /// <summary>Reads until the part is full or the content ends; returns how much was read.</summary>
    private async Task<int> FillAsync(Stream content, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        int read;
        while (filled < _partSize && (read = await content.ReadAsync(buffer.AsMemory(filled, _partSize - filled), ct)) > 0) filled += read;
        return filled;
    }

    public override async Task<Stream?> OpenReadAsync(string key, CancellationToken ct = default)
    {
        CheckKey(key);
        return await GuardAsync<Stream?>("lecture d'une pièce", async () =>
        {
            try
            {
                var response = await _s3.GetObjectAsync(_bucket, _prefix + key, ct);
                return new ResponseStream(response);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, ct);
    }

    public override async Task<bool> ExistsAsync(string key, CancellationToken ct = default)
    {
        CheckKey(key);
        return await GuardAsync("présence d'une pièce", () => ExistsObjectAsync(_prefix + key, ct), ct);
    }

    private async Task<bool> ExistsObjectAsync(string objectKey, CancellationToken ct)
    {
        try
        {
            await _s3.GetObjectMetadataAsync(_bucket, objectKey, ct);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public override async Task DeleteAsync(string key, CancellationToken ct = default)
    {
        CheckKey(key);
        await GuardAsync("suppression d'une pièce", () => _s3.DeleteObjectAsync(_bucket, _prefix + key, ct), ct);
    }

    public override async IAsyncEnumerable<string> KeysAsync(DateTime before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var o in ListAsync(_prefix, ct))
        {
            var name = o.Key[_prefix.Length..];
            if (IsKey(name) && o.LastModified?.ToUniversalTime() < before) yield return name;
        }
    }

    public override async Task ProbeAsync(CancellationToken ct) =>
        await GuardAsync("lecture du compartiment",
            () => _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix, MaxKeys = 1 }, ct), ct);

    public override Task StageAsync(Guid job, string folder, CancellationToken ct) => GuardAsync("copie d'un dépôt", async () =>
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            await using var content = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, useAsync: true);
            await PutAsync(StagedKey(job, Path.GetFileName(file)), content, null, ct);
        }
        return true;
    }, ct);

    public override Task<bool> FetchStagedAsync(Guid job, string folder, CancellationToken ct) => GuardAsync("lecture d'un dépôt", async () =>
    {
        var found = false;
        await foreach (var o in ListAsync(StagedKey(job, ""), ct))
        {
            Directory.CreateDirectory(folder);
            using var response = await _s3.GetObjectAsync(_bucket, o.Key, ct);
            await using var file = new FileStream(Path.Combine(folder, Path.GetFileName(o.Key)), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
            await response.ResponseStream.CopyToAsync(file, 81920, ct);
            found = true;
        }
        return found;
    }, ct);

    public override Task DeleteStagedAsync(Guid job, CancellationToken ct) => GuardAsync("suppression d'un dépôt", async () =>
    {
        await foreach (var o in ListAsync(StagedKey(job, ""), ct)) await _s3.DeleteObjectAsync(_bucket, o.Key, ct);
        return true;
    }, ct);

    /// <summary>One use of the service: an outage becomes <see cref="StorageUnavailableException"/>, any other error stays as it is.</summary>
    private static async Task<T> GuardAsync<T>(string what, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not StorageUnavailableException && StorageUnavailableException.IsOutage(e, ct))
        {
            throw new StorageUnavailableException($"{what} : {StorageUnavailableException.Describe(e)}", e);
        }
    }

    public override async IAsyncEnumerable<Guid> StagedJobsAsync(DateTime before, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var seen = new HashSet<Guid>();
        await foreach (var o in ListAsync(_prefix + StagingFolder, ct))
        {
            var name = o.Key[(_prefix.Length + StagingFolder.Length)..];
            var slash = name.IndexOf('/');
            if (slash > 0 && Guid.TryParseExact(name[..slash], "N", out var job) && o.LastModified?.ToUniversalTime() < before && seen.Add(job))
                yield return job;
        }
    }

    private string StagedKey(Guid job, string name) => $"{_prefix}{StagingFolder}{job:N}/{name}";

    /// <summary>The objects under <paramref name="prefix"/>, page by page (1 000 at a time).</summary>
    private async IAsyncEnumerable<S3Object> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix };
        while (true)
        {
            var page = await _s3.ListObjectsV2Async(request, ct);
            foreach (var o in page.S3Objects ?? []) yield return o;
            if (page.IsTruncated != true) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public void Dispose() => _s3.Dispose();

    /// <summary>The body of a GET, which closes the response (and its connection) when disposed.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) response.Dispose();
            base.Dispose(disposing);
        }
    }
}
