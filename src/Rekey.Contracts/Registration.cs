using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rekey.Contracts;

/// <summary>
/// Who may register clients of a service dynamically (RFC 7591), the service's <c>clientRegistrationPolicy</c> (Rekey
/// extension). Authlete's <c>dynamicRegistrationSupported</c> follows it: true unless <see cref="Closed"/>.
/// </summary>
public static class ClientRegistrationPolicies
{
    /// <summary>No dynamic registration (the default): the registration endpoints answer 403 and Authlete's API refuses.</summary>
    public const string Closed = "CLOSED";

    /// <summary>Anyone who can reach the endpoint may register (rate limited per source address).</summary>
    public const string Open = "OPEN";

    /// <summary>Registration needs an initial access token of the service (RFC 7591 §3), created through /api.</summary>
    public const string InitialAccessToken = "INITIAL_ACCESS_TOKEN";

    /// <summary>When the service says nothing.</summary>
    public const string Default = Closed;

    /// <summary>What <c>dynamicRegistrationSupported: true</c> means when the service names no policy: the safe open one.</summary>
    public const string WhenSupported = InitialAccessToken;

    /// <summary>Every policy.</summary>
    public static IReadOnlyList<string> All { get; } = [Closed, Open, InitialAccessToken];
}

/// <summary>The <c>action</c> values of Authlete's <c>/client/registration</c> APIs.</summary>
public static class ClientRegistrationActions
{
#pragma warning disable CS1591 // Authlete's names.
    public const string Created = "CREATED";
    public const string Ok = "OK";
    public const string Updated = "UPDATED";
    public const string Deleted = "DELETED";
    public const string BadRequest = "BAD_REQUEST";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string InternalServerError = "INTERNAL_SERVER_ERROR";
#pragma warning restore CS1591
}

/// <summary>
/// Request of Authlete's <c>POST /api/{serviceId}/client/registration[/get|/update|/delete]</c>: what the authorization
/// server's registration endpoint received from the client.
/// </summary>
public sealed record ClientRegistrationRequest
{
    /// <summary>The client metadata (RFC 7591 §2) as a JSON string: register and update.</summary>
    public string? Json { get; init; }

    /// <summary>The registration access token the client presented: get, update and delete.</summary>
    public string? Token { get; init; }

    /// <summary>The client ID from the client configuration endpoint's URL: get, update and delete.</summary>
    public string? ClientId { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"ClientRegistrationRequest {{ ClientId = {ClientId}, Token = {Redact.Secret(Token)} }}";
}

/// <summary>
/// Response of Authlete's registration APIs: the <see cref="Action"/> the authorization server takes and the
/// <see cref="ResponseContent"/> it relays to the client (the RFC 7591 client information or error body).
/// </summary>
public sealed record ClientRegistrationResponse
{
    /// <summary>The result code.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>See <see cref="ClientRegistrationActions"/>.</summary>
    public required string Action { get; init; }

    /// <summary>The JSON body for the client: it carries the client secret and the registration access token.</summary>
    public string? ResponseContent { get; init; }

    /// <summary>The client in Authlete's shape, secret included (absent after a delete or a refusal).</summary>
    public ClientDocument? Client { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"ClientRegistrationResponse {{ ResultCode = {ResultCode}, Action = {Action}, ResponseContent = {Redact.Secret(ResponseContent)} }}";
}

/// <summary>
/// RFC 7591 §3.2.1 client information response (and RFC 7592 §3): the registered metadata and the credentials. The
/// body of <c>/oauth2/{serviceId}/register</c> and the <c>responseContent</c> of Authlete's registration APIs.
/// </summary>
public sealed record ClientInformation
{
#pragma warning disable CS1591 // RFC 7591 §2 and §3.2.1 define each member.
    [JsonPropertyName("client_id")]
    public required string ClientId { get; init; }

    [JsonPropertyName("client_secret")]
    public string? ClientSecret { get; init; }

    /// <summary>Seconds since the epoch.</summary>
    [JsonPropertyName("client_id_issued_at")]
    public long ClientIdIssuedAt { get; init; }

    /// <summary>When the secret expires, seconds since the epoch; 0 = never (RFC 7591 §3.2.1). Present when a secret is.</summary>
    [JsonPropertyName("client_secret_expires_at")]
    public long? ClientSecretExpiresAt { get; init; }

    [JsonPropertyName("registration_access_token")]
    public string? RegistrationAccessToken { get; init; }

    [JsonPropertyName("registration_client_uri")]
    public string? RegistrationClientUri { get; init; }

    [JsonPropertyName("client_name")]
    public string? ClientName { get; init; }

    [JsonPropertyName("redirect_uris")]
    public IReadOnlyList<string>? RedirectUris { get; init; }

    [JsonPropertyName("grant_types")]
    public IReadOnlyList<string>? GrantTypes { get; init; }

    [JsonPropertyName("response_types")]
    public IReadOnlyList<string>? ResponseTypes { get; init; }

    [JsonPropertyName("token_endpoint_auth_method")]
    public string? TokenEndpointAuthMethod { get; init; }

    [JsonPropertyName("application_type")]
    public string? ApplicationType { get; init; }

    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    [JsonPropertyName("contacts")]
    public IReadOnlyList<string>? Contacts { get; init; }

    [JsonPropertyName("client_uri")]
    public string? ClientUri { get; init; }

    [JsonPropertyName("logo_uri")]
    public string? LogoUri { get; init; }

    [JsonPropertyName("policy_uri")]
    public string? PolicyUri { get; init; }

    [JsonPropertyName("tos_uri")]
    public string? TosUri { get; init; }

    [JsonPropertyName("jwks_uri")]
    public string? JwksUri { get; init; }

    [JsonPropertyName("jwks")]
    public JsonElement? Jwks { get; init; }

    [JsonPropertyName("software_id")]
    public string? SoftwareId { get; init; }

    [JsonPropertyName("software_version")]
    public string? SoftwareVersion { get; init; }
#pragma warning restore CS1591

    /// <inheritdoc />
    public override string ToString() =>
        $"ClientInformation {{ ClientId = {ClientId}, ClientName = {ClientName}, ClientSecret = {Redact.Secret(ClientSecret)}, RegistrationAccessToken = {Redact.Secret(RegistrationAccessToken)} }}";
}

/// <summary>Request of <c>POST /api/{serviceId}/registration/token/create</c> (Rekey extension).</summary>
public sealed record InitialAccessTokenCreateRequest
{
    /// <summary>What the token is for (at most 200 characters, one line).</summary>
    public string? Description { get; init; }

    /// <summary>Seconds until it stops working (1 to 31,536,000); absent = until revoked.</summary>
    public long? ExpiresIn { get; init; }

    /// <summary>Whether it registers one client only (default false).</summary>
    public bool? SingleUse { get; init; }
}

/// <summary>An initial access token (Rekey extension). <see cref="Token"/> is present once, in the answer that created it.</summary>
public sealed record InitialAccessTokenInfo
{
    /// <summary>The token's ID (for revocation and in audit events of the registrations it made).</summary>
    public long TokenId { get; init; }

    /// <summary>The service it registers clients of.</summary>
    public long ServiceId { get; init; }

    /// <summary>What it is for.</summary>
    public string? Description { get; init; }

    /// <summary>Creation time, epoch milliseconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>When it stops working, epoch milliseconds; absent = until revoked.</summary>
    public long? ExpiresAt { get; init; }

    /// <summary>Whether it registers one client only.</summary>
    public bool SingleUse { get; init; }

    /// <summary>How many clients it registered.</summary>
    public long Registrations { get; init; }

    /// <summary>When it last registered a client, epoch milliseconds.</summary>
    public long? LastUsedAt { get; init; }

    /// <summary>Whether it may register a client now: not expired, and not a single-use token already used.</summary>
    public bool Usable { get; init; }

    /// <summary>The value: only in the creation's answer (the server keeps its SHA-256).</summary>
    public string? Token { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"InitialAccessTokenInfo {{ TokenId = {TokenId}, ServiceId = {ServiceId}, SingleUse = {SingleUse}, Token = {Redact.Secret(Token)} }}";
}

/// <summary>Response of <c>GET /api/{serviceId}/registration/token/get/list</c>: never the values.</summary>
public sealed record InitialAccessTokenListResponse : ListResponse
{
    /// <summary>The tokens of the page, oldest first.</summary>
    public IReadOnlyList<InitialAccessTokenInfo> InitialAccessTokens { get; init; } = [];
}

/// <summary>
/// Response of <c>POST /api/{serviceId}/client/registration_token/refresh/{clientIdentifier}</c> (Rekey extension): a new
/// registration access token for a dynamically registered client, shown once; the previous one stops working.
/// </summary>
public sealed record RegistrationTokenRefreshResponse
{
    /// <summary>A159001.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>The client.</summary>
    public long ClientId { get; init; }

    /// <summary>The new registration access token (the server keeps its SHA-256).</summary>
    public string? RegistrationAccessToken { get; init; }

    /// <summary>Rekey's client configuration endpoint of the client, where the token is used.</summary>
    public string? RegistrationClientUri { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"RegistrationTokenRefreshResponse {{ ResultCode = {ResultCode}, ClientId = {ClientId}, RegistrationAccessToken = {Redact.Secret(RegistrationAccessToken)} }}";
}
