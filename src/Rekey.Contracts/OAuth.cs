using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rekey.Contracts;

/// <summary>RFC 6749 §5.1 successful token response of <c>POST /oauth2/{serviceId}/token</c>.</summary>
public sealed record OAuthTokenResponse
{
    /// <summary>The access token: a JWT per RFC 9068.</summary>
    [JsonPropertyName("access_token")]
    public required string AccessToken { get; init; }

    /// <summary>Always <c>Bearer</c>.</summary>
    [JsonPropertyName("token_type")]
    public string TokenType { get; init; } = "Bearer";

    /// <summary>Lifetime in seconds.</summary>
    [JsonPropertyName("expires_in")]
    public long ExpiresIn { get; init; }

    /// <summary>Granted scopes, space-separated; absent when none.</summary>
    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"OAuthTokenResponse {{ TokenType = {TokenType}, ExpiresIn = {ExpiresIn}, Scope = {Scope}, AccessToken = {Redact.Secret(AccessToken)} }}";
}

/// <summary>RFC 6749 §5.2 error response.</summary>
public sealed record OAuthError
{
    /// <summary><c>invalid_request</c>, <c>invalid_client</c>, <c>unauthorized_client</c>, <c>unsupported_grant_type</c>, <c>invalid_scope</c>, …</summary>
    [JsonPropertyName("error")]
    public required string Error { get; init; }

    /// <summary>Human-readable explanation (ASCII, never a secret).</summary>
    [JsonPropertyName("error_description")]
    public string? ErrorDescription { get; init; }
}

/// <summary>RFC 7662 §2.2 introspection response. Inactive tokens carry <c>active: false</c> and nothing else.</summary>
public sealed record IntrospectionResult
{
    /// <summary>Whether the token is currently active.</summary>
    [JsonPropertyName("active")]
    public bool Active { get; init; }

    /// <summary>Space-separated scopes.</summary>
    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    /// <summary>The client the token was issued to.</summary>
    [JsonPropertyName("client_id")]
    public string? ClientId { get; init; }

    /// <summary>Always <c>Bearer</c> for active tokens.</summary>
    [JsonPropertyName("token_type")]
    public string? TokenType { get; init; }

    /// <summary>Expiry, seconds since the epoch.</summary>
    [JsonPropertyName("exp")]
    public long? Exp { get; init; }

    /// <summary>Issue time, seconds since the epoch.</summary>
    [JsonPropertyName("iat")]
    public long? Iat { get; init; }

    /// <summary>Subject: the client ID for client-credentials tokens.</summary>
    [JsonPropertyName("sub")]
    public string? Sub { get; init; }

    /// <summary>Audience: one string, or an array when there are several (RFC 7519 §4.1.3).</summary>
    [JsonPropertyName("aud")]
    [JsonConverter(typeof(StringOrArrayConverter))]
    public IReadOnlyList<string>? Aud { get; init; }

    /// <summary>Issuer.</summary>
    [JsonPropertyName("iss")]
    public string? Iss { get; init; }

    /// <summary>Token ID.</summary>
    [JsonPropertyName("jti")]
    public string? Jti { get; init; }
}

/// <summary>RFC 8414 authorization server metadata.</summary>
public sealed record AuthorizationServerMetadata
{
#pragma warning disable CS1591 // RFC 8414 §2 defines each member.
    [JsonPropertyName("issuer")]
    public required string Issuer { get; init; }

    [JsonPropertyName("token_endpoint")]
    public required string TokenEndpoint { get; init; }

    [JsonPropertyName("jwks_uri")]
    public required string JwksUri { get; init; }

    [JsonPropertyName("introspection_endpoint")]
    public required string IntrospectionEndpoint { get; init; }

    [JsonPropertyName("scopes_supported")]
    public IReadOnlyList<string>? ScopesSupported { get; init; }

    [JsonPropertyName("response_types_supported")]
    public IReadOnlyList<string> ResponseTypesSupported { get; init; } = [];

    [JsonPropertyName("grant_types_supported")]
    public IReadOnlyList<string> GrantTypesSupported { get; init; } = [];

    [JsonPropertyName("token_endpoint_auth_methods_supported")]
    public IReadOnlyList<string> TokenEndpointAuthMethodsSupported { get; init; } = [];

    [JsonPropertyName("introspection_endpoint_auth_methods_supported")]
    public IReadOnlyList<string> IntrospectionEndpointAuthMethodsSupported { get; init; } = [];

    /// <summary>RFC 8414 §2: the JWS algorithms of client assertions (client_secret_jwt) at the token endpoint.</summary>
    [JsonPropertyName("token_endpoint_auth_signing_alg_values_supported")]
    public IReadOnlyList<string>? TokenEndpointAuthSigningAlgValuesSupported { get; init; }

    /// <summary>RFC 8414 §2: the same at the introspection endpoint.</summary>
    [JsonPropertyName("introspection_endpoint_auth_signing_alg_values_supported")]
    public IReadOnlyList<string>? IntrospectionEndpointAuthSigningAlgValuesSupported { get; init; }

    /// <summary>RFC 8414 §2 / RFC 7591 §3: where clients register, when the service's clientRegistrationPolicy is not CLOSED.</summary>
    [JsonPropertyName("registration_endpoint")]
    public string? RegistrationEndpoint { get; init; }

    [JsonPropertyName("access_token_signing_alg_values_supported")]
    public IReadOnlyList<string> AccessTokenSigningAlgValuesSupported { get; init; } = [];
#pragma warning restore CS1591
}

/// <summary>One public key of a JSON Web Key Set (RFC 7517), EC P-256.</summary>
public sealed record JsonWebKey
{
#pragma warning disable CS1591 // RFC 7517/7518 define each member.
    [JsonPropertyName("kty")]
    public string Kty { get; init; } = "EC";

    [JsonPropertyName("crv")]
    public string Crv { get; init; } = "P-256";

    [JsonPropertyName("x")]
    public required string X { get; init; }

    [JsonPropertyName("y")]
    public required string Y { get; init; }

    [JsonPropertyName("kid")]
    public required string Kid { get; init; }

    [JsonPropertyName("use")]
    public string Use { get; init; } = "sig";

    [JsonPropertyName("alg")]
    public string Alg { get; init; } = "ES256";
#pragma warning restore CS1591
}

/// <summary>A JSON Web Key Set.</summary>
public sealed record JsonWebKeySet
{
    /// <summary>The keys.</summary>
    [JsonPropertyName("keys")]
    public IReadOnlyList<JsonWebKey> Keys { get; init; } = [];
}

/// <summary>Request of Authlete's <c>POST /api/{serviceId}/auth/token</c>.</summary>
public sealed record TokenRequest
{
    /// <summary>The client's token request body, <c>application/x-www-form-urlencoded</c>, as received.</summary>
    public string? Parameters { get; init; }

    /// <summary>Client ID from the <c>Authorization: Basic</c> header, when the client used it.</summary>
    public string? ClientId { get; init; }

    /// <summary>Client secret from the <c>Authorization: Basic</c> header, when the client used it.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>Other properties of Authlete's request; accepted, not interpreted.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"TokenRequest {{ ClientId = {ClientId}, ClientSecret = {Redact.Secret(ClientSecret)}, Parameters = {Redact.Secret(Parameters)} }}";
}

/// <summary>Response of Authlete's <c>/auth/token</c> for the client credentials grant.</summary>
public sealed record TokenResponse
{
#pragma warning disable CS1591 // Authlete's document defines each member.
    public required string ResultCode { get; init; }

    public required string ResultMessage { get; init; }

    /// <summary><c>OK</c>, <c>INVALID_CLIENT</c>, <c>BAD_REQUEST</c> or <c>INTERNAL_SERVER_ERROR</c>.</summary>
    public required string Action { get; init; }

    /// <summary>The exact JSON body the authorization server sends to the client.</summary>
    public required string ResponseContent { get; init; }

    public string? AccessToken { get; init; }

    public long? AccessTokenExpiresAt { get; init; }

    public long? AccessTokenDuration { get; init; }

    public string? JwtAccessToken { get; init; }

    public string? GrantType { get; init; }

    public long? ClientId { get; init; }

    public string? ClientIdAlias { get; init; }

    public bool? ClientIdAliasUsed { get; init; }

    public string? Subject { get; init; }

    public IReadOnlyList<string>? Scopes { get; init; }

    public string? ClientAuthMethod { get; init; }

    public IReadOnlyList<string>? Resources { get; init; }

    public IReadOnlyList<string>? AccessTokenResources { get; init; }
#pragma warning restore CS1591

    /// <inheritdoc />
    public override string ToString() =>
        $"TokenResponse {{ ResultCode = {ResultCode}, Action = {Action}, ClientId = {ClientId}, AccessToken = {Redact.Secret(AccessToken)}, ResponseContent = {Redact.Secret(ResponseContent)} }}";
}

/// <summary>Request of Authlete's <c>POST /api/{serviceId}/auth/introspection</c>.</summary>
public sealed record IntrospectionRequest
{
    /// <summary>The access token to check.</summary>
    public string? Token { get; init; }

    /// <summary>Scopes the resource requires; all must be covered.</summary>
    public List<string>? Scopes { get; init; }

    /// <summary>Subject the resource requires.</summary>
    public string? Subject { get; init; }

    /// <summary>Other properties of Authlete's request; accepted, not interpreted.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"IntrospectionRequest {{ Token = {Redact.Secret(Token)}, Subject = {Subject} }}";
}

/// <summary>Response of Authlete's <c>/auth/introspection</c>.</summary>
public sealed record IntrospectionResponse
{
#pragma warning disable CS1591 // Authlete's document defines each member.
    public required string ResultCode { get; init; }

    public required string ResultMessage { get; init; }

    /// <summary><c>OK</c>, <c>UNAUTHORIZED</c>, <c>FORBIDDEN</c>, <c>BAD_REQUEST</c> or <c>INTERNAL_SERVER_ERROR</c>.</summary>
    public required string Action { get; init; }

    /// <summary>For errors: the value of the <c>WWW-Authenticate</c> header the resource server should send.</summary>
    public string? ResponseContent { get; init; }

    public long? ClientId { get; init; }

    public string? ClientIdAlias { get; init; }

    public bool? ClientIdAliasUsed { get; init; }

    public long? ExpiresAt { get; init; }

    public string? Subject { get; init; }

    public IReadOnlyList<string>? Scopes { get; init; }

    public bool? Existent { get; init; }

    public bool? Usable { get; init; }

    public bool? Sufficient { get; init; }

    public bool? Refreshable { get; init; }

    public string? GrantType { get; init; }

    public IReadOnlyList<string>? AccessTokenResources { get; init; }
#pragma warning restore CS1591
}

/// <summary>A scope of a service (<c>supportedScopes</c> items).</summary>
public sealed record ServiceScope
{
    /// <summary>Scope name (RFC 6749 §3.3 characters).</summary>
    public string? Name { get; init; }

    /// <summary>Granted when a client asks for no scope.</summary>
    public bool? DefaultEntry { get; init; }

    /// <summary>Description.</summary>
    public string? Description { get; init; }

    /// <summary>Other properties, kept as sent.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>RFC 7519 §4.1.3: a single value is written as a string, several as an array; both are read.</summary>
public sealed class StringOrArrayConverter : JsonConverter<IReadOnlyList<string>?>
{
    /// <inheritdoc />
    public override IReadOnlyList<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return [reader.GetString() ?? ""];
            case JsonTokenType.StartArray:
                var values = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    values.Add(reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : throw new JsonException("Audience values are strings."));
                }

                return values;
            default:
                throw new JsonException("An audience is a string or an array of strings.");
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string>? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else if (value.Count == 1)
        {
            writer.WriteStringValue(value[0]);
        }
        else
        {
            writer.WriteStartArray();
            foreach (var item in value)
            {
                writer.WriteStringValue(item);
            }

            writer.WriteEndArray();
        }
    }
}

/// <summary>Request of Authlete's <c>POST /api/{serviceId}/auth/introspection/standard</c>: the RFC 7662 request body as the resource server sent it.</summary>
public sealed record StandardIntrospectionRequest
{
    /// <summary>The <c>application/x-www-form-urlencoded</c> body of the introspection request (<c>token</c>, <c>token_type_hint</c>).</summary>
    public string? Parameters { get; init; }

    /// <summary>Other properties of Authlete's request (<c>withHiddenProperties</c>, <c>rsUri</c>, <c>httpAcceptHeader</c>); accepted, not interpreted.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <inheritdoc />
    public override string ToString() => "StandardIntrospectionRequest { Parameters = (redacted) }";
}

/// <summary>Response of Authlete's <c>/auth/introspection/standard</c>: what the authorization server relays, and how.</summary>
public sealed record StandardIntrospectionResponse
{
#pragma warning disable CS1591 // Authlete's document defines each member.
    public required string ResultCode { get; init; }

    public required string ResultMessage { get; init; }

    /// <summary><c>OK</c> (relay <see cref="ResponseContent"/> with 200), <c>BAD_REQUEST</c> (400) or <c>INTERNAL_SERVER_ERROR</c> (500).</summary>
    public string? Action { get; init; }

    /// <summary>The RFC 7662 response body (JSON) or error body to relay.</summary>
    public string? ResponseContent { get; init; }
#pragma warning restore CS1591
}

/// <summary>Authlete's requestable scopes of a client (<c>client/extension/requestable_scopes/*</c>), in requests and responses.</summary>
public sealed record RequestableScopesDocument
{
    /// <summary>The scopes the client may request; absent when the client may request every scope the service supports.</summary>
    public IReadOnlyList<string>? RequestableScopes { get; init; }
}
