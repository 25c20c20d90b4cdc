using Rekey.Contracts;
using Rekey.Server.OAuth;

namespace Rekey.Server.Storage;

/// <summary>
/// Durable state of Rekey, implemented once (<see cref="RekeyStore"/>) over two engines (SQLite, PostgreSQL) that differ
/// only in how they run a unit of work; the interface is the seam tests put a fault in front of. Expected outcomes come back as
/// <see cref="Outcome{T}"/>; an exception means broken infrastructure (<see cref="StoreUnavailableException"/>),
/// an unreadable stored value (<see cref="Secrets.SecretDecryptionException"/>) or a bug.
/// Every method that changes state does so in one transaction, audit event included: all of it or none of it.
/// </summary>
internal interface IRekeyStore
{
    /// <summary>
    /// Applies pending schema migrations; refuses (<see cref="Hosting.StartupFailure"/>) a database whose schema is newer
    /// than this binary. Keys come after (<see cref="Secrets.KeyLifecycle"/>).
    /// </summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>True when the database answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken ct);

    // ---- services

    Task<StoredService> CreateServiceAsync(ServiceContent service, ChangeContext change, CancellationToken ct);

    Task<StoredService?> GetServiceAsync(long serviceId, CancellationToken ct);

    /// <summary>Lists services; <paramref name="onlyServiceId"/> limits the list to one (for service tokens).</summary>
    Task<Page<StoredService>> ListServicesAsync(long? onlyServiceId, int start, int end, CancellationToken ct);

    /// <summary>
    /// Replaces a service's document with what <paramref name="update"/> makes of the stored service (read and written
    /// under one lock, so that what it keeps from the stored one is current); a failed outcome writes nothing.
    /// </summary>
    Task<Outcome<StoredService>> UpdateServiceAsync(long serviceId, Func<StoredService, Outcome<ServiceContent>> update, ChangeContext change, CancellationToken ct);

    /// <summary>Deletes the service with its clients, secrets and API tokens (audit events stay).</summary>
    Task<bool> DeleteServiceAsync(long serviceId, ChangeContext change, CancellationToken ct);

    // ---- clients

    Task<Outcome<StoredClient>> CreateClientAsync(NewClient client, ChangeContext change, CancellationToken ct);

    /// <summary>Finds a client by numeric ID or alias within the service.</summary>
    Task<Outcome<StoredClient>> GetClientAsync(long serviceId, string identifier, bool withSecret, CancellationToken ct);

    Task<Outcome<Page<StoredClient>>> ListClientsAsync(long serviceId, string? developer, int start, int end, bool withSecret, CancellationToken ct);

    Task<Outcome<StoredClient>> UpdateClientAsync(ClientUpdate update, ChangeContext change, CancellationToken ct);

    /// <summary>
    /// Deletes the client with its secrets. <paramref name="registrationToken"/>: an RFC 7592 delete by the client itself,
    /// refused (<c>A216301</c>) unless the client still holds that registration access token (SHA-256) when its row is locked.
    /// </summary>
    Task<Outcome<long>> DeleteClientAsync(long serviceId, string identifier, ChangeContext change, CancellationToken ct, byte[]? registrationToken = null);

    Task<Outcome<long>> SetClientLockAsync(long serviceId, string identifier, bool locked, ChangeContext change, CancellationToken ct);

    // ---- secrets

    /// <summary>
    /// Atomically reads the current secret and replaces it: the old one becomes previous (valid for the grace period)
    /// or revoked (no grace). Concurrent calls on one client are serialised: their old/new pairs form a single chain.
    /// The new secret's creation time is <see cref="Secrets.SecretPolicy.CreatedAt"/> (strictly after the client's
    /// newest secret), so that ordering a client's secrets by creation time — for the cap of
    /// <see cref="Secrets.SecretPolicy.MaxValidPrevious"/>, the retention of <see cref="Secrets.SecretPolicy.KeptPerClient"/>
    /// and the list — is the order of the chain, never a tie.
    /// </summary>
    Task<Outcome<SecretRotation>> RotateSecretAsync(SecretRotationRequest request, ChangeContext change, CancellationToken ct);

    Task<Outcome<ClientSecrets>> ListSecretsAsync(long serviceId, string identifier, CancellationToken ct);

    /// <summary>Revokes a previous secret now; the current one cannot be revoked (A151201).</summary>
    Task<Outcome<long>> RevokeSecretAsync(long serviceId, string identifier, long secretId, ChangeContext change, CancellationToken ct);

    /// <summary>
    /// Finds the reported values among the live secrets (current and previous) of one service or all, by their lookup
    /// digest, and applies each matched client's service <c>leakResponse</c> in one transaction, with an audit event and
    /// a <c>client.secret.leaked</c> event per matched secret. A signed report seen before changes nothing.
    /// </summary>
    Task<LeakReportResult> ReportLeaksAsync(LeakBatch batch, ChangeContext change, CancellationToken ct);

    /// <summary>Writes the lookup rows of current secrets that have none (stored before migration 14); returns how many clients it read.</summary>
    Task<int> BackfillLookupsAsync(int batchSize, CancellationToken ct);

    /// <summary>Forgets signed leak reports received before <paramref name="before"/> (epoch ms).</summary>
    Task<int> ForgetOldLeakReportsAsync(long before, CancellationToken ct);

    /// <summary>The client and every secret that might verify; read-only, no write per verification.</summary>
    Task<Outcome<ClientCredentials>> FindCredentialsAsync(long serviceId, string identifier, CancellationToken ct);

    /// <summary>Records last-use times in one batch; a later time wins, an earlier one changes nothing.</summary>
    Task RecordSecretUseAsync(IReadOnlyCollection<SecretUse> uses, CancellationToken ct);

    /// <summary>
    /// Remembers a client assertion's <c>jti</c> until <paramref name="rememberUntil"/> (Unix seconds); false when the
    /// client used it before and that use is still remembered at <paramref name="now"/>: a replay. One statement, shared
    /// by every node of the database.
    /// </summary>
    Task<bool> RememberAssertionAsync(long clientId, string jti, long rememberUntil, long now, CancellationToken ct);

    /// <summary>
    /// Counts every client's kept secrets by status at <paramref name="now"/> (epoch ms): reads every client row, a page
    /// at a time, so it is for the metrics' cached gauges (at most once a minute), never for a request.
    /// </summary>
    Task<SecretTally> TallySecretsAsync(long now, CancellationToken ct);

    /// <summary>Forgets the assertions remembered until before <paramref name="now"/> (background upkeep, never on a request); how many.</summary>
    Task<int> ForgetExpiredAssertionsAsync(long now, CancellationToken ct);

    // ---- API tokens

    Task<StoredApiToken> CreateApiTokenAsync(long serviceId, IReadOnlyList<string> permissions, string? description, byte[] tokenHash, ChangeContext change, CancellationToken ct);

    Task<StoredApiToken?> FindApiTokenAsync(byte[] tokenHash, CancellationToken ct);

    Task<Page<StoredApiToken>> ListApiTokensAsync(int start, int end, CancellationToken ct);

    Task<bool> DeleteApiTokenAsync(long tokenId, ChangeContext change, CancellationToken ct);

    // ---- initial access tokens of dynamic client registration (RekeyStore.Registration.cs)

    Task<Outcome<StoredInitialAccessToken>> CreateInitialAccessTokenAsync(long serviceId, string? description, long? expiresAt, bool singleUse, byte[] tokenHash,
        ChangeContext change, CancellationToken ct);

    /// <summary>The service's initial access token with this SHA-256, usable or not; the registration's transaction uses it up (<see cref="NewClient.Registration"/>).</summary>
    Task<StoredInitialAccessToken?> FindInitialAccessTokenAsync(long serviceId, byte[] tokenHash, CancellationToken ct);

    Task<Outcome<Page<StoredInitialAccessToken>>> ListInitialAccessTokensAsync(long serviceId, int start, int end, CancellationToken ct);

    /// <summary>
    /// Replaces a dynamically registered client's registration access token (SHA-256) for an operator: the previous one
    /// stops working. <c>A159201</c> for a client created through /api.
    /// </summary>
    Task<Outcome<long>> RefreshRegistrationTokenAsync(long serviceId, string identifier, byte[] tokenHash, ChangeContext change, CancellationToken ct);

    /// <summary>Revokes (deletes) an initial access token of the service; the clients it registered stay.</summary>
    Task<Outcome<long>> DeleteInitialAccessTokenAsync(long serviceId, long tokenId, ChangeContext change, CancellationToken ct);

    // ---- audit

    /// <summary>Appends an event on its own: refused attempts, whose change never happened.</summary>
    Task AppendAuditAsync(AuditRecord record, CancellationToken ct);

    /// <summary>Newest first.</summary>
    Task<Page<AuditEvent>> ListAuditAsync(AuditQuery query, CancellationToken ct);

    // ---- signing keys

    /// <summary>The service's signing keys with their schedules, newest first (retired ones too, until the next addition deletes them).</summary>
    Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(long serviceId, CancellationToken ct);

    /// <summary>
    /// Adds <paramref name="key"/> as <paramref name="plan"/> decides, given the service's keys and the new key's
    /// creation time (epoch ms): when it starts signing and which key it retires when. A null plan adds nothing and
    /// answers the newest key. Keys past their retirement are deleted; one transaction, the service row locked.
    /// </summary>
    Task<Outcome<StoredSigningKey>> AddSigningKeyAsync(long serviceId, NewSigningKey key, Func<IReadOnlyList<StoredSigningKey>, long, Outcome<SigningKeyPlan?>> plan,
        ChangeContext change, CancellationToken ct);

    // ---- lifecycle events and webhooks (RekeyStore.Events.cs)

    /// <summary>
    /// Gives the secret notices due at <paramref name="now"/> (epoch ms) for up to <paramref name="batchSize"/> clients: each
    /// notice once, ever, across nodes and restarts, with its event and deliveries. How many clients, and the types of
    /// the events written.
    /// </summary>
    Task<(int Clients, IReadOnlyList<string> Given)> SweepSecretNoticesAsync(long now, int batchSize, CancellationToken ct);

    /// <summary>Deletes up to <paramref name="batchSize"/> events older than <paramref name="before"/> with no delivery pending.</summary>
    Task<int> ForgetOldEventsAsync(long before, int batchSize, CancellationToken ct);

    Task<Outcome<StoredWebhook>> CreateWebhookAsync(long serviceId, WebhookContent content, string signingSecret, int maxPerService, ChangeContext change, CancellationToken ct);

    Task<Outcome<StoredWebhook>> GetWebhookAsync(long serviceId, long webhookId, CancellationToken ct);

    Task<Outcome<Page<StoredWebhook>>> ListWebhooksAsync(long serviceId, int start, int end, CancellationToken ct);

    Task<Outcome<StoredWebhook>> UpdateWebhookAsync(long serviceId, long webhookId, Func<StoredWebhook, Outcome<WebhookContent>> update, ChangeContext change, CancellationToken ct);

    /// <summary>A new signing secret; the replaced one keeps signing beside it for <paramref name="overlapSeconds"/>.</summary>
    Task<Outcome<StoredWebhook>> RotateWebhookSecretAsync(long serviceId, long webhookId, string signingSecret, long overlapSeconds, ChangeContext change, CancellationToken ct);

    Task<Outcome<long>> DeleteWebhookAsync(long serviceId, long webhookId, ChangeContext change, CancellationToken ct);

    Task<Outcome<StoredDelivery>> QueueTestEventAsync(long serviceId, long webhookId, ChangeContext change, CancellationToken ct);

    /// <summary>A webhook's deliveries, newest first.</summary>
    Task<Outcome<Page<StoredDelivery>>> ListDeliveriesAsync(long serviceId, long webhookId, int start, int end, CancellationToken ct);

    Task<Outcome<StoredDelivery>> RedeliverAsync(long serviceId, long webhookId, string eventId, ChangeContext change, CancellationToken ct);

    /// <summary>Takes due deliveries for this node, oldest first, the i-th leased until <paramref name="leaseUntil"/>(i) (epoch ms).</summary>
    Task<IReadOnlyList<ClaimedDelivery>> ClaimDeliveriesAsync(long now, Func<int, long> leaseUntil, int limit, CancellationToken ct);

    /// <summary>Records an attempt's outcome (only under the delivery's claim); true when it disabled the webhook.</summary>
    Task<bool> CompleteDeliveryAsync(ClaimedDelivery delivery, DeliveryOutcome outcome, CancellationToken ct);

    /// <summary>Records many attempts' outcomes in one transaction; the webhooks it disabled.</summary>
    Task<IReadOnlyList<long>> CompleteDeliveriesAsync(IReadOnlyList<(ClaimedDelivery Delivery, DeliveryOutcome Outcome)> outcomes, CancellationToken ct);

    // ---- console (RekeyStore.Console.cs)

    /// <summary>A page of a service's clients after a position in creation order, or the matches of a search (ID, alias, name prefix).</summary>
    Task<Outcome<IReadOnlyList<StoredClient>>> FindClientsAsync(long serviceId, string? query, long afterNumber, int limit, CancellationToken ct);

    Task CreateConsoleSessionAsync(string sessionHash, byte[] tokenHash, string csrf, long now, CancellationToken ct);

    Task<ConsoleSession?> FindConsoleSessionAsync(string sessionHash, CancellationToken ct);

    Task TouchConsoleSessionAsync(string sessionHash, long now, CancellationToken ct);

    Task DeleteConsoleSessionAsync(string sessionHash, CancellationToken ct);

    Task<int> ForgetStaleConsoleSessionsAsync(long idleBefore, long createdBefore, CancellationToken ct);

    // ---- keys

    /// <summary>Every key record (<see cref="KeyState"/>).</summary>
    Task<KeyState> ReadKeysAsync(CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="plan"/> on the key records as they are and writes what it decided, with the audit event of
    /// <paramref name="change"/> (none when null), in one transaction; key operations of every node run one at a time.
    /// A failed outcome writes nothing.
    /// </summary>
    Task<Outcome<T>> ChangeKeysAsync<T>(Func<KeyState, Outcome<KeyPlan<T>>> plan, ChangeContext? change, CancellationToken ct);

    /// <summary>
    /// Re-encrypts up to <paramref name="batchSize"/> stored values (client secrets, signing keys) that are not under the
    /// current data key, in one transaction; returns how many.
    /// </summary>
    Task<int> ReencryptBatchAsync(int batchSize, CancellationToken ct);

    /// <summary>Every data key with the number of values it seals.</summary>
    Task<IReadOnlyList<DataKeyUsage>> ListDataKeysAsync(CancellationToken ct);
}

/// <summary>The database could not be reached or refused to work (disk full, connection lost). Nothing was changed.</summary>
internal sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The connection was lost while a change was being committed and the store could not find out whether the COMMIT
/// happened: the change may or may not have been made (A000104). Never thrown when the store knows.
/// </summary>
internal sealed class StoreOutcomeUnknownException(string message, Exception inner) : Exception(message, inner);

/// <summary>The store refuses new writes for now (its write queue is full). Nothing was changed (A000105).</summary>
internal sealed class StoreOverloadedException(string message) : Exception(message)
{
    /// <summary>What the 503's Retry-After says, in seconds.</summary>
    public const int RetryAfterSeconds = 1;
}

/// <summary>Shared checks of identifiers.</summary>
internal static class StoreRules
{
    public static RuleViolation ClientNotFound(string identifier, long serviceId) =>
        RuleViolation.Of(ResultCodes.ClientNotFound, identifier, serviceId);

    public static RuleViolation ServiceNotFound(long serviceId) =>
        RuleViolation.Of(ResultCodes.ServiceNotFound, serviceId);
}
