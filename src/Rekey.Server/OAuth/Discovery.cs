using Rekey.Contracts;

namespace Rekey.Server.OAuth;

/// <summary>
/// The one builder of a service's discovery document and key set. The same document answers at the RFC 8414 URL
/// (<c>/.well-known/oauth-authorization-server/oauth2/{sid}</c>), at the OpenID Connect Discovery URL that most
/// libraries derive from the issuer (<c>/oauth2/{sid}/.well-known/openid-configuration</c>, RFC 8414 §5), and at
/// Authlete's <c>GET /api/{sid}/service/configuration</c>. It names only what Rekey does: no authorization or userinfo
/// endpoint, no ID token, so none of OpenID Connect's provider-only members.
/// </summary>
internal static class Discovery
{
    private static readonly string[] ClientAuthMethods = ["client_secret_basic", "client_secret_post", "client_secret_jwt"];

    public static AuthorizationServerMetadata Metadata(string issuer, ServiceDocument service) => new()
    {
        Issuer = issuer,
        TokenEndpoint = issuer + "/token",
        JwksUri = issuer + "/jwks",
        IntrospectionEndpoint = issuer + "/introspect",
        ScopesSupported = service.SupportedScopes?.Select(s => s.Name).OfType<string>().ToList(),
        ResponseTypesSupported = [],
        GrantTypesSupported = [TokenIssuer.ClientCredentials],
        TokenEndpointAuthMethodsSupported = ClientAuthMethods,
        IntrospectionEndpointAuthMethodsSupported = ClientAuthMethods,
        TokenEndpointAuthSigningAlgValuesSupported = ClientAssertion.Algorithms,
        IntrospectionEndpointAuthSigningAlgValuesSupported = ClientAssertion.Algorithms,
        AccessTokenSigningAlgValuesSupported = ["ES256"],
        RegistrationEndpoint = Services.ServiceRules.RegistrationPolicyOf(service) == ClientRegistrationPolicies.Closed ? null : Registration.RegistrationEndpoint.Endpoint(issuer),
    };

    /// <summary>The service's JWK set: public keys only, those published now (<see cref="SigningKeys.PublishedAsync"/>).</summary>
    public static async Task<JsonWebKeySet> KeySetAsync(SigningKeys keys, long serviceId, CancellationToken ct)
    {
        // Make sure a key exists, so that a resource server configured before the first token still finds one.
        await keys.CurrentAsync(serviceId, ct);
        return new JsonWebKeySet { Keys = [.. (await keys.PublishedAsync(serviceId, ct)).Select(k => k.Jwk)] };
    }
}
