using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Lists a service's audit events, newest first (<c>GET /api/{serviceId}/audit/get/list</c>; Rekey extension,
    /// permission <c>audit.read</c>). Events name tokens and secrets by ID, never by value.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientId">Only the events of this client (the numeric client ID, not the alias); <see langword="null"/> for all.</param>
    /// <param name="action">
    /// Only the events of this action (one of <see cref="AuditActions.All"/>, e.g. <c>client.secret.update</c>);
    /// <see langword="null"/> for all. The server refuses any other name with <c>A170201</c>.
    /// </param>
    /// <param name="start">First index, inclusive (server default 0).</param>
    /// <param name="end">Last index, exclusive (server default 5; at most 1000 per page).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<AuditListResponse>> ListAuditEventsAsync(long serviceId, long? clientId = null, string? action = null, int? start = null, int? end = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/audit/get/list" + AuditQuery(null, clientId, action, start, end), null, Json.AuditListResponse, cancellationToken);

    /// <summary>
    /// Lists the audit events of the whole organisation, newest first, including those of deleted services and of
    /// calls that name no service (<c>GET /api/audit/get/list</c>; Rekey extension, organisation token).
    /// </summary>
    /// <param name="serviceId">Only the events of this service; <see langword="null"/> for all.</param>
    /// <param name="clientId">Only the events of this client (the numeric client ID, not the alias); <see langword="null"/> for all.</param>
    /// <param name="action">
    /// Only the events of this action (one of <see cref="AuditActions.All"/>); <see langword="null"/> for all. The
    /// server refuses any other name with <c>A170201</c>.
    /// </param>
    /// <param name="start">First index, inclusive (server default 0).</param>
    /// <param name="end">Last index, exclusive (server default 5; at most 1000 per page).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<AuditListResponse>> ListOrganisationAuditEventsAsync(long? serviceId = null, long? clientId = null, string? action = null,
        int? start = null, int? end = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/audit/get/list" + AuditQuery(serviceId, clientId, action, start, end), null, Json.AuditListResponse, cancellationToken);

    private static string AuditQuery(long? serviceId, long? clientId, string? action, int? start, int? end) =>
        Query(("serviceId", Number(serviceId)), ("clientId", Number(clientId)), ("action", action),
            ("start", Index(start, nameof(start))), ("end", Index(end, nameof(end))));
}
