namespace Rekey.Contracts;

/// <summary>Request of <c>POST /api/{serviceId}/client/secret/update/{clientIdentifier}</c>.</summary>
public sealed record ClientSecretUpdateRequest
{
    /// <summary>The new secret: 1 to 86 characters of <c>A-Z a-z 0-9 - _</c> (see <see cref="ClientSecretRules"/>).</summary>
    public string? ClientSecret { get; init; }

    /// <summary>
    /// Rekey extension: seconds the old secret stays valid (overrides the service's <c>clientSecretGracePeriod</c>;
    /// 0 = it stops working at once, Authlete's behaviour).
    /// </summary>
    public long? GracePeriod { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"ClientSecretUpdateRequest {{ ClientSecret = {Redact.Secret(ClientSecret)}, GracePeriod = {GracePeriod} }}";
}

/// <summary>
/// Response of the secret update (<c>A149001</c>) and refresh (<c>A148001</c>) calls: both secrets, so that the
/// caller can roll its deployments over.
/// </summary>
public sealed record ClientSecretResponse
{
    /// <summary>A148001 or A149001.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message, naming the client ID.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>The secret now in force.</summary>
    public string? NewClientSecret { get; init; }

    /// <summary>The secret it replaced.</summary>
    public string? OldClientSecret { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"ClientSecretResponse {{ ResultCode = {ResultCode}, NewClientSecret = {Redact.Secret(NewClientSecret)}, OldClientSecret = {Redact.Secret(OldClientSecret)} }}";
}

/// <summary>How secrets are shown in <c>ToString()</c>: never.</summary>
public static class Redact
{
    /// <summary>Returns <c>null</c> or <c>***</c>, whatever the value.</summary>
    public static string Secret(string? value) => value is null ? "null" : "***";
}

/// <summary>Metadata of one stored secret (Rekey extension). Never the value.</summary>
public sealed record ClientSecretInfo
{
    /// <summary>The secret's ID (for revocation).</summary>
    public long SecretId { get; init; }

    /// <summary><c>current</c>, <c>previous</c> (still valid until <see cref="ValidUntil"/>), <c>expired</c> or <c>revoked</c>.</summary>
    public required string Status { get; init; }

    /// <summary>When it was set, epoch milliseconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>When it expires by the service's <c>clientSecretLifetime</c>, epoch milliseconds; absent = never.</summary>
    public long? ExpiresAt { get; init; }

    /// <summary>For a previous secret: the end of its grace period, epoch milliseconds.</summary>
    public long? ValidUntil { get; init; }

    /// <summary>When it was revoked (replaced without grace, revoked explicitly, or its grace ended early).</summary>
    public long? RevokedAt { get; init; }

    /// <summary>Last successful verification, epoch milliseconds (recorded in batches, up to a minute late).</summary>
    public long? LastUsedAt { get; init; }

    /// <summary>
    /// The first four characters, only for secrets of 32 characters or more (where that reveals little); for an
    /// identifiable secret, its prefix and the first four characters after it (<c>rks_dBm3</c>).
    /// </summary>
    public string? Hint { get; init; }
}

/// <summary>Response of <c>GET /api/{serviceId}/client/secret/list/{clientIdentifier}</c> (Rekey extension).</summary>
public sealed record ClientSecretListResponse
{
    /// <summary>A150001.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>The client.</summary>
    public long ClientId { get; init; }

    /// <summary>Every secret kept for the client, newest first.</summary>
    public IReadOnlyList<ClientSecretInfo> Secrets { get; init; } = [];
}
