using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    // ---- initial access tokens (Rekey extension) --------------------------------------------------------

    /// <summary>
    /// Creates an initial access token of the service (RFC 7591 §3): the bearer token a client presents to
    /// <c>POST /oauth2/{serviceId}/register</c> when the service's <c>clientRegistrationPolicy</c> is
    /// <c>INITIAL_ACCESS_TOKEN</c> (<c>POST /api/{serviceId}/registration/token/create</c>; Rekey extension, permission
    /// <c>client.registration</c>). The value (<c>rki_…</c>) is in <see cref="InitialAccessTokenInfo.Token"/> of this
    /// answer and nowhere else, ever; the server keeps its SHA-256.
    /// </summary>
    /// <remarks>
    /// Refusals: <see cref="InitialAccessTokenCreateRequest.ExpiresIn"/> outside 1 to 31,536,000 seconds is
    /// <c>400 A155201</c>; a description over 200 characters or with control characters is <c>400 A155202</c>; a
    /// property of the wrong type is <c>400 A000213</c>.
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request">An optional description, lifetime in seconds (absent: until revoked) and whether it registers one client only.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<InitialAccessTokenInfo>> CreateInitialAccessTokenAsync(long serviceId, InitialAccessTokenCreateRequest request,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/registration/token/create", Body(request, Json.InitialAccessTokenCreateRequest), Json.InitialAccessTokenInfo,
            cancellationToken);

    /// <summary>
    /// Lists the service's initial access tokens, oldest first, with how many clients each registered; never their
    /// values (<c>GET /api/{serviceId}/registration/token/get/list</c>; Rekey extension, permission <c>client.registration</c>).
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="start">First index, inclusive (server default 0).</param>
    /// <param name="end">Last index, exclusive (server default 5; at most 1000 per page).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<InitialAccessTokenListResponse>> ListInitialAccessTokensAsync(long serviceId, int? start = null, int? end = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/registration/token/get/list" + Query(("start", Index(start, nameof(start))), ("end", Index(end, nameof(end)))),
            null, Json.InitialAccessTokenListResponse, cancellationToken);

    /// <summary>
    /// Revokes an initial access token; it registers no more clients, and the clients it registered stay
    /// (<c>DELETE /api/{serviceId}/registration/token/delete/{tokenId}</c>; Rekey extension, permission
    /// <c>client.registration</c>). Success is HTTP 204; an unknown token (or one already revoked) is <c>404 A157201</c>.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="tokenId">The token's ID (<see cref="InitialAccessTokenInfo.TokenId"/>), not its value.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult> RevokeInitialAccessTokenAsync(long serviceId, long tokenId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/{serviceId}/registration/token/delete/{tokenId}", cancellationToken);

    /// <summary>
    /// Issues a new registration access token for a dynamically registered client — after its registration answer
    /// leaked (a <c>REVOKE</c> leak response replaces the token with one nobody has), or to hand the registration to new
    /// software — and returns it once; the previous one stops working
    /// (<c>POST /api/{serviceId}/client/registration_token/refresh/{clientIdentifier}</c>; Rekey extension, permission
    /// <c>client.registration</c>). Success is <c>A159001</c>; a client created through /api is <c>400 A159201</c>.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="clientIdentifier">The numeric client ID or the alias.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<RegistrationTokenRefreshResponse>> RefreshRegistrationTokenAsync(long serviceId, string clientIdentifier,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/client/registration_token/refresh/{Segment(clientIdentifier, nameof(clientIdentifier))}", null,
            Json.RegistrationTokenRefreshResponse, cancellationToken);

    // ---- Authlete's /client/registration API -------------------------------------------------------------

    /// <summary>
    /// Authlete's registration backend call, for an authorization server built on Authlete's libraries that runs its
    /// own registration endpoint: registers a client from the metadata the endpoint received (RFC 7591)
    /// (<c>POST /api/{serviceId}/client/registration</c>; permission <c>client.registration</c>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// As for <see cref="ProcessTokenRequestAsync"/>, the outcome is in the answer, not in the result: the server
    /// answers HTTP 200 with <see cref="ClientRegistrationResponse.Action"/> and the
    /// <see cref="ClientRegistrationResponse.ResponseContent"/> to relay to the client, and the SDK returns every such
    /// answer as a success. <c>CREATED</c> (<c>A202001</c>, relay as 201): the content is the RFC 7591 client
    /// information (<see cref="ClientInformation"/>) with the client secret and the registration access token, and
    /// <see cref="ClientRegistrationResponse.Client"/> the client in Authlete's shape. <c>BAD_REQUEST</c>: metadata not
    /// acceptable (<c>A202301</c>), registration closed for the service (<c>A202302</c>), redirect URIs not acceptable
    /// (<c>A202303</c>), a software statement (<c>A202304</c>). <c>INTERNAL_SERVER_ERROR</c>: <c>A202101</c>. An
    /// error result means the call itself failed (unknown service, wrong bearer token, missing permission, malformed body).
    /// </para>
    /// <para>
    /// The answer carries the client secret and the registration access token; its <c>ToString()</c> does not.
    /// </para>
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request"><see cref="ClientRegistrationRequest.Json"/>: the client metadata (RFC 7591 §2) as received, a JSON string.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientRegistrationResponse>> RegisterClientAsync(long serviceId, ClientRegistrationRequest request, CancellationToken cancellationToken = default) =>
        SendRegistrationAsync($"api/{serviceId}/client/registration", request, cancellationToken);

    /// <summary>
    /// Authlete's registration read call: a registered client reads its configuration with its registration access
    /// token (RFC 7592 §2.1) (<c>POST /api/{serviceId}/client/registration/get</c>; permission <c>client.registration</c>).
    /// </summary>
    /// <remarks>
    /// The verdict is in the answer, as for <see cref="RegisterClientAsync"/>: <c>OK</c> (<c>A217001</c>) with the
    /// client information in <see cref="ClientRegistrationResponse.ResponseContent"/>; a token that is not the client's
    /// is <c>A217301</c> with action <c>UNAUTHORIZED</c> when the service has <c>unauthorizedOnClientConfigSupported</c>,
    /// else <c>BAD_REQUEST</c> (as Authlete answers older libraries); <c>INTERNAL_SERVER_ERROR</c>: <c>A217101</c>.
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request"><see cref="ClientRegistrationRequest.ClientId"/> and <see cref="ClientRegistrationRequest.Token"/>, the registration access token the client presented.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientRegistrationResponse>> GetClientRegistrationAsync(long serviceId, ClientRegistrationRequest request,
        CancellationToken cancellationToken = default) =>
        SendRegistrationAsync($"api/{serviceId}/client/registration/get", request, cancellationToken);

    /// <summary>
    /// Authlete's registration update call: a registered client replaces its metadata (RFC 7592 §2.2)
    /// (<c>POST /api/{serviceId}/client/registration/update</c>; permission <c>client.registration</c>). The answer has
    /// a new registration access token; metadata without <c>client_secret</c> gets a new secret (the replaced one is
    /// honoured for the service's grace period), metadata that echoes the current secret keeps it.
    /// </summary>
    /// <remarks>
    /// The verdict is in the answer, as for <see cref="RegisterClientAsync"/>: <c>UPDATED</c> (<c>A213001</c>); a
    /// token that is not the client's is <c>A213301</c> (<c>UNAUTHORIZED</c> or <c>BAD_REQUEST</c>, as for
    /// <see cref="GetClientRegistrationAsync"/>); <c>BAD_REQUEST</c>: a <c>client_id</c> or <c>client_secret</c> that is
    /// not the client's (<c>A213302</c>) or metadata not acceptable (<c>A202301</c>, <c>A202303</c>, <c>A202304</c>);
    /// <c>INTERNAL_SERVER_ERROR</c>: <c>A213101</c>.
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request"><see cref="ClientRegistrationRequest.ClientId"/>, <see cref="ClientRegistrationRequest.Token"/> and the new metadata in <see cref="ClientRegistrationRequest.Json"/>.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientRegistrationResponse>> UpdateClientRegistrationAsync(long serviceId, ClientRegistrationRequest request,
        CancellationToken cancellationToken = default) =>
        SendRegistrationAsync($"api/{serviceId}/client/registration/update", request, cancellationToken);

    /// <summary>
    /// Authlete's registration delete call: a registered client deletes itself (RFC 7592 §2.3); its secret and its
    /// registration access token stop working (<c>POST /api/{serviceId}/client/registration/delete</c>; permission
    /// <c>client.registration</c>).
    /// </summary>
    /// <remarks>
    /// The verdict is in the answer, as for <see cref="RegisterClientAsync"/>: <c>DELETED</c> (<c>A216001</c>, relay as
    /// 204, no content); a token that is not the client's is <c>A216301</c> (<c>UNAUTHORIZED</c> or
    /// <c>BAD_REQUEST</c>, as for <see cref="GetClientRegistrationAsync"/>); <c>INTERNAL_SERVER_ERROR</c>: <c>A216101</c>.
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request"><see cref="ClientRegistrationRequest.ClientId"/> and <see cref="ClientRegistrationRequest.Token"/>.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<ClientRegistrationResponse>> DeleteClientRegistrationAsync(long serviceId, ClientRegistrationRequest request,
        CancellationToken cancellationToken = default) =>
        SendRegistrationAsync($"api/{serviceId}/client/registration/delete", request, cancellationToken);

    private Task<RekeyResult<ClientRegistrationResponse>> SendRegistrationAsync(string path, ClientRegistrationRequest request, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, Body(request, Json.ClientRegistrationRequest), Json.ClientRegistrationResponse, cancellationToken);
}
