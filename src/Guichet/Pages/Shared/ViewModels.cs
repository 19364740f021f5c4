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
