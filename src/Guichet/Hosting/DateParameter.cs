using System.Globalization;

namespace Guichet.Hosting;

/// <summary>A day in a query string (« aaaa-mm-jj »), as the period filters of the lists read it.</summary>
public static class DateParameter
{
    /// <summary>The day, or null when absent; a malformed or far date adds a French error under <c>$.key</c>.</summary>
    public static DateOnly? Parse(IQueryCollection q, string key, List<ErrorItem> errors)
    {
        if (!q.TryGetValue(key, out var v) || string.IsNullOrEmpty(v.ToString())) return null;
        if (DateOnly.TryParseExact(v.ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            // Filters turn the day into Paris midnights (and the next one): far years would overflow.
            if (d.Year is >= 2000 and <= 2100) return d;
            errors.Add(new("$." + key, null, "La date doit être comprise entre l'an 2000 et l'an 2100."));
            return null;
        }
        errors.Add(new("$." + key, null, "La date doit être au format aaaa-mm-jj."));
        return null;
    }
}
