using Guichet.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Guichet.Data.Configurations;

public sealed class PortalEventConfiguration : IEntityTypeConfiguration<PortalEvent>
{
    public void Configure(EntityTypeBuilder<PortalEvent> e)
    {
        e.ToTable("Evenements");
        e.Property(x => x.Type).HasMaxLength(60);
        e.Property(x => x.RequestNumber).HasMaxLength(40);
        e.Property(x => x.VendorReference).HasMaxLength(100);
        e.Property(x => x.FromStatus).HasMaxLength(20);
        e.Property(x => x.ToStatus).HasMaxLength(20);
        // The feed reads « after N » per organisation; a test event has no position and is never read there.
        e.HasIndex(x => new { x.OrganisationId, x.Position }).IsUnique();
        e.HasOne<Domain.Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}

public sealed class WebhookSubscriptionConfiguration : IEntityTypeConfiguration<WebhookSubscription>
{
    public void Configure(EntityTypeBuilder<WebhookSubscription> e)
    {
        e.ToTable("Webhooks");
        e.Property(x => x.Url).HasMaxLength(2000);
        e.Property(x => x.Secret).HasMaxLength(100);
        e.Property(x => x.PreviousSecret).HasMaxLength(100);
        e.Property(x => x.PauseReason).HasMaxLength(500);
        e.Property(x => x.Types).HasConversion(JsonColumns.Converter<List<string>>(), JsonColumns.Comparer<List<string>>());
        e.HasIndex(x => x.OrganisationId);
        e.HasOne<Domain.Organisation>().WithMany().HasForeignKey(x => x.OrganisationId).OnDelete(DeleteBehavior.Restrict);
    }
}

public sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> e)
    {
        e.ToTable("WebhookLivraisons");
        e.Property(x => x.RequestNumber).HasMaxLength(40);
        e.Property(x => x.State).HasConversion<string>().HasMaxLength(20);
        e.HasOne(x => x.Event).WithMany().HasForeignKey(x => x.EventId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne(x => x.Subscription).WithMany().HasForeignKey(x => x.SubscriptionId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => new { x.State, x.NextAttemptAt });
        e.HasIndex(x => new { x.SubscriptionId, x.RequestNumber, x.State, x.Order });
        e.HasIndex(x => x.LeaseToken);
        e.Ignore(x => x.StateCode);
    }
}

public sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> e)
    {
        e.ToTable("WebhookTentatives");
        e.Property(x => x.Response).HasMaxLength(WebhookAttempt.ResponseExcerpt);
        e.Property(x => x.Error).HasMaxLength(1000);
        e.HasOne<WebhookDelivery>().WithMany().HasForeignKey(x => x.DeliveryId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => new { x.SubscriptionId, x.At });
        e.Ignore(x => x.Succeeded);
    }
}
