using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Sets a client's secret to a value of the caller's choosing
    /// (<c>POST /api/{serviceId}/client/secret/update/{clientIdentifier}</c>). Success is result code <c>A149001</c>
    /// with the new and the old secret.
    /// </summary>
    /// <remarks>
    /// The secret is checked with <see cref="ClientSecretRules.Check"/> first. A secret that breaks a rule is refused
    /// without a request: the error has the result code and message the server would have answered with, HTTP status
    /// 400 and <see cref="RekeyError.IsLocal"/> set.
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="request">
    /// The new secret: 1 to 86 characters of <c>A-Z a-z 0-9 - _</c>; and optionally
    /// <see cref="ClientSecretUpdateRequest.GracePeriod"/>, the seconds the old secret stays valid (Rekey extension;
    /// the server refuses a negative value or one over 30 days with <c>A149206</c>).
    /// </param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientSecretResponse>> UpdateClientSecretAsync(long serviceId, string clientIdentifier, ClientSecretUpdateRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = $"api/{serviceId}/client/secret/update/{Segment(clientIdentifier, nameof(clientIdentifier))}";
        cancellationToken.ThrowIfCancellationRequested();
        return ClientSecretRules.Check(request.ClientSecret) is { } violation
            ? RefusedLocally<ClientSecretResponse>(violation)
            : SendAsync(HttpMethod.Post, path, Body(request, Json.ClientSecretUpdateRequest), Json.ClientSecretResponse, cancellationToken);
    }

    /// <summary>
    /// Replaces a client's secret with one the server generates (64 random bytes, base64url, 86 characters)
    /// (<c>GET /api/{serviceId}/client/secret/refresh/{clientIdentifier}</c>). Success is result code <c>A148001</c>
    /// with the new and the old secret. The old secret stays valid for the service's <c>clientSecretGracePeriod</c>;
    /// <see cref="RefreshClientSecretAsync(long, string, long?, CancellationToken)"/> chooses another grace period.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientSecretResponse>> RefreshClientSecretAsync(long serviceId, string clientIdentifier, CancellationToken cancellationToken = default) =>
        RefreshClientSecretAsync(serviceId, clientIdentifier, null, cancellationToken);

    /// <summary>
    /// Replaces a client's secret with one the server generates (64 random bytes, base64url, 86 characters), keeping
    /// the old secret valid for <paramref name="gracePeriod"/> seconds
    /// (<c>GET /api/{serviceId}/client/secret/refresh/{clientIdentifier}?gracePeriod=</c>). Success is result code
    /// <c>A148001</c> with the new and the old secret.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="gracePeriod">
    /// Rekey extension: seconds the old secret stays valid, overriding the service's <c>clientSecretGracePeriod</c>
    /// (0: it stops working at once, Authlete's behaviour); <see langword="null"/> for the service's setting. The
    /// server refuses a negative value or one over 30 days with <c>A149206</c>.
    /// </param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientSecretResponse>> RefreshClientSecretAsync(long serviceId, string clientIdentifier, long? gracePeriod,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get,
            $"api/{serviceId}/client/secret/refresh/{Segment(clientIdentifier, nameof(clientIdentifier))}" + Query(("gracePeriod", Number(gracePeriod))), null,
            Json.ClientSecretResponse, cancellationToken);

    /// <summary>
    /// Lists every secret kept for a client, newest first, with its status (<c>current</c>, <c>previous</c>,
    /// <c>expired</c>, <c>revoked</c>), its times and a hint; never a secret value
    /// (<c>GET /api/{serviceId}/client/secret/list/{clientIdentifier}</c>; Rekey extension, permission
    /// <c>client.read</c>). Success is result code <c>A150001</c>.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientSecretListResponse>> ListClientSecretsAsync(long serviceId, string clientIdentifier, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/client/secret/list/{Segment(clientIdentifier, nameof(clientIdentifier))}", null,
            Json.ClientSecretListResponse, cancellationToken);

    /// <summary>
    /// Revokes one of a client's secrets now, ending a previous secret's grace period
    /// (<c>DELETE /api/{serviceId}/client/secret/delete/{clientIdentifier}/{secretId}</c>; Rekey extension,
    /// permission <c>client.secret.write</c>). Success is result code <c>A151001</c> (HTTP 200, with a body). The
    /// current secret cannot be revoked (<c>A151201</c>: update or refresh it instead); an unknown secret ID is
    /// <c>A151202</c>.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the client ID alias.</param>
    /// <param name="secretId">The secret's ID (<see cref="ClientSecretInfo.SecretId"/> from <see cref="ListClientSecretsAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ResultResponse>> RevokeClientSecretAsync(long serviceId, string clientIdentifier, long secretId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/{serviceId}/client/secret/delete/{Segment(clientIdentifier, nameof(clientIdentifier))}/{secretId}", null,
            Json.ResultResponse, cancellationToken);
}
