namespace Guichet.Tests.Support;

/// <summary>
/// The clock of the portal under test, and the only « now » of the tests: it stands still where the app started
/// unless a test moves it, so that a time a test computes is the time the app sees.
/// </summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    /// <summary>Now, as the app's <see cref="DateTime"/> (UTC).</summary>
    public DateTime UtcNow => GetUtcNow().UtcDateTime;

    public void Advance(TimeSpan by)
    {
        lock (_gate) _now += by;
    }

    /// <summary>
    /// Sets the clock to <paramref name="utc"/> until the returned scope ends, e.g. for a manager who acted on a past day;
    /// then it goes back where it was.
    /// </summary>
    public IDisposable At(DateTime utc)
    {
        DateTimeOffset previous;
        lock (_gate)
        {
            previous = _now;
            _now = new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
        }
        return new Back(this, previous);
    }

    private sealed class Back(TestClock clock, DateTimeOffset previous) : IDisposable
    {
        public void Dispose()
        {
            lock (clock._gate) clock._now = previous;
        }
    }
}
