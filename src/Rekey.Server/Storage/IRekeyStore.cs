using Rekey.Contracts;

namespace Rekey.Server.Storage;

/// <summary>
/// Durable state of Rekey. Two implementations (SQLite, PostgreSQL) justify the interface: they differ in how they
/// serialise writers (one writer with group commit vs. row locks). Expected outcomes come back as
/// <see cref="Outcome{T}"/>; an exception means broken infrastructure (<see cref="StoreUnavailableException"/>) or a bug.
/// Every method that changes state does so in one transaction: all of it or none of it.
/// </summary>
internal interface IRekeyStore
{
    /// <summary>Applies pending schema migrations.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>True when the database answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken ct);

    Task<StoredService> CreateServiceAsync(string document, long now, CancellationToken ct);

    Task<StoredService?> GetServiceAsync(long serviceId, CancellationToken ct);

    /// <summary>Lists services; <paramref name="onlyServiceId"/> limits the list to one (for service tokens).</summary>
    Task<Page<StoredService>> ListServicesAsync(long? onlyServiceId, int start, int end, CancellationToken ct);

    Task<StoredService?> UpdateServiceAsync(long serviceId, string document, long now, CancellationToken ct);

    /// <summary>Deletes the service with its clients, secrets and API tokens.</summary>
    Task<bool> DeleteServiceAsync(long serviceId, CancellationToken ct);

    Task<Outcome<StoredClient>> CreateClientAsync(NewClient client, CancellationToken ct);

    /// <summary>Finds a client by numeric ID or alias within the service.</summary>
    Task<Outcome<StoredClient>> GetClientAsync(long serviceId, string identifier, bool withSecret, CancellationToken ct);

    Task<Outcome<Page<StoredClient>>> ListClientsAsync(long serviceId, string? developer, int start, int end, bool withSecret, CancellationToken ct);

    Task<Outcome<StoredClient>> UpdateClientAsync(ClientUpdate update, CancellationToken ct);

    Task<Outcome<long>> DeleteClientAsync(long serviceId, string identifier, CancellationToken ct);

    Task<Outcome<long>> SetClientLockAsync(long serviceId, string identifier, bool locked, long now, CancellationToken ct);

    /// <summary>
    /// Atomically reads the current secret and replaces it with <paramref name="newSecret"/>. Concurrent calls on one
    /// client are serialised: their old/new pairs form a single chain.
    /// </summary>
    Task<Outcome<SecretRotation>> RotateSecretAsync(long serviceId, string identifier, string newSecret, long now, CancellationToken ct);

    Task<StoredApiToken> CreateApiTokenAsync(long serviceId, IReadOnlyList<string> permissions, string? description, byte[] tokenHash, long now, CancellationToken ct);

    Task<StoredApiToken?> FindApiTokenAsync(byte[] tokenHash, CancellationToken ct);

    Task<Page<StoredApiToken>> ListApiTokensAsync(int start, int end, CancellationToken ct);

    Task<bool> DeleteApiTokenAsync(long tokenId, CancellationToken ct);
}

/// <summary>The database could not be reached or refused to work (disk full, connection lost). Nothing was changed.</summary>
internal sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Shared checks of identifiers.</summary>
internal static class StoreRules
{
    public static RuleViolation ClientNotFound(string identifier, long serviceId) =>
        RuleViolation.Of(ResultCodes.ClientNotFound, identifier, serviceId);

    public static RuleViolation ServiceNotFound(long serviceId) =>
        RuleViolation.Of(ResultCodes.ServiceNotFound, serviceId);
}
