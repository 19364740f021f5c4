namespace Guichet.Requests;

/// <summary>Registers the actions on requests: pages, API endpoints, admin verbs and workers take them from here.</summary>
public static class RequestActions
{
    public static IServiceCollection AddRequestActions(this IServiceCollection services) => services
        .AddScoped<DocumentIntake>()
        .AddScoped<CompleteRequest>()
        .AddScoped<SaveDraft>()
        .AddScoped<ImportDraftDocument>()
        .AddScoped<RemoveDraftDocument>()
        .AddScoped<ConfirmModification>()
        .AddScoped<DeclineModification>()
        .AddScoped<OpenRound>()
        .AddScoped<CancelRound>()
        .AddScoped<ValidateRequest>()
        .AddScoped<RejectRequest>()
        .AddScoped<MarkPaid>()
        .AddScoped<AssignRequest>()
        .AddScoped<UnassignRequest>()
        .AddScoped<AddInternalNote>();
}
