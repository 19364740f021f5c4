using Guichet.Data;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Instruction;

/// <summary>When a manager last opened a request's page, for « modifiée depuis ma dernière consultation ».</summary>
public class RequestView
{
    public required string UserId { get; init; }
    public long FundingRequestId { get; init; }
    public DateTime ViewedAt { get; set; }

    /// <summary>Records the visit: an update, or an insert the first time (a concurrent first visit wins, same meaning).</summary>
    public static async Task RecordAsync(GuichetDbContext db, string userId, long requestId, DateTime now, CancellationToken ct)
    {
        var updated = await db.RequestViews.Where(v => v.UserId == userId && v.FundingRequestId == requestId)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.ViewedAt, now), ct);
        if (updated > 0) return;
        var view = new RequestView { UserId = userId, FundingRequestId = requestId, ViewedAt = now };
        db.RequestViews.Add(view);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { db.Entry(view).State = EntityState.Detached; }
    }
}
