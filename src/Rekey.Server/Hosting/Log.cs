namespace Rekey.Server.Hosting;

/// <summary>
/// Every log line Rekey writes, in one place, ordered by event ID. Client and service IDs only; never a secret, token
/// or key. Event IDs are fixed once given: operators filter and alert on them and the docs cite them (events 8, 9, 12,
/// 21, 50). LogEventIdTests keeps every ID unique.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Admin token taken from configuration (Rekey:AdminToken).")]
    public static partial void AdminTokenFromConfiguration(ILogger logger);

    [LoggerMessage(2, LogLevel.Warning, "Generated a new admin token in {Path} (mode 0600). Read it from there; it is not logged.")]
    public static partial void AdminTokenGenerated(ILogger logger, string path);

    [LoggerMessage(3, LogLevel.Information, "Admin token read from {Path}.")]
    public static partial void AdminTokenFromFile(ILogger logger, string path);

    [LoggerMessage(4, LogLevel.Information, "Store ready: {Provider}, schema version {SchemaVersion}.")]
    public static partial void StoreReady(ILogger logger, string provider, int schemaVersion);

    [LoggerMessage(5, LogLevel.Information, "Client secret {Action} for client {ClientId} of service {ServiceId}.")]
    public static partial void SecretChanged(ILogger logger, string action, long clientId, long serviceId);

    [LoggerMessage(6, LogLevel.Error, "Unhandled error for request {RequestId}.")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string requestId);

    /// <summary>The first failing request of an outage (StoreAvailability): one line per outage, not per request.</summary>
    [LoggerMessage(7, LogLevel.Warning, "Store unavailable for request {RequestId}: {Reason}")]
    public static partial void StoreUnavailable(ILogger logger, string requestId, string reason);

    [LoggerMessage(8, LogLevel.Information, "Master keys: {Count} configured ({KeyIds}), from {Source}.")]
    public static partial void KeyRingLoaded(ILogger logger, int count, string keyIds, string source);

    [LoggerMessage(9, LogLevel.Error, "A stored secret could not be decrypted for request {RequestId}: {Reason}")]
    public static partial void StoredSecretUnreadable(ILogger logger, string requestId, string reason);

    [LoggerMessage(10, LogLevel.Error, "Outcome unknown for request {RequestId}: {Reason}")]
    public static partial void StoreOutcomeUnknown(ILogger logger, string requestId, string reason);

    [LoggerMessage(11, LogLevel.Information, "Master keys configured here: {MasterKeys}; they open {Database}.")]
    public static partial void MasterKeysOpen(ILogger logger, string masterKeys, string database);

    [LoggerMessage(12, LogLevel.Warning, "Keys: {Note}.")]
    public static partial void KeyNote(ILogger logger, string note);

    [LoggerMessage(20, LogLevel.Warning, "Secret maintenance skipped: the store is unavailable ({Reason}).")]
    public static partial void SecretMaintenanceSkipped(ILogger logger, string reason);

    [LoggerMessage(21, LogLevel.Warning, "Data keys not reloaded, keeping the ones loaded: {Reason} Configure the missing master key on this node.")]
    public static partial void DataKeysNotReloaded(ILogger logger, string reason);

    [LoggerMessage(30, LogLevel.Information, "PostgreSQL unit of work failed (attempt {Attempt}), running it again: {Reason}")]
    public static partial void PostgresUnitRetried(ILogger logger, int attempt, string reason);

    [LoggerMessage(31, LogLevel.Warning, "PostgreSQL connection lost during COMMIT of unit {CommitKey}; outcome: {Status}.")]
    public static partial void PostgresCommitInDoubt(ILogger logger, Guid commitKey, string status);

    [LoggerMessage(32, LogLevel.Information, "Change feed listening on PostgreSQL channel {Channel}; the verification cache serves once its first heartbeat returns.")]
    public static partial void ChangeFeedListening(ILogger logger, string channel);

    [LoggerMessage(33, LogLevel.Warning, "Change feed lost ({Reason}); the verification cache is emptied and reads go to the database until it listens again (retry in {Seconds} s).")]
    public static partial void ChangeFeedLost(ILogger logger, string reason, double seconds);

    [LoggerMessage(34, LogLevel.Information, "Change feed current (its first heartbeat returned in {Milliseconds} ms); the verification cache serves.")]
    public static partial void ChangeFeedCurrent(ILogger logger, double milliseconds);

    [LoggerMessage(40, LogLevel.Information, "Data directory: {Path}")]
    public static partial void DataDirectoryReady(ILogger logger, string path);

    [LoggerMessage(41, LogLevel.Debug, "Request {RequestId} refused with {StatusCode}: the HTTP server could not read it.")]
    public static partial void RequestUnreadable(ILogger logger, string requestId, int statusCode);

    [LoggerMessage(42, LogLevel.Debug, "Write refused for request {RequestId}: {Reason}")]
    public static partial void StoreOverloaded(ILogger logger, string requestId, string reason);

    [LoggerMessage(43, LogLevel.Critical, "Stopped by an unexpected error.")]
    public static partial void StoppedByUnexpectedError(ILogger logger, Exception exception);

    /// <summary>The first line of every start: which build runs, for the operator reading the journal after an upgrade.</summary>
    [LoggerMessage(60, LogLevel.Information, "Rekey.Server {Version} starting (schema version {SchemaVersion}).")]
    public static partial void Starting(ILogger logger, string version, int schemaVersion);

    [LoggerMessage(61, LogLevel.Warning, "The store does not answer yet; waiting up to {TimeoutSeconds} s for it (Rekey:Storage:StartupTimeoutSeconds): {Reason}")]
    public static partial void WaitingForStore(ILogger logger, int timeoutSeconds, string reason);

    [LoggerMessage(62, LogLevel.Information, "The store answered after {Seconds:0.0} s.")]
    public static partial void StoreAnswered(ILogger logger, double seconds);

    [LoggerMessage(70, LogLevel.Debug, "Store still unavailable for request {RequestId}: {Reason}")]
    public static partial void StoreStillUnavailable(ILogger logger, string requestId, string reason);

    [LoggerMessage(71, LogLevel.Information, "Store available again after {Seconds} s; {Failed} requests failed meanwhile.")]
    public static partial void StoreAvailableAgain(ILogger logger, long seconds, long failed);

    [LoggerMessage(72, LogLevel.Debug, "Secret gauges not refreshed, keeping the last tally: {Reason}.")]
    public static partial void SecretTallyFailed(ILogger logger, string reason);

    /// <summary><paramref name="clientIdentifier"/> only ever as <see cref="Http.UntrustedText.Printable"/> made it: escaped, at most 64 characters.</summary>
    [LoggerMessage(50, LogLevel.Information, "Client authentication refused for client {ClientIdentifier} of service {ServiceId}: {Reason}.")]
    public static partial void ClientAuthenticationRefused(ILogger logger, long serviceId, string clientIdentifier, string reason);

    [LoggerMessage(80, LogLevel.Information, "Secret notices: {Events} events for {Clients} clients.")]
    public static partial void SecretNoticesGiven(ILogger logger, int events, int clients);

    [LoggerMessage(81, LogLevel.Warning, "Event sweep skipped this round: {Reason}")]
    public static partial void EventSweepSkipped(ILogger logger, string reason);

    /// <summary>The URL is the operator's own configuration; the answer only as its status or a short error, never its body.</summary>
    [LoggerMessage(82, LogLevel.Information, "Webhook {WebhookId} delivery of {EventId} attempt {Attempt} failed ({Outcome}); {Next}.")]
    public static partial void DeliveryFailed(ILogger logger, long webhookId, string eventId, int attempt, string outcome, string next);

    [LoggerMessage(83, LogLevel.Warning, "Webhook {WebhookId} disabled: every delivery failed for longer than Rekey:Webhooks:DisableAfter.")]
    public static partial void WebhookDisabled(ILogger logger, long webhookId);

    [LoggerMessage(84, LogLevel.Warning, "Webhook deliveries paused this round: {Reason}")]
    public static partial void DeliveriesSkipped(ILogger logger, string reason);

    [LoggerMessage(85, LogLevel.Debug, "Webhook {WebhookId} delivered {EventId} on attempt {Attempt} ({StatusCode}, {Milliseconds} ms).")]
    public static partial void Delivered(ILogger logger, long webhookId, string eventId, int attempt, int statusCode, long milliseconds);

    [LoggerMessage(86, LogLevel.Critical, "Webhook dispatcher stopped by an unexpected error; deliveries wait for a restart or another node.")]
    public static partial void DispatcherStopped(ILogger logger, Exception exception);

    [LoggerMessage(87, LogLevel.Error, "Webhook {WebhookId} delivery of {EventId} failed unexpectedly; it is sent again when its lease ends.")]
    public static partial void DeliveryCrashed(ILogger logger, long webhookId, string eventId, Exception exception);

    /// <summary>Never the value: the matched secrets by ID, the source URL as printable text.</summary>
    [LoggerMessage(88, LogLevel.Warning, "Leaked secret {SecretId} of client {ClientId} (service {ServiceId}, {Status}) reported by {Reporter}: {Response} applied; found at {Url}.")]
    public static partial void SecretLeaked(ILogger logger, long secretId, long clientId, long serviceId, string status, string reporter, string response, string url);

    [LoggerMessage(89, LogLevel.Information, "Leak report by {Reporter}: {Count} value(s), {Matched} matched a live secret{Replay}.")]
    public static partial void LeakReportReceived(ILogger logger, string reporter, int count, int matched, string replay);

    [LoggerMessage(90, LogLevel.Warning, "GitHub secret-scanning report refused: {Reason}.")]
    public static partial void GitHubReportRefused(ILogger logger, string reason);

    [LoggerMessage(91, LogLevel.Information, "Lookup digests written for the current secrets of {Count} client(s) stored before leak lookups existed.")]
    public static partial void LookupsBackfilled(ILogger logger, int count);

    /// <summary>Never a token: the client by ID, the actor by kind and the initial access token by ID.</summary>
    [LoggerMessage(92, LogLevel.Information, "Client {ClientId} registered dynamically in service {ServiceId}; actor {ActorKind}, initial access token {InitialAccessTokenId}.")]
    public static partial void ClientRegistered(ILogger logger, long serviceId, long clientId, string actorKind, long? initialAccessTokenId);

    [LoggerMessage(93, LogLevel.Information, "Dynamic registration in service {ServiceId} refused: {Reason}.")]
    public static partial void RegistrationRefused(ILogger logger, long serviceId, string reason);
}
