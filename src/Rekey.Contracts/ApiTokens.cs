namespace Rekey.Contracts;

/// <summary>Request of <c>POST /api/apitoken/create</c> (Rekey extension, organisation token only).</summary>
public sealed record ApiTokenCreateRequest
{
    /// <summary>The one service the token may act on.</summary>
    public long? ServiceId { get; init; }

    /// <summary>Permissions, from <see cref="Permissions.Grantable"/>.</summary>
    public List<string>? Permissions { get; init; }

    /// <summary>Free text for operators, at most 200 characters.</summary>
    public string? Description { get; init; }
}

/// <summary>An API token as listed. The token value is returned once, by the create call, in <see cref="Token"/>.</summary>
public sealed record ApiTokenInfo
{
    /// <summary>The token's ID (not the token).</summary>
    public long TokenId { get; init; }

    /// <summary>The service the token is limited to.</summary>
    public long ServiceId { get; init; }

    /// <summary>Granted permissions.</summary>
    public IReadOnlyList<string> Permissions { get; init; } = [];

    /// <summary>Operator's description.</summary>
    public string? Description { get; init; }

    /// <summary>Creation time, epoch milliseconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>The bearer token value; only in the create response, never stored in clear.</summary>
    public string? Token { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"ApiTokenInfo {{ TokenId = {TokenId}, ServiceId = {ServiceId}, Permissions = [{string.Join(", ", Permissions)}], Token = {Redact.Secret(Token)} }}";
}

/// <summary>Response of <c>GET /api/apitoken/get/list</c>.</summary>
public sealed record ApiTokenListResponse : ListResponse
{
    /// <summary>The tokens of the page, without values.</summary>
    public IReadOnlyList<ApiTokenInfo> ApiTokens { get; init; } = [];
}
