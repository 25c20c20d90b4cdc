namespace Rekey.Contracts;

/// <summary>
/// One ES256 signing key of a service and its schedule (Rekey extension). A rotated-in key is announced in the JWKS
/// before it signs; a replaced key stays in the JWKS until every token it signed has expired.
/// </summary>
public sealed record SigningKeyInfo
{
    /// <summary>Published in the JWKS, not signing yet.</summary>
    public const string Published = "published";

    /// <summary>The key that signs new access tokens.</summary>
    public const string Active = "active";

    /// <summary>Replaced: still in the JWKS for the tokens it signed, until <see cref="RetiresAt"/>.</summary>
    public const string Retiring = "retiring";

    /// <summary>Replaced and past <see cref="RetiresAt"/>: out of the JWKS, its tokens no longer verify.</summary>
    public const string Retired = "retired";

    /// <summary>The key ID (<c>kid</c> in the JWKS and in the tokens' header).</summary>
    public required string KeyId { get; init; }

    /// <summary><c>published</c>, <c>active</c>, <c>retiring</c> or <c>retired</c>, at the time of the answer.</summary>
    public required string Status { get; init; }

    /// <summary>When the key entered the JWKS, epoch milliseconds.</summary>
    public long PublishedAt { get; init; }

    /// <summary>When the key starts (or started) signing, epoch milliseconds.</summary>
    public long ActivatesAt { get; init; }

    /// <summary>When the key leaves the JWKS, epoch milliseconds; absent while no successor is scheduled.</summary>
    public long? RetiresAt { get; init; }
}

/// <summary>Response of <c>POST /api/{serviceId}/signing_key/rotate</c> and <c>GET /api/{serviceId}/signing_key/get/list</c> (Rekey extension).</summary>
public sealed record SigningKeysResponse
{
    /// <summary>A182001 or A182002.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>The service's signing keys, newest first.</summary>
    public IReadOnlyList<SigningKeyInfo> Keys { get; init; } = [];
}
