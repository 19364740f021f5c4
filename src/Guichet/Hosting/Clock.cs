namespace Guichet.Hosting;

/// <summary>A clock shifted by « Clock:Offset » (Development only), to demonstrate J+10 and J+20 without waiting.</summary>
public sealed class OffsetTimeProvider(TimeProvider inner, TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + offset;
    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;
}

public static class TimeProviderExtensions
{
    /// <summary>Now as a UTC DateTime, the form every instant of the model takes.</summary>
    public static DateTime UtcNow(this TimeProvider clock) => clock.GetUtcNow().UtcDateTime;
}
