namespace Rekey.Contracts;

/// <summary>One audit event (Rekey extension). It records who changed what; it never carries a secret, token or key.</summary>
public sealed record AuditEvent
{
    /// <summary>Increasing ID.</summary>
    public long EventId { get; init; }

    /// <summary>When, epoch milliseconds.</summary>
    public long OccurredAt { get; init; }

    /// <summary>
    /// <c>organisation</c> (admin token), <c>service</c> (API token), <c>system</c> (the server itself), <c>github</c> (a signed
    /// secret-scanning report), <c>initial_access_token</c> (a dynamic registration with one: its ID in
    /// <see cref="ActorTokenId"/>), <c>anonymous</c> (a registration at a service whose policy is OPEN) or
    /// <c>registered_client</c> (a client managing its own registration with its registration access token, RFC 7592).
    /// </summary>
    public required string ActorKind { get; init; }

    /// <summary>The API token's ID (absent for the organisation token), or the initial access token's. Never the token.</summary>
    public long? ActorTokenId { get; init; }

    /// <summary>The caller's IP address as the server saw it.</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>The request ID, to find the matching log lines.</summary>
    public string? RequestId { get; init; }

    /// <summary>The service concerned.</summary>
    public long? ServiceId { get; init; }

    /// <summary>The client concerned.</summary>
    public long? ClientId { get; init; }

    /// <summary>What was done, e.g. <c>client.secret.update</c>; see <see cref="AuditActions"/>.</summary>
    public required string Action { get; init; }

    /// <summary>The secret concerned (its ID, never its value).</summary>
    public long? SecretId { get; init; }

    /// <summary><c>success</c>, or the result code of the refusal.</summary>
    public required string Outcome { get; init; }

    /// <summary>What the caller named when the target could not be resolved (an identifier, never a secret).</summary>
    public string? Target { get; init; }
}

/// <summary>Response of the audit list endpoints.</summary>
public sealed record AuditListResponse : ListResponse
{
    /// <summary>Events of the page, newest first.</summary>
    public IReadOnlyList<AuditEvent> Events { get; init; } = [];
}

/// <summary>The audited actions.</summary>
public static class AuditActions
{
#pragma warning disable CS1591 // The names say it.
    public const string ServiceCreate = "service.create";
    public const string ServiceUpdate = "service.update";
    public const string ServiceDelete = "service.delete";
    public const string ClientCreate = "client.create";
    public const string ClientUpdate = "client.update";
    public const string ClientDelete = "client.delete";
    public const string ClientLock = "client.lock";
    public const string ClientUnlock = "client.unlock";
    public const string SecretUpdate = "client.secret.update";
    public const string SecretRefresh = "client.secret.refresh";
    public const string SecretRevoke = "client.secret.revoke";
    public const string SecretLeak = "client.secret.leak";
    public const string KeyRotate = "key.rotate";
    public const string KeyReencrypt = "key.reencrypt";
    public const string KeyRewrap = "key.rewrap";
    public const string MasterKeyRetire = "key.master.retire";
    public const string SigningKeyRotate = "signing_key.rotate";
    public const string ApiTokenCreate = "apitoken.create";
    public const string ApiTokenDelete = "apitoken.delete";
    public const string InitialAccessTokenCreate = "initial_access_token.create";
    public const string InitialAccessTokenDelete = "initial_access_token.delete";
    public const string RegistrationTokenRefresh = "client.registration_token.refresh";
    public const string WebhookCreate = "webhook.create";
    public const string WebhookUpdate = "webhook.update";
    public const string WebhookDelete = "webhook.delete";
    public const string WebhookTest = "webhook.test";
    public const string WebhookSecretRotate = "webhook.secret.rotate";
    public const string WebhookRedeliver = "webhook.redeliver";
    public const string WebhookDisable = "webhook.disable";
#pragma warning restore CS1591

    /// <summary>Every action.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        ServiceCreate, ServiceUpdate, ServiceDelete, ClientCreate, ClientUpdate, ClientDelete, ClientLock, ClientUnlock,
        SecretUpdate, SecretRefresh, SecretRevoke, SecretLeak, KeyRotate, KeyReencrypt, KeyRewrap, MasterKeyRetire, SigningKeyRotate, ApiTokenCreate, ApiTokenDelete,
        InitialAccessTokenCreate, InitialAccessTokenDelete, RegistrationTokenRefresh,
        WebhookCreate, WebhookUpdate, WebhookDelete, WebhookTest, WebhookSecretRotate, WebhookRedeliver, WebhookDisable,
    ];
}

/// <summary>One data encryption key and how many stored values it protects (Rekey extension).</summary>
public sealed record DataKeyInfo
{
    /// <summary>Key ID, recorded beside every ciphertext.</summary>
    public required string KeyId { get; init; }

    /// <summary>Creation time, epoch milliseconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>True for the key that encrypts new values.</summary>
    public bool Current { get; init; }

    /// <summary>Stored values (secrets, signing keys) still encrypted under this key.</summary>
    public long Values { get; init; }
}

/// <summary>
/// One master key (key-encryption key) as the database knows it (Rekey extension). The key itself is never stored
/// or sent: only its ID, which data keys it wraps, and whether the answering node has it configured.
/// </summary>
public sealed record MasterKeyInfo
{
    /// <summary>The master key's ID (<c>id</c> of an <c>id:base64</c> entry).</summary>
    public required string MasterKeyId { get; init; }

    /// <summary>When it first wrapped a data key, epoch milliseconds; absent for a key only configured on the answering node.</summary>
    public long? CreatedAt { get; init; }

    /// <summary>When it was retired (its wrappings deleted), epoch milliseconds; absent while in use.</summary>
    public long? RetiredAt { get; init; }

    /// <summary>Data keys it wraps: each opens with this master key alone.</summary>
    public long DataKeys { get; init; }

    /// <summary>True when the node that answered has this master key in its configuration.</summary>
    public bool Configured { get; init; }
}

/// <summary>Response of the key endpoints (Rekey extension).</summary>
public sealed record DataKeysResponse
{
    /// <summary>A180001, A180002, A181001, A183001 or A183002.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>Values re-encrypted by this call (rotation only).</summary>
    public long? Reencrypted { get; init; }

    /// <summary>Every data key, newest first.</summary>
    public IReadOnlyList<DataKeyInfo> Keys { get; init; } = [];

    /// <summary>Every master key the database knows and every one configured on the answering node, oldest first.</summary>
    public IReadOnlyList<MasterKeyInfo> MasterKeys { get; init; } = [];
}
