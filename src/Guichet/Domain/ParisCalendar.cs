namespace Guichet.Domain;

/// <summary>Europe/Paris calendar: deadlines are counted in Paris calendar days, stored as UTC instants.</summary>
public static class ParisCalendar
{
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    public static DateTime ToParis(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    public static DateOnly DateOf(DateTime utc) => DateOnly.FromDateTime(ToParis(utc));

    /// <summary>The UTC instant of 00:00 Paris time on that date.</summary>
    public static DateTime StartOfDayUtc(DateOnly date) =>
        TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified), Zone);

    /// <summary>The UTC instant of a Paris wall-clock time.</summary>
    public static DateTime ParisToUtc(DateTime parisWallClock) =>
        TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(parisWallClock, DateTimeKind.Unspecified), Zone);
}
