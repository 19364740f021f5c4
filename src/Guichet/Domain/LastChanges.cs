namespace Guichet.Domain;

/// <summary>
/// What the vendor changed in the last round when it was confirmed: shown to managers in green beside the previous
/// value, the attachments added marked « Nouveau ». Empty once a newer round is open or when it was not confirmed.
/// </summary>
public sealed record LastChanges(IReadOnlyDictionary<string, FieldChange> Fields, IReadOnlySet<Guid> NewDocuments)
{
    public static readonly LastChanges None = new(new Dictionary<string, FieldChange>(), new HashSet<Guid>());

    public static LastChanges Of(FundingRequest r)
    {
        if (r.OpenRound is not null) return None;
        var round = r.Rounds.Where(x => x.ClosedAt is not null).OrderByDescending(x => x.ClosedAt).ThenByDescending(x => x.Id).FirstOrDefault();
        if (round is not { Outcome: RoundOutcome.Confirmed }) return None;
        var entry = r.History.Where(h => h.At == round.ClosedAt && h.FromStatus == RequestStatus.AModifier && h.ToStatus == RequestStatus.EnCours)
            .OrderByDescending(h => h.Id).FirstOrDefault();
        return new LastChanges(
            (entry?.Changes ?? []).GroupBy(c => c.Field).ToDictionary(g => g.Key, g => g.Last()),
            r.ConfirmedDocuments.Where(d => d.RoundId == round.Id).Select(d => d.Id).ToHashSet());
    }
}
