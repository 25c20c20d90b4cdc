namespace Rekey.Server.Storage;

/// <summary>A service row. <see cref="Document"/> is the caller's JSON without read-only properties.</summary>
internal sealed record StoredService(long ServiceId, long Number, string Document, long CreatedAt, long ModifiedAt);

/// <summary>
/// A client row. <see cref="Document"/> is the caller's JSON without read-only properties, alias and lock flag
/// (the columns are authoritative). <see cref="CurrentSecret"/> is filled only when the caller asked for it.
/// </summary>
internal sealed record StoredClient(
    long ServiceId,
    long ServiceNumber,
    long ClientId,
    long Number,
    string? Alias,
    string? Developer,
    bool Locked,
    string Document,
    long CreatedAt,
    long ModifiedAt,
    string? CurrentSecret)
{
    public override string ToString() => $"StoredClient {{ ServiceId = {ServiceId}, ClientId = {ClientId}, Alias = {Alias} }}";
}

/// <summary>What a new client is made of; IDs are chosen by the store.</summary>
internal sealed record NewClient(long ServiceId, string? Alias, string? Developer, bool Locked, string Document, string Secret, long Now)
{
    public override string ToString() => $"NewClient {{ ServiceId = {ServiceId}, Alias = {Alias} }}";
}

/// <summary>A full replacement of a client's document.</summary>
internal sealed record ClientUpdate(long ServiceId, long ClientId, string? Alias, string? Developer, string Document, long Now);

/// <summary>The result of one atomic secret rotation.</summary>
internal sealed record SecretRotation(long ClientId, string? OldSecret, string NewSecret)
{
    public override string ToString() => $"SecretRotation {{ ClientId = {ClientId} }}";
}

/// <summary>An API token row (never the token itself: only its SHA-256 hash is stored).</summary>
internal sealed record StoredApiToken(long TokenId, long ServiceId, IReadOnlyList<string> Permissions, string? Description, long CreatedAt);

/// <summary>One page of a list, with the total across all pages.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, int TotalCount);
