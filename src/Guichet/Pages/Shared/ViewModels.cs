using System.Security.Claims;
using Guichet.Data;
using Guichet.Email;
using Guichet.Requests;
using Microsoft.EntityFrameworkCore;

namespace Guichet.Pages.Shared;

/// <summary>The « Demander une modification » form, shared by the instruction page and the support desk.</summary>
public sealed record OpenRoundForm(FundingRequest Request, FundingScheme Scheme, string? Comment, IReadOnlyCollection<string> Items,
    bool AtVendorRequest)
{
    /// <summary>The checklist: the scheme's editable fields, then the attachment types that may be added.</summary>
    public IReadOnlyList<(string Code, string Label)> Choices =>
        Scheme.EditableFieldList.Select(f => (f, EditableField.ItemLabel(f)))
            .Concat(Scheme.AttachmentsMayBeAdded
                ? Enum.GetValues<DocumentType>().Select(t => (EditableField.DocumentItem(t), EditableField.ItemLabel(EditableField.DocumentItem(t))))
                : [])
            .ToList();
}

/// <summary>The model of the request data partial: the request and, on the manager's page, the last changes.</summary>
public sealed record RequestDisplay(FundingRequest Request, LastChanges Highlights);

/// <summary>What the agency's request pages (instruction, support) show: the request, the e-mails written about it, its internal notes.</summary>
public sealed record AgencyRequestView(FundingRequest Request, List<OutboxMessage> Emails, List<InternalNote> Notes)
{
    /// <summary>Reads the request as saved (after a refused action, nothing of it stays tracked); null when not visible.</summary>
    public static async Task<AgencyRequestView?> LoadAsync(GuichetDbContext db, ClaimsPrincipal user, string numero, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        return await RequestAccess.FindAsync(db, user, numero, ct) is { } request
            ? new AgencyRequestView(request, await Outbox.OfRequestAsync(db, request.Id, ct),
                await db.InternalNotes.Where(n => n.FundingRequestId == request.Id).OrderByDescending(n => n.At).ThenByDescending(n => n.Id).ToListAsync(ct))
            : null;
    }
}

/// <summary>The history partial's model: the request's history and, on agency pages only, its internal notes.</summary>
public sealed record TimelineView(IEnumerable<HistoryEntry> History, IEnumerable<InternalNote>? Notes = null);

/// <summary>The « Notes internes » block: the notes, the text sent back after a refusal, the refusal.</summary>
public sealed record InternalNotesForm(IReadOnlyList<InternalNote> Notes, string? Draft, string? Error);
