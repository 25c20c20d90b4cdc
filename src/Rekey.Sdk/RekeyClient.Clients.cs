using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Creates a client (<c>POST /api/{serviceId}/client/create</c>). The server generates
    /// <see cref="ClientDocument.ClientId"/> and the first <see cref="ClientDocument.ClientSecret"/> (returned to
    /// tokens with <c>client.secret.read</c>).
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="client">The document; read-only properties are ignored.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientDocument>> CreateClientAsync(long serviceId, ClientDocument client, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/client/create", Body(client, Json.ClientDocument), Json.ClientDocument, cancellationToken);

    /// <summary>Gets a client (<c>GET /api/{serviceId}/client/get/{clientIdentifier}</c>).</summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientDocument>> GetClientAsync(long serviceId, string clientIdentifier, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/client/get/{Segment(clientIdentifier, nameof(clientIdentifier))}", null, Json.ClientDocument, cancellationToken);

    /// <summary>Lists a service's clients (<c>GET /api/{serviceId}/client/get/list</c>).</summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="developer">Only the clients of this developer; <see langword="null"/> for all.</param>
    /// <param name="start">First index, inclusive (server default 0).</param>
    /// <param name="end">Last index, exclusive (server default 5; at most 1000 per page).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientListResponse>> ListClientsAsync(long serviceId, string? developer = null, int? start = null, int? end = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get,
            $"api/{serviceId}/client/get/list" + Query(("developer", developer), ("start", Index(start, nameof(start))), ("end", Index(end, nameof(end)))),
            null, Json.ClientListResponse, cancellationToken);

    /// <summary>
    /// Replaces a client's document (<c>POST /api/{serviceId}/client/update/{clientIdentifier}</c>). This is a full
    /// replace: properties left out are removed. Get the document, change it, send all of it back.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="client">The complete new document; read-only properties (ID, secret, lock flag) are ignored.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientDocument>> UpdateClientAsync(long serviceId, string clientIdentifier, ClientDocument client, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/client/update/{Segment(clientIdentifier, nameof(clientIdentifier))}",
            Body(client, Json.ClientDocument), Json.ClientDocument, cancellationToken);

    /// <summary>
    /// Deletes a client with its secrets (<c>DELETE /api/{serviceId}/client/delete/{clientIdentifier}</c>). Success is
    /// HTTP 204.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult> DeleteClientAsync(long serviceId, string clientIdentifier, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/{serviceId}/client/delete/{Segment(clientIdentifier, nameof(clientIdentifier))}", cancellationToken);

    /// <summary>
    /// Locks or unlocks a client (<c>POST /api/{serviceId}/client/lock_flag/update/{clientIdentifier}</c>). Success
    /// is result code <c>A125001</c>.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="request"><c>{clientLocked: true}</c> to lock, <c>false</c> to unlock.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ResultResponse>> UpdateClientLockFlagAsync(long serviceId, string clientIdentifier, ClientFlagUpdateRequest request,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/client/lock_flag/update/{Segment(clientIdentifier, nameof(clientIdentifier))}",
            Body(request, Json.ClientFlagUpdateRequest), Json.ResultResponse, cancellationToken);

    /// <summary><c>GET /api/{serviceId}/client/extension/requestable_scopes/get/{clientIdentifier}</c>: the scopes the client may request (none listed: every supported scope).</summary>
    public Task<RekeyResult<RequestableScopesDocument>> GetRequestableScopesAsync(long serviceId, string clientIdentifier, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/client/extension/requestable_scopes/get/{Segment(clientIdentifier, nameof(clientIdentifier))}", null,
            Json.RequestableScopesDocument, cancellationToken);

    /// <summary><c>PUT /api/{serviceId}/client/extension/requestable_scopes/update/{clientIdentifier}</c>: the client may request only these scopes.</summary>
    public Task<RekeyResult<RequestableScopesDocument>> UpdateRequestableScopesAsync(long serviceId, string clientIdentifier, RequestableScopesDocument scopes,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"api/{serviceId}/client/extension/requestable_scopes/update/{Segment(clientIdentifier, nameof(clientIdentifier))}",
            Body(scopes, Json.RequestableScopesDocument), Json.RequestableScopesDocument, cancellationToken);

    /// <summary><c>DELETE /api/{serviceId}/client/extension/requestable_scopes/delete/{clientIdentifier}</c>: the client may request every supported scope again.</summary>
    public Task<RekeyResult> DeleteRequestableScopesAsync(long serviceId, string clientIdentifier, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/{serviceId}/client/extension/requestable_scopes/delete/{Segment(clientIdentifier, nameof(clientIdentifier))}", cancellationToken);
}
