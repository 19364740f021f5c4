using System.Text.Json;
using Guichet.Accounts;
using Guichet.Domain;
using Guichet.Email;
using Guichet.Instruction;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Guichet.Data;

/// <summary>The one model; each provider has a derived context carrying its own migrations.</summary>
public abstract class GuichetDbContext(DbContextOptions options) : IdentityDbContext<GuichetUser>(options), IDataProtectionKeyContext
{
    public DbSet<FundingScheme> Schemes => Set<FundingScheme>();
    public DbSet<Organisation> Organisations => Set<Organisation>();
    public DbSet<Solution> Solutions => Set<Solution>();
    public DbSet<FundingRequest> Requests => Set<FundingRequest>();
    public DbSet<SupportingDocument> Documents => Set<SupportingDocument>();
    public DbSet<HistoryEntry> History => Set<HistoryEntry>();
    public DbSet<ModificationRound> Rounds => Set<ModificationRound>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<NumberSequence> Sequences => Set<NumberSequence>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Deposits.DepositJob> DepositJobs => Set<Deposits.DepositJob>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<RequestView> RequestViews => Set<RequestView>();
    public DbSet<RequestCount> RequestCounts => Set<RequestCount>();

    protected abstract bool IsSqlite { get; }

    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        if (!IsSqlite) b.HasPostgresExtension("pg_trgm");

        b.Entity<FundingScheme>(e =>
        {
            e.HasKey(x => x.Code);
            e.Property(x => x.Code).HasMaxLength(40);
            e.Property(x => x.Label).HasMaxLength(200);
            e.Property(x => x.FlatAmount).HasPrecision(12, 2);
            e.Property(x => x.AdvanceShare).HasPrecision(5, 4);
            e.Ignore(x => x.ClientIdTypes);
            e.Ignore(x => x.EditableFieldList);
        });

        b.Entity<Organisation>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Siret).HasMaxLength(14);
            e.HasIndex(x => x.Siret).IsUnique();
            e.HasMany(x => x.Solutions).WithOne().HasForeignKey(x => x.OrganisationId);
        });

        b.Entity<Solution>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Version).HasMaxLength(50);
            e.Property(x => x.ReferencingNumber).HasMaxLength(50);
            e.HasIndex(x => x.ReferencingNumber).IsUnique();
            e.HasOne<FundingScheme>().WithMany().HasForeignKey(x => x.SchemeCode);
        });

        b.Entity<FundingRequest>(e =>
        {
            e.Property(x => x.Number).HasMaxLength(30);
            e.HasIndex(x => x.Number).IsUnique();
            e.Property(x => x.VendorReference).HasMaxLength(100);
            e.HasIndex(x => new { x.OrganisationId, x.VendorReference }).IsUnique();
            e.HasIndex(x => new { x.OrganisationId, x.Status, x.UpdatedAt });
            e.HasIndex(x => new { x.OrganisationId, x.UpdatedAt });
            e.HasIndex(x => new { x.Status, x.UpdatedAt });
            e.HasIndex(x => x.UpdatedAt);
            e.HasIndex(x => new { x.SchemeCode, x.ClientIdType, x.ClientId });
            e.HasIndex(x => x.AdvanceNumber);
            // At most one live advance per scheme and client, and one live balance per advance, even under racing deposits.
            e.HasIndex(x => new { x.SchemeCode, x.ClientIdType, x.ClientId }, "IX_Requests_LiveAdvance").IsUnique()
                .HasFilter("\"Type\" = 'AVANCE' AND \"Status\" <> 'REJETEE'");
            e.HasIndex(x => x.AdvanceNumber, "IX_Requests_LiveBalance").IsUnique()
                .HasFilter("\"Type\" = 'SOLDE' AND \"Status\" <> 'REJETEE'");
            e.HasIndex(x => x.DepositedAt); // the instruction queue, oldest first
            e.HasIndex(x => new { x.Status, x.DepositedAt });
            // Counts per status under the queue's scheme and type filters, read from the index alone.
            e.HasIndex(x => new { x.SchemeCode, x.Type, x.Status });
            e.HasIndex(x => x.ClientId); // free text: an exact client identifier
            e.HasIndex(x => x.LastModifiedByVendorAt); // « modifiée depuis ma dernière consultation »
            e.HasIndex(x => new { x.LastRoundOutcome, x.Status, x.DepositedAt }); // « délai de modification dépassé »
            e.Property(x => x.LastRoundOutcome).HasConversion<string>().HasMaxLength(20);
            // Free text « contains » on PostgreSQL: trigram indexes (pg_trgm) serve LIKE '%…%'; lower("ClientName") is in the migration.
            if (!IsSqlite)
            {
                e.HasIndex(x => x.Number, "IX_Requests_Number_Trgm").HasMethod("gin").HasOperators("gin_trgm_ops");
                e.HasIndex(x => x.VendorReference, "IX_Requests_VendorReference_Trgm").HasMethod("gin").HasOperators("gin_trgm_ops");
            }
            e.Property(x => x.Status).HasConversion(v => v.Code(), v => Codes.ParseStatus(v)).HasMaxLength(20);
            e.Property(x => x.Type).HasConversion(v => v.Code(), v => Codes.ParseType(v)).HasMaxLength(10);
            e.Property(x => x.ClientIdType).HasConversion(v => v.Code(), v => Codes.ParseClientIdType(v)).HasMaxLength(10);
            e.Property(x => x.SchemeCode).HasMaxLength(40);
            e.Property(x => x.ClientId).HasMaxLength(14);
            e.Property(x => x.ClientName).HasMaxLength(500);
            e.Property(x => x.PurchaseOrderNumber).HasMaxLength(100);
            e.Property(x => x.AdvanceNumber).HasMaxLength(30);
            e.Property(x => x.ContactSupport).HasMaxLength(500);
            e.Property(x => x.RejectionReason).HasMaxLength(4000);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne(x => x.Organisation).WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne(x => x.Solution).WithMany().HasForeignKey(x => x.SolutionId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne(x => x.Scheme).WithMany().HasForeignKey(x => x.SchemeCode).OnDelete(DeleteBehavior.Restrict);
            e.HasMany(x => x.Documents).WithOne().HasForeignKey(x => x.FundingRequestId);
            e.HasMany(x => x.History).WithOne().HasForeignKey(x => x.FundingRequestId);
            e.HasMany(x => x.Rounds).WithOne().HasForeignKey(x => x.FundingRequestId);
            e.Ignore(x => x.OpenRound);
            e.Ignore(x => x.ConfirmedDocuments);
            if (IsSqlite) e.Property(x => x.Amount).HasConversion(v => (long)(v * 100m), v => v / 100m);
            else e.Property(x => x.Amount).HasPrecision(12, 2);
        });

        b.Entity<SupportingDocument>(e =>
        {
            // Ids are made by the domain: a new document reached through its request is an insert, not an update.
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Type).HasConversion(v => v.Code(), v => Codes.ParseDocumentType(v)).HasMaxLength(30);
            e.Property(x => x.FileName).HasMaxLength(255);
            e.Property(x => x.StorageKey).HasMaxLength(100);
            e.Property(x => x.ContentType).HasMaxLength(100);
            e.Property(x => x.Sha256).HasMaxLength(64);
            e.HasOne(x => x.Round).WithMany().HasForeignKey(x => x.RoundId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => x.FundingRequestId);
        });

        b.Entity<HistoryEntry>(e =>
        {
            e.Property(x => x.ActorName).HasMaxLength(200);
            e.Property(x => x.ActorRole).HasMaxLength(50);
            e.Property(x => x.Event).HasMaxLength(200);
            e.Property(x => x.FromStatus).HasConversion(v => v!.Value.Code(), v => Codes.ParseStatus(v)).HasMaxLength(20);
            e.Property(x => x.ToStatus).HasConversion(v => v!.Value.Code(), v => Codes.ParseStatus(v)).HasMaxLength(20);
            e.Property(x => x.Changes).HasConversion(Json<List<FieldChange>>(), JsonComparer<List<FieldChange>>());
            e.Property(x => x.DocumentsAdded).HasConversion(Json<List<string>>(), JsonComparer<List<string>>());
            e.HasIndex(x => new { x.FundingRequestId, x.At });
        });

        b.Entity<ModificationRound>(e =>
        {
            e.Property(x => x.OpenedBy).HasMaxLength(200);
            e.Property(x => x.OpenedByRole).HasMaxLength(50);
            e.Property(x => x.Comment).HasMaxLength(4000);
            e.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(20);
            e.Property(x => x.Items).HasConversion(Json<List<string>>(), JsonComparer<List<string>>());
            e.Property(x => x.Draft).HasConversion(Json<Dictionary<string, string>>(), JsonComparer<Dictionary<string, string>>());
            e.Ignore(x => x.FieldItems);
            e.Ignore(x => x.DocumentItems);
            e.Ignore(x => x.LastDay);
            e.HasIndex(x => new { x.FundingRequestId, x.ClosedAt });
            e.HasIndex(x => new { x.ClosedAt, x.ReminderDueAt });
        });

        b.Entity<ApiToken>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Hash).HasMaxLength(64);
            e.Property(x => x.Prefix).HasMaxLength(20);
            e.HasIndex(x => x.Hash).IsUnique();
            e.HasIndex(x => x.UserId);
            e.HasOne<GuichetUser>().WithMany().HasForeignKey(x => x.UserId);
        });

        b.Entity<GuichetUser>(e =>
        {
            e.Property(x => x.FullName).HasMaxLength(200);
            e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
        });

        b.Entity<Deposits.DepositJob>(e =>
        {
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.UserId).HasMaxLength(450);
            e.Property(x => x.JsonFileName).HasMaxLength(255);
            e.Property(x => x.ZipFileName).HasMaxLength(255);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(20);
            e.Ignore(x => x.Created);
            e.Ignore(x => x.Errors);
            e.Ignore(x => x.StatusCode);
            e.HasIndex(x => new { x.OrganisationId, x.CreatedAt });
        });

        b.Entity<OutboxMessage>(e =>
        {
            e.Property(x => x.MessageId).HasMaxLength(100);
            e.HasIndex(x => x.MessageId).IsUnique();
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(40);
            e.Property(x => x.Subject).HasMaxLength(500);
            e.Property(x => x.LastError).HasMaxLength(1000);
            e.HasOne(x => x.Request).WithMany().HasForeignKey(x => x.FundingRequestId).OnDelete(DeleteBehavior.Restrict);
            e.HasIndex(x => new { x.SentAt, x.NextAttemptAt });
            e.HasIndex(x => x.LeaseToken);
            e.Ignore(x => x.RecipientList);
            e.Ignore(x => x.StateLabel);
        });

        b.Entity<RequestView>(e =>
        {
            e.HasKey(x => new { x.UserId, x.FundingRequestId });
            e.HasOne<GuichetUser>().WithMany().HasForeignKey(x => x.UserId);
            e.HasOne<FundingRequest>().WithMany().HasForeignKey(x => x.FundingRequestId);
        });

        b.Entity<RequestCount>(e =>
        {
            e.HasKey(x => new { x.OrganisationId, x.SchemeCode, x.Type, x.Status });
            e.Property(x => x.SchemeCode).HasMaxLength(40);
            e.Property(x => x.Type).HasConversion(v => v.Code(), v => Codes.ParseType(v)).HasMaxLength(10);
            e.Property(x => x.Status).HasConversion(v => v.Code(), v => Codes.ParseStatus(v)).HasMaxLength(20);
            e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
        });

        b.Entity<NumberSequence>(e =>
        {
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasMaxLength(40);
        });

        // SQLite returns DateTime with an unspecified kind: every instant in this model is UTC.
        if (IsSqlite)
        {
            foreach (var p in b.Model.GetEntityTypes().SelectMany(t => t.GetProperties()))
            {
                if (p.ClrType == typeof(DateTime))
                    p.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
                        v => v, v => DateTime.SpecifyKind(v, DateTimeKind.Utc)));
                else if (p.ClrType == typeof(DateTime?))
                    p.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime?, DateTime?>(
                        v => v, v => v.HasValue ? DateTime.SpecifyKind(v.Value, DateTimeKind.Utc) : v));
            }
        }
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        var (deltas, autoDetect) = PrepareSave();
        try
        {
            if (deltas.Count == 0) return base.SaveChanges(acceptAllChangesOnSuccess);
            if (Database.CurrentTransaction is not null)
            {
                var saved = base.SaveChanges(acceptAllChangesOnSuccess);
                ApplyOrDefer(deltas);
                return saved;
            }
            using var tx = Database.BeginTransaction();
            var n = base.SaveChanges(acceptAllChangesOnSuccess);
            ApplyOrDefer(deltas);
            tx.Commit();
            return n;
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var (deltas, autoDetect) = PrepareSave();
        try
        {
            if (deltas.Count == 0) return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            if (Database.CurrentTransaction is not null)
            {
                var saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
                await ApplyOrDeferAsync(deltas, cancellationToken);
                return saved;
            }
            // The requests and their counters change together or not at all.
            await using var tx = await Database.BeginTransactionAsync(cancellationToken);
            var n = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
            await ApplyOrDeferAsync(deltas, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return n;
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    /// <summary>
    /// Detects the changes once for the history guard, the counter deltas and EF's own save (each would otherwise run
    /// the detection again over every tracked entity, JSON columns included), then turns automatic detection off until
    /// the caller's finally restores it.
    /// </summary>
    private (Dictionary<RequestCountKey, int> Deltas, bool AutoDetect) PrepareSave()
    {
        var autoDetect = ChangeTracker.AutoDetectChangesEnabled;
        if (autoDetect) ChangeTracker.DetectChanges();
        ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            GuardAppendOnly();
            return (RequestCounters.Collect(ChangeTracker), autoDetect);
        }
        catch
        {
            ChangeTracker.AutoDetectChangesEnabled = autoDetect;
            throw;
        }
    }

    private DeferredRequestCounts? _deferred;

    /// <summary>
    /// Until the returned batch is flushed (just before the commit of the caller's transaction), counter deltas are
    /// held rather than written. Used by the deposit, whose slices would otherwise lock the counters for its whole length.
    /// </summary>
    public DeferredRequestCounts DeferRequestCounts()
    {
        if (Database.CurrentTransaction is null)
            throw new InvalidOperationException("Les compteurs ne peuvent être différés que dans une transaction.");
        if (_deferred is not null) throw new InvalidOperationException("Des compteurs sont déjà différés.");
        return _deferred = new DeferredRequestCounts(this);
    }

    internal async Task FlushDeferredCountsAsync(DeferredRequestCounts batch, CancellationToken ct)
    {
        if (!ReferenceEquals(batch, _deferred)) throw new InvalidOperationException("Ce lot de compteurs n'est plus en cours.");
        _deferred = null;
        if (RequestCounters.Upsert(batch.Pending) is { Sql: var sql, Parameters: var parameters }) await Database.ExecuteSqlRawAsync(sql, parameters, ct);
    }

    internal void EndDeferredCounts(DeferredRequestCounts batch)
    {
        if (ReferenceEquals(batch, _deferred)) _deferred = null;
    }


    private bool Defer(Dictionary<RequestCountKey, int> deltas)
    {
        if (_deferred is null) return false;
        foreach (var (key, delta) in deltas) RequestCounters.Add(_deferred.Pending, key, delta);
        return true;
    }

    private void ApplyOrDefer(Dictionary<RequestCountKey, int> deltas)
    {
        if (Defer(deltas)) return;
        if (RequestCounters.Upsert(deltas) is { Sql: var sql, Parameters: var parameters }) Database.ExecuteSqlRaw(sql, parameters);
    }

    private async Task ApplyOrDeferAsync(Dictionary<RequestCountKey, int> deltas, CancellationToken ct)
    {
        if (Defer(deltas)) return;
        if (RequestCounters.Upsert(deltas) is { Sql: var sql, Parameters: var parameters }) await Database.ExecuteSqlRawAsync(sql, parameters, ct);
    }

    // The history is append-only: nothing may update or delete a line once written.
    private void GuardAppendOnly()
    {
        if (ChangeTracker.Entries<HistoryEntry>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
            throw new InvalidOperationException("L'historique d'une demande ne peut pas être modifié.");
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<T, string> Json<T>() where T : new() =>
        new(v => JsonSerializer.Serialize(v, JsonOptions), v => JsonSerializer.Deserialize<T>(v, JsonOptions) ?? new T());

    private static ValueComparer<T> JsonComparer<T>() =>
        new((a, b) => JsonSerializer.Serialize(a, JsonOptions) == JsonSerializer.Serialize(b, JsonOptions),
            v => JsonSerializer.Serialize(v, JsonOptions).GetHashCode(),
            v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, JsonOptions), JsonOptions)!);
}

/// <summary>Counters for portal numbers, advanced with a guarded update so several instances never collide.</summary>
public class NumberSequence
{
    public required string Key { get; init; }
    public long Value { get; set; }
}

public sealed class SqliteGuichetDbContext(DbContextOptions<SqliteGuichetDbContext> options) : GuichetDbContext(options)
{
    protected override bool IsSqlite => true;
}

public sealed class PostgresGuichetDbContext(DbContextOptions<PostgresGuichetDbContext> options) : GuichetDbContext(options)
{
    protected override bool IsSqlite => false;
}
