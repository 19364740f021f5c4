using Guichet.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class SecurityEventConfiguration : IEntityTypeConfiguration<SecurityEvent>
{
    public void Configure(EntityTypeBuilder<SecurityEvent> e)
    {
        e.ToTable("SecurityEvents");
        // Stored by its French code, so that new kinds add rows, never a schema change.
        e.Property(x => x.Kind).HasMaxLength(60).HasConversion(k => k.Code(), s => SecurityEventKinds.Parse(s));
        e.Property(x => x.ActorId).HasMaxLength(450);
        e.Property(x => x.ActorEmail).HasMaxLength(SecurityEvent.EmailLength);
        e.Property(x => x.SubjectId).HasMaxLength(450);
        e.Property(x => x.SubjectEmail).HasMaxLength(SecurityEvent.EmailLength);
        e.Property(x => x.Source).HasMaxLength(SecurityEvent.SourceLength);
        e.Property(x => x.UserAgent).HasMaxLength(SecurityEvent.UserAgentLength);
        e.Property(x => x.Detail).HasMaxLength(SecurityEvent.DetailLength);
        // The journal page: newest first, over a period, optionally of one kind; the purge: older than a date.
        e.HasIndex(x => x.At);
        e.HasIndex(x => new { x.Kind, x.At });
    }
}
