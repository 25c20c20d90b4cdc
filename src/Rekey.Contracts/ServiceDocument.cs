using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rekey.Contracts;

/// <summary>
/// A service in Authlete's shape. <see cref="ApiKey"/> is the service ID used in every path. Properties Rekey
/// does not interpret are kept in <see cref="Extra"/> and returned unchanged.
/// </summary>
public sealed record ServiceDocument
{
    /// <summary>Read-only sequence number.</summary>
    public long? Number { get; init; }

    /// <summary>Read-only service ID: random, at least 12 digits, below 2^53.</summary>
    public long? ApiKey { get; init; }

    /// <summary>Read-only in Authlete; Rekey authenticates with bearer tokens and never sets it.</summary>
    public string? ApiSecret { get; init; }

    /// <summary>Read-only in Authlete; accepted and ignored.</summary>
    public long? ServiceOwnerNumber { get; init; }

    /// <summary>Display name, 1 to 200 characters.</summary>
    public string? ServiceName { get; init; }

    /// <summary>
    /// Authlete's issuer identifier: an absolute https URL without query or fragment. Rekey stores and returns it but does
    /// not put it in tokens: their <c>iss</c> is <c>{Rekey:PublicBaseUrl or the request's origin}/oauth2/{serviceId}</c>
    /// (docs/oauth.md).
    /// </summary>
    public string? Issuer { get; init; }

    /// <summary>Read-only creation time, epoch milliseconds.</summary>
    public long? CreatedAt { get; init; }

    /// <summary>Read-only modification time, epoch milliseconds.</summary>
    public long? ModifiedAt { get; init; }

    /// <summary>Lifetime of access tokens issued by the token endpoint, in seconds (default 3600).</summary>
    public long? AccessTokenDuration { get; init; }

    /// <summary>Scopes clients may request at the token endpoint.</summary>
    public List<ServiceScope>? SupportedScopes { get; init; }

    /// <summary>
    /// Rekey extension: seconds a replaced client secret stays valid after an update or refresh (0, the default,
    /// is Authlete's behaviour: it stops working at once). At most 30 days.
    /// </summary>
    public long? ClientSecretGracePeriod { get; init; }

    /// <summary>Rekey extension: seconds a new client secret is valid (0, the default, = no expiry). At most 10 years.</summary>
    public long? ClientSecretLifetime { get; init; }

    /// <summary>
    /// Rekey extension: when to announce that a client secret is about to stop working, in seconds before its expiry
    /// (current secret) or the end of its grace period (previous secret); one <c>client.secret.expiring</c> event per
    /// secret and threshold. Absent: 30, 7 and 1 days (2592000, 604800, 86400); empty: no warnings. At most 10 values.
    /// </summary>
    public List<long>? ClientSecretExpiryWarnings { get; init; }

    /// <summary>
    /// Rekey extension: the format of the secrets Rekey generates for the service's clients (refresh, creation without a
    /// secret, the console, leak replacement): <c>AUTHLETE</c> (absent: 86 characters of base64url) or <c>IDENTIFIABLE</c>
    /// (a prefix, 256 random bits in base62 and a CRC32 checksum, that secret scanners recognise; docs/leaks.md).
    /// Caller-chosen secrets are accepted in either.
    /// </summary>
    public string? ClientSecretFormat { get; init; }

    /// <summary>
    /// Rekey extension: what a report of a live secret of the service as leaked does: <c>REVOKE</c> (absent), <c>LOCK</c>
    /// or <c>NOTIFY</c> (see <see cref="LeakResponses"/>).
    /// </summary>
    public string? LeakResponse { get; init; }

    /// <summary>
    /// Authlete's switch for dynamic client registration (RFC 7591). In Rekey it follows
    /// <see cref="ClientRegistrationPolicy"/>: false when that is <c>CLOSED</c>, true otherwise. Set on its own, true opens
    /// registration with initial access tokens and false closes it.
    /// </summary>
    public bool? DynamicRegistrationSupported { get; init; }

    /// <summary>
    /// Rekey extension: who may register clients at <c>/oauth2/{serviceId}/register</c> — <c>CLOSED</c> (absent: nobody),
    /// <c>OPEN</c> (anyone, rate limited) or <c>INITIAL_ACCESS_TOKEN</c> (a token created through /api); see
    /// <see cref="ClientRegistrationPolicies"/> and docs/oauth.md.
    /// </summary>
    public string? ClientRegistrationPolicy { get; init; }

    /// <summary>
    /// Authlete's registration endpoint of the authorization server in front of Rekey: Authlete's registration API builds
    /// <c>registration_client_uri</c> from it (or from <see cref="RegistrationManagementEndpoint"/>) as
    /// <c>{endpoint}/{clientId}</c>. Absent: Rekey's own <c>/oauth2/{serviceId}/register</c>.
    /// </summary>
    public string? RegistrationEndpoint { get; init; }

    /// <summary>Authlete's base of the client configuration endpoint, when it differs from <see cref="RegistrationEndpoint"/>.</summary>
    public string? RegistrationManagementEndpoint { get; init; }

    /// <summary>
    /// Authlete's flag: whether the registration API answers a bad registration access token with the action
    /// <c>UNAUTHORIZED</c> (RFC 7592's 401) rather than <c>BAD_REQUEST</c>, for authorization servers whose library knows it.
    /// </summary>
    public bool? UnauthorizedOnClientConfigSupported { get; init; }

    /// <summary>Every other property, kept as sent.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"ServiceDocument {{ ApiKey = {ApiKey}, ServiceName = {ServiceName}, Issuer = {Issuer} }}";
}
