using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Authlete's token backend call, for an authorization server built on Authlete's libraries: processes a token
    /// request (client credentials grant) received by the authorization server
    /// (<c>POST /api/{serviceId}/auth/token</c>; permission <c>client.read</c>).
    /// </summary>
    /// <remarks>
    /// The outcome of the token request itself is in the answer, not in the result: the server answers HTTP 200 with
    /// <see cref="TokenResponse.Action"/> (<c>OK</c>, <c>INVALID_CLIENT</c>, <c>BAD_REQUEST</c>,
    /// <c>INTERNAL_SERVER_ERROR</c>) and the <see cref="TokenResponse.ResponseContent"/> to relay to the client, and
    /// the SDK returns that as a success. An error result means the call failed (unknown service, wrong bearer token,
    /// malformed body). The answer carries the access token; its <c>ToString()</c> does not.
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request">
    /// <see cref="TokenRequest.Parameters"/>: the token request's form body as received
    /// (<c>grant_type=client_credentials&amp;scope=…</c>); <see cref="TokenRequest.ClientId"/> and
    /// <see cref="TokenRequest.ClientSecret"/>: the credentials from the request's <c>Authorization: Basic</c> header, if any.
    /// </param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<TokenResponse>> ProcessTokenRequestAsync(long serviceId, TokenRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/auth/token", Body(request, Json.TokenRequest), Json.TokenResponse, cancellationToken);

    /// <summary>
    /// Authlete's introspection backend call, for a resource server: checks an access token presented to it, and
    /// optionally that it covers scopes and belongs to a subject (<c>POST /api/{serviceId}/auth/introspection</c>;
    /// permission <c>client.read</c>).
    /// </summary>
    /// <remarks>
    /// As for <see cref="ProcessTokenRequestAsync"/>, the verdict is in the answer: HTTP 200 with
    /// <see cref="IntrospectionResponse.Action"/> (<c>OK</c>, <c>UNAUTHORIZED</c>, <c>FORBIDDEN</c>,
    /// <c>BAD_REQUEST</c>, <c>INTERNAL_SERVER_ERROR</c>) and, when it is not <c>OK</c>, the
    /// <see cref="IntrospectionResponse.ResponseContent"/> for the resource server's <c>WWW-Authenticate</c> header.
    /// The SDK returns every such answer as a success.
    /// </remarks>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request">The access token, and optionally the scopes it must cover and the subject it must belong to.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<IntrospectionResponse>> IntrospectTokenAsync(long serviceId, IntrospectionRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/auth/introspection", Body(request, Json.IntrospectionRequest), Json.IntrospectionResponse, cancellationToken);

    /// <summary>
    /// <c>POST /api/{serviceId}/auth/introspection/standard</c>: RFC 7662 introspection for an authorization server's own
    /// introspection endpoint; <see cref="StandardIntrospectionResponse.ResponseContent"/> is the body to relay.
    /// </summary>
    public Task<RekeyResult<StandardIntrospectionResponse>> IntrospectTokenStandardAsync(long serviceId, StandardIntrospectionRequest request,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/auth/introspection/standard", Body(request, Json.StandardIntrospectionRequest), Json.StandardIntrospectionResponse,
            cancellationToken);
}
