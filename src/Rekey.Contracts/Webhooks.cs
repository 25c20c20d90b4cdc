namespace Rekey.Contracts;

/// <summary>
/// The types of Rekey's lifecycle events (Rekey extension), as they appear in a webhook delivery's <c>type</c> and in a
/// webhook's <c>events</c> filter.
/// </summary>
public static class EventTypes
{
#pragma warning disable CS1591 // The names say it; docs/events.md describes each.
    public const string SecretUpdated = "client.secret.updated";
    public const string SecretRefreshed = "client.secret.refreshed";
    public const string SecretRevoked = "client.secret.revoked";
    public const string SecretExpiring = "client.secret.expiring";
    public const string SecretExpired = "client.secret.expired";
    public const string SecretGraceEnded = "client.secret.grace_ended";
    public const string SecretLeaked = "client.secret.leaked";
    public const string ClientCreated = "client.created";
    public const string ClientUpdated = "client.updated";
    public const string ClientDeleted = "client.deleted";
    public const string ClientLocked = "client.locked";
    public const string ClientUnlocked = "client.unlocked";
    public const string WebhookTest = "webhook.test";
    public const string WebhookDisabled = "webhook.disabled";
#pragma warning restore CS1591

    /// <summary>Every type, in the order docs/events.md lists them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        SecretUpdated, SecretRefreshed, SecretRevoked, SecretExpiring, SecretExpired, SecretGraceEnded, SecretLeaked,
        ClientCreated, ClientUpdated, ClientDeleted, ClientLocked, ClientUnlocked, WebhookTest, WebhookDisabled,
    ];
}

/// <summary>Request of <c>POST /api/{serviceId}/webhook/create</c> and <c>/webhook/update/{id}</c> (Rekey extension).</summary>
/// <remarks>On update, an absent property keeps its stored value.</remarks>
public sealed record WebhookRequest
{
    /// <summary>Where deliveries are POSTed: https (http only for private networks when the server allows them).</summary>
    public string? Url { get; init; }

    /// <summary>The event types sent to it (<see cref="EventTypes"/>); empty or absent on create = every type.</summary>
    public List<string>? Events { get; init; }

    /// <summary>Free text for operators, at most 200 characters.</summary>
    public string? Description { get; init; }

    /// <summary>False stops deliveries (pending ones wait); true (the default on create) resumes them.</summary>
    public bool? Enabled { get; init; }
}

/// <summary>Request of <c>POST /api/{serviceId}/webhook/secret/rotate/{id}</c>.</summary>
public sealed record WebhookSecretRotateRequest
{
    /// <summary>Seconds the replaced signing secret keeps signing beside the new one (default 86400, at most 604800).</summary>
    public long? GracePeriod { get; init; }
}

/// <summary>A webhook endpoint of a service (Rekey extension). The signing secret is returned once, by create and secret rotate.</summary>
public sealed record WebhookInfo
{
    /// <summary>The webhook's ID.</summary>
    public long WebhookId { get; init; }

    /// <summary>The service whose events it receives.</summary>
    public long ServiceId { get; init; }

    /// <summary>The receiver's URL.</summary>
    public string Url { get; init; } = "";

    /// <summary>The event types sent to it; empty = every type.</summary>
    public IReadOnlyList<string> Events { get; init; } = [];

    /// <summary>Operator's description.</summary>
    public string? Description { get; init; }

    /// <summary>Whether deliveries are being sent.</summary>
    public bool Enabled { get; init; }

    /// <summary>Why the server disabled it (an endpoint that failed for too long); absent otherwise.</summary>
    public string? DisabledReason { get; init; }

    /// <summary>Since when every delivery has failed, epoch milliseconds; absent while deliveries succeed.</summary>
    public long? FailingSince { get; init; }

    /// <summary>Until when the replaced signing secret signs too (a rotation's overlap), epoch milliseconds.</summary>
    public long? PreviousSecretValidUntil { get; init; }

    /// <summary>Creation time, epoch milliseconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>Last change, epoch milliseconds.</summary>
    public long ModifiedAt { get; init; }

    /// <summary>The signing secret (<c>whsec_</c> + base64 of 32 bytes): only in the answers of create and secret rotate.</summary>
    public string? Secret { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"WebhookInfo {{ WebhookId = {WebhookId}, ServiceId = {ServiceId}, Url = {Url}, Secret = {Redact.Secret(Secret)} }}";
}

/// <summary>Response of <c>GET /api/{serviceId}/webhook/get/list</c>.</summary>
public sealed record WebhookListResponse : ListResponse
{
    /// <summary>The webhooks of the page, without secrets.</summary>
    public IReadOnlyList<WebhookInfo> Webhooks { get; init; } = [];
}

/// <summary>One event sent (or to be sent) to one webhook, with the outcome of its last attempt; named by webhook and event ID.</summary>
public sealed record WebhookDeliveryInfo
{
    /// <summary>The webhook it goes to.</summary>
    public long WebhookId { get; init; }

    /// <summary>The event's ID: the <c>webhook-id</c> header, the same on every attempt.</summary>
    public string EventId { get; init; } = "";

    /// <summary>The event's type.</summary>
    public string EventType { get; init; } = "";

    /// <summary><c>pending</c> (waiting for its next attempt), <c>succeeded</c> or <c>failed</c> (no attempt left; redeliverable).</summary>
    public string Status { get; init; } = "";

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; init; }

    /// <summary>When the event happened, epoch milliseconds.</summary>
    public long CreatedAt { get; init; }

    /// <summary>When the last attempt was made, epoch milliseconds.</summary>
    public long? LastAttemptAt { get; init; }

    /// <summary>When the next attempt is due, epoch milliseconds (pending deliveries only).</summary>
    public long? NextAttemptAt { get; init; }

    /// <summary>The receiver's HTTP status on the last attempt.</summary>
    public int? LastStatusCode { get; init; }

    /// <summary>Why the last attempt failed when there was no HTTP answer (timeout, refused address, connection error).</summary>
    public string? LastError { get; init; }

    /// <summary>The start of the receiver's last answer, at most 256 printable characters.</summary>
    public string? ResponseExcerpt { get; init; }
}

/// <summary>Response of <c>GET /api/{serviceId}/webhook/deliveries/{id}</c>, newest first.</summary>
public sealed record WebhookDeliveryListResponse : ListResponse
{
    /// <summary>The deliveries of the page.</summary>
    public IReadOnlyList<WebhookDeliveryInfo> Deliveries { get; init; } = [];
}

/// <summary>Response of <c>POST /api/{serviceId}/webhook/test/{id}</c> and <c>/webhook/redeliver/{id}/{eventId}</c>.</summary>
public sealed record WebhookDeliveryResponse
{
    /// <summary>The catalogue code.</summary>
    public required string ResultCode { get; init; }

    /// <summary>The message, prefixed with the code in brackets.</summary>
    public required string ResultMessage { get; init; }

    /// <summary>The delivery queued: sent within a second or two, then visible in the delivery log.</summary>
    public WebhookDeliveryInfo? Delivery { get; init; }
}
