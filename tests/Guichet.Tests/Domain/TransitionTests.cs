using Guichet.Domain;
using Guichet.Tests.Support;

namespace Guichet.Tests.Domain;

/// <summary>The transition table (docs/regles.md#transitions): every status × every transition, allowed or refused with its message.</summary>
public class TransitionTests
{
    private static readonly FundingScheme Scheme = Build.Scheme();

    public static readonly Dictionary<string, (Action<FundingRequest> Apply, RequestStatus[] From, RequestStatus To)> Transitions = new()
    {
        ["Complete"] = (r => r.Complete(Build.Vendor, Scheme, [Build.Document(DocumentType.VerificationAptitude, "va.pdf")], Build.Now),
            [RequestStatus.Incomplete], RequestStatus.EnCours),
        ["OpenModificationRound"] = (r => r.OpenModificationRound(Build.Manager, "Merci de corriger.", [EditableField.ContactSupport], Scheme, Build.Now),
            [RequestStatus.EnCours], RequestStatus.AModifier),
        ["ConfirmModification"] = (r => r.ConfirmModification(Build.Vendor, Build.Now), [RequestStatus.AModifier], RequestStatus.EnCours),
        ["DeclineModification"] = (r => r.DeclineModification(Build.Vendor, Build.Now), [RequestStatus.AModifier], RequestStatus.EnCours),
        ["CancelModificationRound"] = (r => r.CancelModificationRound(Build.Manager, Build.Now), [RequestStatus.AModifier], RequestStatus.EnCours),
        ["CloseExpiredRound"] = (r =>
        {
            if (r.OpenRound is { } round) r.RecordReminderSent(round.ReminderDueAt);
            r.CloseExpiredRound(Build.Now.AddDays(40));
        }, [RequestStatus.AModifier], RequestStatus.EnCours),
        ["Validate"] = (r => r.Validate(Build.Manager, Build.Now), [RequestStatus.EnCours], RequestStatus.Validee),
        ["Reject"] = (r => r.Reject(Build.Manager, "Pièces non conformes.", Build.Now), [RequestStatus.EnCours], RequestStatus.Rejetee),
        ["MarkPaid"] = (r => r.MarkPaid(Build.Manager, Build.Now), [RequestStatus.Validee], RequestStatus.DecideeEtPayee),
    };

    /// <summary>The action each transition is asked as, by the pages and the API (<see cref="FundingRequest.Allows"/>).</summary>
    private static readonly Dictionary<string, RequestAction> AskedAs = new()
    {
        ["Complete"] = RequestAction.Complete, ["OpenModificationRound"] = RequestAction.OpenRound,
        ["ConfirmModification"] = RequestAction.Modify, ["DeclineModification"] = RequestAction.Modify,
        ["CancelModificationRound"] = RequestAction.CancelRound, ["CloseExpiredRound"] = RequestAction.Modify,
        ["Validate"] = RequestAction.Validate, ["Reject"] = RequestAction.Reject, ["MarkPaid"] = RequestAction.MarkPaid,
    };

    public static TheoryData<RequestStatus, string> Table()
    {
        var data = new TheoryData<RequestStatus, string>();
        foreach (var status in Codes.AllStatuses)
            foreach (var name in Transitions.Keys)
                data.Add(status, name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_transition_is_allowed_only_from_its_status(RequestStatus from, string transition)
    {
        var request = Build.InStatus(from, Scheme);
        var (apply, allowed, to) = Transitions[transition];
        var historyBefore = request.History.Count;
        var versionBefore = request.Version;
        Assert.Equal(allowed.Contains(from), request.Allows(AskedAs[transition]));

        if (allowed.Contains(from))
        {
            apply(request);
            Assert.Equal(to, request.Status);
            var last = request.History[^1];
            Assert.Equal(from, last.FromStatus);
            Assert.Equal(to, last.ToStatus);
            Assert.True(request.Version > versionBefore);
        }
        else
        {
            var e = Assert.Throws<Refusal>(() => apply(request));
            Assert.Contains($"« {from.Label()} »", e.Message);
            Assert.Equal(from, request.Status);
            Assert.Equal(historyBefore, request.History.Count);
        }
    }

    [Fact]
    public void Deposit_without_a_required_attachment_is_incomplete_and_says_which()
    {
        var r = Build.Balance(complete: false);
        Assert.Equal(RequestStatus.Incomplete, r.Status);
        Assert.Equal([DocumentType.VerificationAptitude], r.MissingDocumentTypes(Scheme));
    }

    [Fact]
    public void Completing_with_a_still_missing_type_stays_incomplete()
    {
        var r = Build.Balance(complete: false);
        r.Complete(Build.Vendor, Scheme, [Build.Document(DocumentType.Autre, "autre.pdf")], Build.Now);
        Assert.Equal(RequestStatus.Incomplete, r.Status);
        Assert.Equal("Pièces justificatives ajoutées", r.History[^1].Event);
    }

    [Fact]
    public void A_round_needs_a_comment_and_at_least_one_item()
    {
        var r = Build.InStatus(RequestStatus.EnCours);
        Assert.Contains("commentaire", Assert.Throws<Refusal>(() => r.OpenModificationRound(Build.Manager, " ", [EditableField.ContactSupport], Scheme, Build.Now)).Message);
        Assert.Contains("au moins un élément", Assert.Throws<Refusal>(() => r.OpenModificationRound(Build.Manager, "Corrigez.", [], Scheme, Build.Now)).Message);
        Assert.Contains("ne peut pas être demandé", Assert.Throws<Refusal>(() => r.OpenModificationRound(Build.Manager, "Corrigez.", ["montantDemande"], Scheme, Build.Now)).Message);
        Assert.Equal(RequestStatus.EnCours, r.Status);
        Assert.Empty(r.Rounds);
    }

    [Fact]
    public void Rejecting_requires_a_reason()
    {
        var r = Build.InStatus(RequestStatus.EnCours);
        Assert.Contains("motif", Assert.Throws<Refusal>(() => r.Reject(Build.Manager, "", Build.Now)).Message);
        Assert.Equal(RequestStatus.EnCours, r.Status);
    }

    [Fact]
    public void Confirming_applies_the_draft_and_records_old_and_new_values()
    {
        var r = Build.InStatus(RequestStatus.AModifier);
        r.EditDraft(EditableField.ContactSupport, "support@agendapro.test", Build.Now);
        Assert.Equal("https://support.agendapro.test", r.ContactSupport); // invisible until « Confirmer »
        r.ConfirmModification(Build.Vendor, Build.Now.AddHours(1));
        Assert.Equal("support@agendapro.test", r.ContactSupport);
        var change = Assert.Single(r.History[^1].Changes);
        Assert.Equal(new FieldChange(EditableField.ContactSupport, "https://support.agendapro.test", "support@agendapro.test"), change);
        Assert.Equal(RoundOutcome.Confirmed, r.Rounds.Single().Outcome);
    }

    [Fact]
    public void An_invalid_value_never_enters_the_draft_so_it_can_never_be_confirmed()
    {
        var r = Build.InStatus(RequestStatus.AModifier);
        var refusal = Assert.Throws<Refusal>(() => r.EditDraft(EditableField.ContactSupport, "pas un contact", Build.Now));
        Assert.Equal(RefusalKind.Invalid, refusal.Kind);
        Assert.Equal("$." + EditableField.ContactSupport, refusal.Errors.Single().Chemin);
        Assert.Empty(r.OpenRound!.Draft);
        r.ConfirmModification(Build.Vendor, Build.Now);
        Assert.Equal("https://support.agendapro.test", r.ContactSupport);
    }

    [Fact]
    public void Every_invalid_field_of_one_edit_is_reported_and_none_is_kept()
    {
        var r = Build.InStatus(RequestStatus.AModifier);
        var refusal = Assert.Throws<Refusal>(() => r.EditDraft(new Dictionary<string, string?>
        {
            [EditableField.ContactSupport] = "pas un contact",
            ["montantDemande"] = "1000",
        }, Build.Now));
        Assert.Equal(["$." + EditableField.ContactSupport, "$.montantDemande"], refusal.Errors.Select(e => e.Chemin).Order());
        Assert.Empty(r.OpenRound!.Draft);
    }

    [Fact]
    public void A_field_that_was_not_asked_for_cannot_be_edited()
    {
        var r = Build.InStatus(RequestStatus.AModifier);
        Assert.Throws<Refusal>(() => r.EditDraft("montantDemande", "1000", Build.Now));
        Assert.Empty(r.OpenRound!.Draft);
    }

    [Fact]
    public void An_attachment_present_before_the_round_cannot_be_removed_but_a_draft_one_can()
    {
        var r = Build.InStatus(RequestStatus.AModifier);
        var before = r.Documents[0];
        Assert.Contains("présente avant la modification", Assert.Throws<Refusal>(() => r.RemoveDraftDocument(before.Id, Build.Now)).Message);
        var added = Build.Document(DocumentType.Autre, "nouvelle.pdf");
        r.AddDraftDocument(added, Scheme, Build.Now);
        Assert.DoesNotContain(added, r.ConfirmedDocuments);
        Assert.Same(added, r.RemoveDraftDocument(added.Id, Build.Now));
        Assert.Equal(2, r.Documents.Count);
    }

    [Fact]
    public void Declining_discards_the_draft_and_its_attachments()
    {
        var r = Build.InStatus(RequestStatus.AModifier);
        r.EditDraft(EditableField.ContactSupport, "support@agendapro.test", Build.Now);
        var added = Build.Document(DocumentType.Autre, "nouvelle.pdf");
        r.AddDraftDocument(added, Scheme, Build.Now);
        var discarded = r.DeclineModification(Build.Vendor, Build.Now);
        Assert.Equal([added], discarded);
        Assert.Equal("https://support.agendapro.test", r.ContactSupport);
        Assert.Empty(r.Rounds.Single().Draft);
        Assert.Equal(RoundOutcome.Declined, r.Rounds.Single().Outcome);
    }

    [Fact]
    public void The_round_deadlines_are_counted_in_Paris_calendar_days()
    {
        var r = Build.InStatus(RequestStatus.EnCours);
        // 26/11/2026 23:30 in Paris is 22:30 UTC: day J is the 26th in Paris.
        var round = r.OpenModificationRound(Build.Manager, "Corrigez.", [EditableField.ContactSupport], Scheme, new DateTime(2026, 11, 26, 22, 30, 0, DateTimeKind.Utc));
        Assert.Equal(new DateTime(2026, 12, 5, 23, 0, 0, DateTimeKind.Utc), round.ReminderDueAt); // 06/12 00:00 Paris
        Assert.Equal(new DateTime(2026, 12, 15, 23, 0, 0, DateTimeKind.Utc), round.ClosingDueAt);  // 16/12 00:00 Paris
        Assert.Equal(new DateOnly(2026, 12, 15), round.LastDay);
    }

    [Fact]
    public void The_automatic_closing_never_comes_before_the_deadline_nor_without_the_reminder()
    {
        var r = Build.InStatus(RequestStatus.AModifier);
        var round = r.OpenRound!;
        Assert.Throws<Refusal>(() => r.CloseExpiredRound(round.ClosingDueAt.AddDays(1))); // no reminder yet
        Assert.Throws<Refusal>(() => r.RecordReminderSent(round.ReminderDueAt.AddTicks(-1)));
        r.RecordReminderSent(round.ReminderDueAt);
        Assert.Throws<Refusal>(() => r.RecordReminderSent(round.ReminderDueAt)); // once
        Assert.Throws<Refusal>(() => r.CloseExpiredRound(round.ClosingDueAt.AddTicks(-1)));
        r.CloseExpiredRound(round.ClosingDueAt);
        Assert.Equal(RequestStatus.EnCours, r.Status);
        Assert.Equal("Délai expiré — instruite en l'état", r.History[^1].Event);
    }

    [Fact]
    public void A_late_reminder_moves_the_closing_to_ten_days_after_it()
    {
        var r = Build.InStatus(RequestStatus.AModifier);
        var round = r.OpenRound!;
        var late = round.ReminderDueAt.AddDays(15).AddHours(10); // an outage delayed the reminder to J+25
        r.RecordReminderSent(late);
        Assert.Equal(ParisCalendar.StartOfDayUtc(ParisCalendar.DateOf(late).AddDays(10)), round.ClosingDueAt);
    }
}
