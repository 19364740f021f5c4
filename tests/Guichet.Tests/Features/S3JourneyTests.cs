using Guichet.Tests.Features.Deposits;
using Guichet.Tests.Support;

namespace Guichet.Tests.Features;

// The journeys that write or read attachments, run once more with the attachments in a bucket (Storage:Provider S3,
// PostgreSQL): the same tests as on disk, against the run's own s3rver.

[CollectionDefinition(nameof(DepositsOnS3))]
public sealed class DepositsOnS3 : ICollectionFixture<PostgresS3App>;

[Collection(nameof(DepositsOnS3))]
public sealed class DepositAcceptedTestsOnS3(PostgresS3App app) : DepositAcceptedTests(app);

[Collection(nameof(DepositsOnS3))]
public sealed class CompletionTestsOnS3(PostgresS3App app) : CompletionTests(app);

[Collection(nameof(DepositsOnS3))]
public sealed class ZipRefusedTestsOnS3(PostgresS3App app) : ZipRefusedTests(app);

[Collection(nameof(DepositsOnS3))]
public sealed class IdempotentDepositTestsOnS3(PostgresS3App app) : IdempotentDepositTests(app);

[Collection(nameof(DepositsOnS3))]
public sealed class DepositProgressTestsOnS3(PostgresS3App app) : DepositProgressTests(app);

public sealed class TrackingTestsOnS3(PostgresS3App app) : TrackingTests(app), IClassFixture<PostgresS3App>;

public sealed class ModificationTestsOnS3(PostgresS3App app) : ModificationTests(app), IClassFixture<PostgresS3App>;
