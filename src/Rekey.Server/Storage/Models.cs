using Rekey.Server.Secrets;

namespace Rekey.Server.Storage;

/// <summary>
/// Who changes what, when and from where. Every write takes one; the store writes the audit event from it in the
/// same transaction as the change, and uses <see cref="At"/> as the time of the change.
/// </summary>
internal sealed record ChangeContext(string Action, long At, string ActorKind, long? ActorTokenId, string? RemoteAddress, string? RequestId);

/// <summary>An audit event to append on its own (refused attempts: the change itself was rolled back or never ran).</summary>
internal sealed record AuditRecord(ChangeContext Change, long? ServiceId, long? ClientId, long? SecretId, string Outcome, string? Target);

/// <summary>Filters of the audit list; <see cref="ServiceId"/> null = organisation-wide.</summary>
internal sealed record AuditQuery(long? ServiceId, long? ClientId, string? Action, int Start, int End);

/// <summary>
/// The service settings the store itself acts on (the rest lives in the document). <see cref="ExpiryWarnings"/> is the
/// stored form of <c>clientSecretExpiryWarnings</c> (<see cref="Events.SecretNotices.Encode"/>; null = the default).
/// </summary>
/// <remarks>
/// <see cref="HasWebhooks"/>: whether the service had an enabled webhook when the client row was read, in the change's
/// transaction: a change of a service without one writes no event row (none would be delivered), at no cost.
/// </remarks>
/// <remarks>
/// <see cref="SecretFormat"/> and <see cref="LeakResponse"/> are stored as given (null = the defaults, <c>AUTHLETE</c>
/// and <c>REVOKE</c>).
/// </remarks>
internal sealed record ServiceSettings(long GracePeriodSeconds, long SecretLifetimeSeconds, string? ExpiryWarnings = null, bool HasWebhooks = true,
    string? SecretFormat = null, string? LeakResponse = null)
{
    public IReadOnlyList<long> Warnings => Events.SecretNotices.Decode(ExpiryWarnings);

    public string EffectiveLeakResponse => LeakResponse ?? Contracts.LeakResponses.Default;
}

/// <summary>A validated service document to store, and the settings the store acts on.</summary>
internal sealed record ServiceContent(string Document, ServiceSettings Settings);

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
    string? CurrentSecret,
    long? CurrentSecretExpiresAt,
    byte[]? RegistrationToken = null)
{
    /// <summary>Registered through dynamic client registration: it has a registration access token (its SHA-256 here).</summary>
    public bool DynamicallyRegistered => RegistrationToken is not null;

    public override string ToString() => $"StoredClient {{ ServiceId = {ServiceId}, ClientId = {ClientId}, Alias = {Alias} }}";
}

/// <summary>What a new client is made of; IDs are chosen by the store, and the secret too (in the service's format) when <see cref="Secret"/> is null.</summary>
internal sealed record NewClient(long ServiceId, string? Alias, string? Developer, bool Locked, string Document, string? Secret, ClientRegistration? Registration = null)
{
    public override string ToString() => $"NewClient {{ ServiceId = {ServiceId}, Alias = {Alias} }}";
}

/// <summary>
/// A full replacement of a client's document. <see cref="Registration"/>: an RFC 7592 update by the client itself, which
/// must still hold the registration access token it presented when the row is locked.
/// </summary>
internal sealed record ClientUpdate(long ServiceId, long ClientId, string? Alias, string? Developer, string Document, RegistrationChange? Registration = null);

/// <summary>
/// What dynamic registration adds to a client's creation: the SHA-256 of its registration access token, and the initial
/// access token that allowed it (used up in the creation's transaction: a single-use token registers one client).
/// </summary>
internal sealed record ClientRegistration(byte[] TokenHash, long? InitialAccessTokenId)
{
    public override string ToString() => $"ClientRegistration {{ InitialAccessTokenId = {InitialAccessTokenId} }}";
}

/// <summary>
/// An RFC 7592 update: the registration access token presented (SHA-256, checked under the client's row lock), the one
/// that replaces it, and whether a new client secret is generated (the replaced one kept for the service's grace period).
/// </summary>
internal sealed record RegistrationChange(byte[] PresentedTokenHash, byte[] NewTokenHash, bool RotateSecret)
{
    public override string ToString() => $"RegistrationChange {{ RotateSecret = {RotateSecret} }}";
}

/// <summary>An initial access token's row (never the value: the store keeps its SHA-256).</summary>
internal sealed record StoredInitialAccessToken(long TokenId, long ServiceId, string? Description, long CreatedAt, long? ExpiresAt, bool SingleUse, long Registrations,
    long? LastUsedAt)
{
    /// <summary>Whether it may register a client at <paramref name="now"/> (epoch ms).</summary>
    public bool IsUsableAt(long now) => (ExpiresAt is not { } expires || expires > now) && (!SingleUse || Registrations == 0);
}

/// <summary>
/// A secret update or refresh; <see cref="GracePeriodSeconds"/> overrides the service's setting. A refresh gives no
/// <see cref="NewSecret"/>: the store generates one in the service's <c>clientSecretFormat</c>.
/// </summary>
internal sealed record SecretRotationRequest(long ServiceId, string Identifier, string? NewSecret, long? GracePeriodSeconds)
{
    public override string ToString() => $"SecretRotationRequest {{ ServiceId = {ServiceId}, Identifier = {Identifier} }}";
}

/// <summary>The result of one atomic secret rotation.</summary>
internal sealed record SecretRotation(long ClientId, long NewSecretId, string? OldSecret, string NewSecret)
{
    public override string ToString() => $"SecretRotation {{ ClientId = {ClientId}, NewSecretId = {NewSecretId} }}";
}

/// <summary>Metadata of one stored secret (no value).</summary>
internal sealed record StoredSecret(long SecretId, int State, long CreatedAt, long? ExpiresAt, long? ValidUntil, long? RevokedAt, long? LastUsedAt, string? Hint);

/// <summary>
/// Kept secrets of every client by status (<see cref="Secrets.SecretPolicy.Status"/>) at one moment, and how many
/// current secrets end their lifetime within 1, 7 and 30 days of it: counts only, for the metrics.
/// </summary>
internal sealed record SecretTally(long Current, long Previous, long Expired, long Revoked, long ExpiringIn1Day, long ExpiringIn7Days, long ExpiringIn30Days);

/// <summary>A client row as read: the client, its secrets (the current one still sealed), its service's settings.</summary>
internal sealed record ClientRow(StoredClient Client, SecretSet Secrets, ServiceSettings Settings);

/// <summary>A recorded use of a secret: the client, the secret, when (epoch ms).</summary>
internal readonly record struct SecretUse(long ClientId, long SecretId, long At);

/// <summary>Every kept secret of one client, newest first.</summary>
internal sealed record ClientSecrets(long ClientId, IReadOnlyList<StoredSecret> Secrets);

/// <summary>What verification needs of one stored secret.</summary>
/// <remarks><see cref="Ciphertext"/> is held by the current secret, and by a previous one of a client that authenticates with client_secret_jwt (<see cref="Secrets.SecretSet.Rotate"/>).</remarks>
internal sealed record SecretCandidate(long SecretId, string KeyId, byte[] Digest, int State, long? ExpiresAt, long? ValidUntil, byte[]? Ciphertext = null)
{
    public bool IsValidAt(long now) => SecretPolicy.IsValid(State, ExpiresAt, ValidUntil, now);
}

/// <summary>A client as the authentication paths see it, with every secret that might still verify.</summary>
internal sealed record ClientCredentials(long ServiceId, long ClientId, string? Alias, bool Locked, string Document, IReadOnlyList<SecretCandidate> Secrets);

/// <summary>An API token row (never the token itself: only its SHA-256 hash is stored).</summary>
internal sealed record StoredApiToken(long TokenId, long ServiceId, IReadOnlyList<string> Permissions, string? Description, long CreatedAt);

/// <summary>
/// A service's signing key: public JWK and the private key (PKCS#8), opened, with its schedule (epoch ms): published from
/// <paramref name="CreatedAt"/>, signing from <paramref name="ActivatesAt"/>, out of the JWKS from <paramref name="RetiresAt"/>
/// (null while no successor is scheduled). The rules are in <see cref="OAuth.SigningKeySchedule"/>.
/// </summary>
internal sealed record StoredSigningKey(string KeyId, long ServiceId, long CreatedAt, string PublicJwk, byte[] PrivateKey, long ActivatesAt, long? RetiresAt)
{
    public OAuth.KeyTimes Times => new(CreatedAt, ActivatesAt, RetiresAt);

    public override string ToString() => $"StoredSigningKey {{ KeyId = {KeyId}, ServiceId = {ServiceId} }}";
}

/// <summary>A signing key to add; the store seals the private key.</summary>
internal sealed record NewSigningKey(string KeyId, string PublicJwk, byte[] PrivateKey)
{
    public override string ToString() => $"NewSigningKey {{ KeyId = {KeyId} }}";
}

/// <summary>A master key as the database records it: never the key, only its ID and check value.</summary>
internal sealed record StoredMasterKey(string Id, byte[]? CheckValue, long CreatedAt, long? RetiredAt)
{
    public override string ToString() => $"StoredMasterKey {{ Id = {Id}, RetiredAt = {RetiredAt} }}";
}

/// <summary>Every key record of the database: the master keys it knows and the data keys with their wrappings.</summary>
internal sealed record KeyState(IReadOnlyList<StoredMasterKey> MasterKeys, IReadOnlyList<WrappedDataKey> DataKeys);

/// <summary>What one key operation writes, in one transaction with its audit event.</summary>
internal sealed record KeyChanges
{
    /// <summary>Inserted, or updated (check value, retirement) when the ID is known.</summary>
    public IReadOnlyList<StoredMasterKey> MasterKeys { get; init; } = [];

    public IReadOnlyList<WrappedDataKey> NewDataKeys { get; init; } = [];

    public IReadOnlyList<(string DataKeyId, DataKeyWrap Wrap)> NewWraps { get; init; } = [];

    public IReadOnlyList<(string DataKeyId, string MasterKeyId)> DeletedWraps { get; init; } = [];

    /// <summary>The audit event's target (key IDs, never key material).</summary>
    public string? AuditTarget { get; init; }
}

/// <summary>A key operation decided on the records it read: the writes, and the answer once they are committed.</summary>
internal sealed record KeyPlan<T>(KeyChanges Changes, T Result);

/// <summary>A data key and how many stored values it seals.</summary>
internal sealed record DataKeyUsage(string KeyId, long CreatedAt, long Values);

/// <summary>One page of a list, with the total across all pages.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, int TotalCount);

/// <summary>A webhook row (never its signing secrets: those only travel sealed, to the dispatcher).</summary>
internal sealed record StoredWebhook(long WebhookId, long ServiceId, string Url, IReadOnlyList<string> Events, string? Description, bool Enabled,
    string? DisabledReason, long? FailingSince, long? PreviousSecretUntil, long CreatedAt, long ModifiedAt);

/// <summary>What a caller sets of a webhook.</summary>
internal sealed record WebhookContent(string Url, IReadOnlyList<string> Events, string? Description, bool Enabled);

/// <summary>One delivery as the log shows it. <see cref="Status"/>: 0 pending, 1 succeeded, 2 failed.</summary>
internal sealed record StoredDelivery(long WebhookId, string EventId, string EventType, int Status, int Attempts, long CreatedAt, long? NextAttemptAt,
    long? LastAttemptAt, int? LastStatus, string? LastError, string? Excerpt);

/// <summary>An event of the outbox. <see cref="Data"/> is a JSON object of the type's own fields (never a secret value).</summary>
internal sealed record StoredEvent(string EventId, long ServiceId, string Type, long OccurredAt, long? ClientId, long? SecretId, long? AuditEventId, long? Sequence, string? Data);

/// <summary>
/// A delivery a node has taken: what it sends and with which keys (the current signing secret first, the replaced one
/// while its overlap lasts), and the claim that lets only this node record the outcome.
/// </summary>
internal sealed record ClaimedDelivery(long WebhookId, string EventId, int Attempt, string Claim, string Url, IReadOnlyList<byte[]> SigningKeys, StoredEvent Event)
{
    public override string ToString() => $"ClaimedDelivery {{ WebhookId = {WebhookId}, EventId = {EventId}, Attempt = {Attempt} }}";
}

/// <summary>
/// The outcome of one attempt: delivered (2xx), or not, with when to try again (null: no attempt left, the delivery
/// failed). <see cref="DisableIfFailingSince"/>: a webhook failing continuously since before then is disabled.
/// </summary>
internal sealed record DeliveryOutcome(bool Delivered, int? StatusCode, string? Error, string? Excerpt, long? RetryAt, long At, long DisableIfFailingSince);

/// <summary>One value reported leaked, where it was found (a URL) and what kind of place (GitHub's <c>source</c>).</summary>
internal sealed record LeakItem(string Value, string? Url, string? Source)
{
    /// <summary>The longest source URL kept (in the event; the audit event keeps 200 characters).</summary>
    public const int MaxUrlLength = Contracts.SecretLeakRequest.MaxUrlLength;

    public override string ToString() => $"LeakItem {{ Url = {Url}, Source = {Source} }}";
}

/// <summary>
/// Values reported leaked together: in one service (<see cref="ServiceId"/>) or in any (null). A signed report carries
/// its <see cref="ReportHash"/>: a report seen before is answered as it was and changes nothing.
/// </summary>
internal sealed record LeakBatch(long? ServiceId, IReadOnlyList<LeakItem> Items, byte[]? ReportHash = null);

/// <summary>A live secret a reported value (the batch's item <see cref="Item"/>) matched, and what the service's leak response did.</summary>
internal sealed record LeakMatch(int Item, long ServiceId, long ClientId, long SecretId, string Status, string Response, long? ReplacementSecretId, bool ClientLocked);

/// <summary>What a leak report did: per item whether it matched a live secret; the matches; whether it was a replay (then nothing was done).</summary>
internal sealed record LeakReportResult(bool Replayed, IReadOnlyList<bool> Found, IReadOnlyList<LeakMatch> Matches);
