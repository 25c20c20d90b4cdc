using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rekey.Contracts;

/// <summary>
/// A client in Authlete's shape. The properties Rekey interprets are typed; every other property the caller
/// sends is kept in <see cref="Extra"/> and returned unchanged (the schema allows additional properties).
/// Read-only properties (<c>clientId</c>, <c>number</c>, <c>createdAt</c>, …) are accepted in requests and ignored.
/// </summary>
public sealed record ClientDocument
{
    /// <summary>Read-only sequence number of the client.</summary>
    public long? Number { get; init; }

    /// <summary>Read-only sequence number of the service.</summary>
    public long? ServiceNumber { get; init; }

    /// <summary>Read-only client ID: random, at least 12 digits, below 2^53.</summary>
    public long? ClientId { get; init; }

    /// <summary>Read-only current secret; present only for callers with <c>client.secret.read</c>.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>Display name.</summary>
    public string? ClientName { get; init; }

    /// <summary>Alias, unique within the service; usable wherever a client identifier is accepted.</summary>
    public string? ClientIdAlias { get; init; }

    /// <summary>Whether the alias is announced to OAuth flows (stored as given).</summary>
    public bool? ClientIdAliasEnabled { get; init; }

    /// <summary><c>CONFIDENTIAL</c> (the default) or <c>PUBLIC</c>.</summary>
    [JsonConverter(typeof(LenientEnumConverter))]
    public string? ClientType { get; init; }

    /// <summary><c>WEB</c> or <c>NATIVE</c>.</summary>
    [JsonConverter(typeof(LenientEnumConverter))]
    public string? ApplicationType { get; init; }

    /// <summary>The developer the client belongs to (filter of the list endpoint).</summary>
    public string? Developer { get; init; }

    /// <summary>Read-only creation time, epoch milliseconds.</summary>
    public long? CreatedAt { get; init; }

    /// <summary>Read-only modification time, epoch milliseconds.</summary>
    public long? ModifiedAt { get; init; }

    /// <summary>Grant types, from the document's list.</summary>
    public List<string>? GrantTypes { get; init; }

    /// <summary>Response types, from the document's list.</summary>
    public List<string>? ResponseTypes { get; init; }

    /// <summary>Absolute redirect URIs without fragments.</summary>
    public List<string>? RedirectUris { get; init; }

    /// <summary>Token endpoint authentication method; <c>CLIENT_SECRET_BASIC</c> by default for confidential clients.</summary>
    [JsonConverter(typeof(LenientEnumConverter))]
    public string? TokenAuthMethod { get; init; }

    /// <summary>Whether the client is locked (changed through the lock-flag endpoint).</summary>
    public bool? Locked { get; init; }

    /// <summary>Read-only: true for a client registered through dynamic client registration (RFC 7591), absent otherwise.</summary>
    public bool? DynamicallyRegistered { get; init; }

    /// <summary>Read-only in Authlete; accepted and ignored.</summary>
    public string? DerivedSectorIdentifier { get; init; }

    /// <summary>
    /// Rekey extension, read-only: when the current secret expires (epoch milliseconds), set when the service has a
    /// <c>clientSecretLifetime</c>; absent = never.
    /// </summary>
    public long? ClientSecretExpiresAt { get; init; }

    /// <summary>Every other property, kept as sent.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <inheritdoc />
    public override string ToString() =>
        $"ClientDocument {{ ClientId = {ClientId}, ClientIdAlias = {ClientIdAlias}, ClientName = {ClientName}, ClientType = {ClientType}, ClientSecret = {Redact.Secret(ClientSecret)} }}";
}
