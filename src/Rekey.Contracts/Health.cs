namespace Rekey.Contracts;

/// <summary>Answer of the health endpoints <c>/health/live</c> and <c>/health/ready</c> (Rekey extension).</summary>
public sealed record HealthAnswer
{
    /// <summary><c>ok</c> (200) or <c>unavailable</c> (503).</summary>
    public required string Status { get; init; }

    /// <summary>The server's version (its informational version); only on <c>/health/ready</c>, only for the organisation token.</summary>
    public string? Version { get; init; }

    /// <summary>The schema version the store was migrated to; only on <c>/health/ready</c>, only for the organisation token.</summary>
    public int? SchemaVersion { get; init; }
}
