using Rekey.Contracts;

namespace Rekey.Sdk;

public sealed partial class RekeyClient
{
    /// <summary>
    /// Creates a webhook: the service's lifecycle events (<see cref="EventTypes"/>) are POSTed to its URL, signed per
    /// Standard Webhooks (<c>POST /api/{serviceId}/webhook/create</c>; Rekey extension, permission <c>webhook.write</c>).
    /// The signing secret (<c>whsec_…</c>) is in <see cref="WebhookInfo.Secret"/> of this answer and nowhere else;
    /// a receiver checks deliveries with it through <see cref="Webhooks.WebhookVerifier"/>. Refused with <c>A190201</c>
    /// for a URL the server will not call (not https, or a private address unless the server allows them),
    /// <c>A190202</c> for an unknown event type, <c>A190203</c> for a bad description, <c>A190204</c> (409) when the
    /// service has as many webhooks as it may.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="request">The URL (required), the event types (none: every type), a description, and whether it starts enabled (default true).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<WebhookInfo>> CreateWebhookAsync(long serviceId, WebhookRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/webhook/create", Body(request, Json.WebhookRequest), Json.WebhookInfo, cancellationToken);

    /// <summary>
    /// Lists a service's webhooks, never their signing secrets (<c>GET /api/{serviceId}/webhook/get/list</c>; Rekey
    /// extension, permission <c>webhook.read</c>).
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="start">First index, inclusive (server default 0).</param>
    /// <param name="end">Last index, exclusive (server default 5; at most 1000 per page).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<WebhookListResponse>> ListWebhooksAsync(long serviceId, int? start = null, int? end = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/webhook/get/list" + Query(("start", Index(start, nameof(start))), ("end", Index(end, nameof(end)))),
            null, Json.WebhookListResponse, cancellationToken);

    /// <summary>
    /// Gets a webhook, without its signing secret (<c>GET /api/{serviceId}/webhook/get/{webhookId}</c>; Rekey
    /// extension, permission <c>webhook.read</c>). An unknown ID is <c>A191201</c> (404).
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="webhookId">The webhook's ID (<see cref="WebhookInfo.WebhookId"/>).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<WebhookInfo>> GetWebhookAsync(long serviceId, long webhookId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/{serviceId}/webhook/get/{webhookId}", null, Json.WebhookInfo, cancellationToken);

    /// <summary>
    /// Changes a webhook (<c>POST /api/{serviceId}/webhook/update/{webhookId}</c>; Rekey extension, permission
    /// <c>webhook.write</c>). Unlike a client update this is a merge: properties left <see langword="null"/> keep
    /// their value. <see cref="WebhookRequest.Enabled"/> <see langword="true"/> also clears a disable by the server
    /// (<see cref="WebhookInfo.DisabledReason"/>). The answer has no secret; see <see cref="RotateWebhookSecretAsync"/>.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="webhookId">The webhook's ID.</param>
    /// <param name="request">The properties to change; an empty <see cref="WebhookRequest.Events"/> list means every type, an empty description removes it.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<WebhookInfo>> UpdateWebhookAsync(long serviceId, long webhookId, WebhookRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/webhook/update/{webhookId}", Body(request, Json.WebhookRequest), Json.WebhookInfo, cancellationToken);

    /// <summary>
    /// Deletes a webhook with its pending deliveries (<c>DELETE /api/{serviceId}/webhook/delete/{webhookId}</c>; Rekey
    /// extension, permission <c>webhook.write</c>). Success is HTTP 204.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="webhookId">The webhook's ID.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult> DeleteWebhookAsync(long serviceId, long webhookId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/{serviceId}/webhook/delete/{webhookId}", cancellationToken);

    /// <summary>
    /// Queues a <c>webhook.test</c> event for this webhook alone (<c>POST /api/{serviceId}/webhook/test/{webhookId}</c>;
    /// Rekey extension, permission <c>webhook.write</c>). Success is result code <c>A194001</c> with the queued
    /// <see cref="WebhookDeliveryResponse.Delivery"/>: it is sent within a second or two, and its outcome shows in
    /// <see cref="ListWebhookDeliveriesAsync"/>.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="webhookId">The webhook's ID.</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<WebhookDeliveryResponse>> TestWebhookAsync(long serviceId, long webhookId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/webhook/test/{webhookId}", null, Json.WebhookDeliveryResponse, cancellationToken);

    /// <summary>
    /// Gives a webhook a new signing secret (<c>POST /api/{serviceId}/webhook/secret/rotate/{webhookId}</c>; Rekey
    /// extension, permission <c>webhook.write</c>). The new secret is in <see cref="WebhookInfo.Secret"/> of this answer
    /// and nowhere else. Until <see cref="WebhookInfo.PreviousSecretValidUntil"/> every delivery carries a signature
    /// under each secret, so receivers can switch to the new one at their own pace.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="webhookId">The webhook's ID.</param>
    /// <param name="gracePeriod">
    /// Seconds the replaced secret keeps signing beside the new one (0: it stops at once); <see langword="null"/> for
    /// the server's default, 86400. The server refuses a negative value or one over 604800 (7 days) with <c>A197201</c>.
    /// </param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<WebhookInfo>> RotateWebhookSecretAsync(long serviceId, long webhookId, long? gracePeriod = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/webhook/secret/rotate/{webhookId}",
            Body(new WebhookSecretRotateRequest { GracePeriod = gracePeriod }, Json.WebhookSecretRotateRequest), Json.WebhookInfo, cancellationToken);

    /// <summary>
    /// A webhook's delivery log, newest first: each event sent (or to be sent) with its status (<c>pending</c>,
    /// <c>succeeded</c>, <c>failed</c>), attempts and the outcome of the last one
    /// (<c>GET /api/{serviceId}/webhook/deliveries/{webhookId}</c>; Rekey extension, permission <c>webhook.read</c>).
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="webhookId">The webhook's ID.</param>
    /// <param name="start">First index, inclusive (server default 0).</param>
    /// <param name="end">Last index, exclusive (server default 5; at most 1000 per page).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<WebhookDeliveryListResponse>> ListWebhookDeliveriesAsync(long serviceId, long webhookId, int? start = null, int? end = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get,
            $"api/{serviceId}/webhook/deliveries/{webhookId}" + Query(("start", Index(start, nameof(start))), ("end", Index(end, nameof(end)))),
            null, Json.WebhookDeliveryListResponse, cancellationToken);

    /// <summary>
    /// Sends a delivery again, whatever its status, with a fresh retry schedule
    /// (<c>POST /api/{serviceId}/webhook/redeliver/{webhookId}/{eventId}</c>; Rekey extension, permission
    /// <c>webhook.write</c>). Success is result code <c>A196001</c>; an event this webhook has no delivery of is
    /// <c>A196201</c> (404). The event keeps its ID, so a receiver that de-duplicates by <c>webhook-id</c> sees it
    /// as the same event.
    /// </summary>
    /// <param name="serviceId">The service ID.</param>
    /// <param name="webhookId">The webhook's ID.</param>
    /// <param name="eventId">The event's ID (<see cref="WebhookDeliveryInfo.EventId"/>, the <c>webhook-id</c> header).</param>
    /// <param name="cancellationToken">Cancels the call; throws <see cref="OperationCanceledException"/>.</param>
    public Task<RekeyResult<WebhookDeliveryResponse>> RedeliverWebhookEventAsync(long serviceId, long webhookId, string eventId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/{serviceId}/webhook/redeliver/{webhookId}/{Segment(eventId, nameof(eventId))}", null,
            Json.WebhookDeliveryResponse, cancellationToken);
}
