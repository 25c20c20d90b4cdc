using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Creates a service (<c>POST /api/service/create</c>; organisation token). The answer's
    /// <see cref="ServiceDocument.ApiKey"/> is the new service ID used by every other call.
    /// </summary>
    /// <param name="service">The document; at least <see cref="ServiceDocument.ServiceName"/>. Read-only properties are ignored.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ServiceDocument>> CreateServiceAsync(ServiceDocument service, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/service/create", Body(service, Json.ServiceDocument), Json.ServiceDocument, cancellationToken);

    /// <summary>Gets a service (<c>GET /api/{serviceId}/service/get</c>).</summary>
    /// <param name="serviceId">The service ID (<see cref="ServiceDocument.ApiKey"/>).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ServiceDocument>> GetServiceAsync(long serviceId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/service/get", null, Json.ServiceDocument, cancellationToken);

    /// <summary>
    /// Gets the service's discovery document, the one published at <c>{issuer}/.well-known/openid-configuration</c>
    /// (<c>GET /api/{serviceId}/service/configuration</c>, permission <c>service.read</c>).
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<AuthorizationServerMetadata>> GetServiceConfigurationAsync(long serviceId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/service/configuration", null, Json.AuthorizationServerMetadata, cancellationToken);

    /// <summary>
    /// Gets the service's JWK set: the public signing keys published now (<c>GET /api/{serviceId}/service/jwks/get</c>,
    /// permission <c>service.read</c>). Rekey never returns private keys.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<JsonWebKeySet>> GetServiceJwksAsync(long serviceId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/service/jwks/get", null, Json.JsonWebKeySet, cancellationToken);

    /// <summary>Lists the services the token can see (<c>GET /api/service/get/list</c>).</summary>
    /// <param name="start">First index, inclusive (server default 0).</param>
    /// <param name="end">Last index, exclusive (server default 5; at most 1000 per page).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ServiceListResponse>> ListServicesAsync(int? start = null, int? end = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/service/get/list" + Query(("start", Index(start, nameof(start))), ("end", Index(end, nameof(end)))),
            null, Json.ServiceListResponse, cancellationToken);

    /// <summary>
    /// Replaces a service's document (<c>POST /api/{serviceId}/service/update</c>). This is a full replace: get the
    /// document, change it, and send all of it back.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="service">The complete new document.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ServiceDocument>> UpdateServiceAsync(long serviceId, ServiceDocument service, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/service/update", Body(service, Json.ServiceDocument), Json.ServiceDocument, cancellationToken);

    /// <summary>
    /// Deletes a service with its clients, secrets and API tokens (<c>DELETE /api/{serviceId}/service/delete</c>;
    /// organisation token). Success is HTTP 204.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult> DeleteServiceAsync(long serviceId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/{serviceId}/service/delete", cancellationToken);
}
