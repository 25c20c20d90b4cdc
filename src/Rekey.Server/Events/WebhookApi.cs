using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Events;

/// <summary>A service's webhooks (Rekey extension): create, read, update, delete, test, rotate the signing secret, the delivery log, redeliver.</summary>
internal static class WebhookApi
{
    public const int MaxDescriptionLength = 200;

    /// <summary>How long a replaced signing secret signs beside the new one by default, and at most.</summary>
    public const long DefaultSecretOverlapSeconds = 86400;
    public const long MaxSecretOverlapSeconds = 7 * 86400;

    private static readonly ResultCode[] BodyCodes =
    [
        ResultCodes.WebhookInvalidUrl, ResultCodes.WebhookInvalidEvents, ResultCodes.WebhookInvalidDescription, ResultCodes.InvalidPropertyType,
        ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject, ResultCodes.MissingBody,
    ];

    public static RouteGroupBuilder MapWebhooks(this RouteGroupBuilder api)
    {
        api.MapPost("/{serviceId}/webhook/create", CreateAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookCreate)
            .Documented<WebhookInfo>("webhook_create_api", "Create a webhook; its signing secret is returned once, in 'secret'.", 200,
                [ResultCodes.ServiceNotFound, ResultCodes.WebhookLimitReached, .. BodyCodes]);
        api.MapGet("/{serviceId}/webhook/get/list", ListAsync).RequirePermission(Permissions.WebhookRead)
            .Documented<WebhookListResponse>("webhook_get_list_api", "List the service's webhooks (never their secrets).", 200,
                ResultCodes.ServiceNotFound, ResultCodes.InvalidQueryParameter);
        api.MapGet("/{serviceId}/webhook/get/{webhookId}", GetAsync).RequirePermission(Permissions.WebhookRead)
            .Documented<WebhookInfo>("webhook_get_api", "Get a webhook.", 200, ResultCodes.ServiceNotFound, ResultCodes.WebhookNotFound);
        api.MapPost("/{serviceId}/webhook/update/{webhookId}", UpdateAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookUpdate)
            .Documented<WebhookInfo>("webhook_update_api", "Change a webhook; absent properties keep their value. Enabling clears a disable by the server.", 200,
                [ResultCodes.ServiceNotFound, ResultCodes.WebhookNotFound, .. BodyCodes]);
        api.MapDelete("/{serviceId}/webhook/delete/{webhookId}", DeleteAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookDelete)
            .Documented("webhook_delete_api", "Delete a webhook with its pending deliveries. 204, no body.", ResultCodes.ServiceNotFound, ResultCodes.WebhookNotFound);
        api.MapPost("/{serviceId}/webhook/test/{webhookId}", TestAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookTest)
            .Documented<WebhookDeliveryResponse>("webhook_test_api", "Queue a webhook.test event for this webhook alone.", 200,
                ResultCodes.WebhookTestQueued, ResultCodes.ServiceNotFound, ResultCodes.WebhookNotFound);
        api.MapPost("/{serviceId}/webhook/secret/rotate/{webhookId}", RotateSecretAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookSecretRotate)
            .Documented<WebhookInfo>("webhook_secret_rotate_api",
                "A new signing secret, returned once in 'secret'; the replaced one keeps signing beside it for 'gracePeriod' seconds (default 86400).", 200,
                ResultCodes.ServiceNotFound, ResultCodes.WebhookNotFound, ResultCodes.WebhookInvalidGracePeriod, ResultCodes.InvalidPropertyType,
                ResultCodes.MalformedJson, ResultCodes.UnsupportedContentType, ResultCodes.BodyTooLarge, ResultCodes.BodyNotObject);
        api.MapGet("/{serviceId}/webhook/deliveries/{webhookId}", DeliveriesAsync).RequirePermission(Permissions.WebhookRead)
            .Documented<WebhookDeliveryListResponse>("webhook_deliveries_api", "A webhook's delivery log, newest first.", 200,
                ResultCodes.ServiceNotFound, ResultCodes.WebhookNotFound, ResultCodes.InvalidQueryParameter);
        api.MapPost("/{serviceId}/webhook/redeliver/{webhookId}/{eventId}", RedeliverAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookRedeliver)
            .Documented<WebhookDeliveryResponse>("webhook_redeliver_api", "Send a delivery again, with a fresh retry schedule.", 200,
                ResultCodes.WebhookRedeliveryQueued, ResultCodes.ServiceNotFound, ResultCodes.WebhookNotFound, ResultCodes.WebhookDeliveryNotFound);
        return api;
    }

    public static WebhookInfo Present(StoredWebhook w, string? secret = null) => new()
    {
        WebhookId = w.WebhookId,
        ServiceId = w.ServiceId,
        Url = w.Url,
        Events = w.Events,
        Description = w.Description,
        Enabled = w.Enabled,
        DisabledReason = w.DisabledReason,
        FailingSince = w.FailingSince,
        PreviousSecretValidUntil = w.PreviousSecretUntil,
        CreatedAt = w.CreatedAt,
        ModifiedAt = w.ModifiedAt,
        Secret = secret,
    };

    public static WebhookDeliveryInfo Present(StoredDelivery d) => new()
    {
        WebhookId = d.WebhookId,
        EventId = d.EventId,
        EventType = d.EventType,
        Status = d.Status switch { 0 => "pending", 1 => "succeeded", _ => "failed" },
        Attempts = d.Attempts,
        CreatedAt = d.CreatedAt,
        LastAttemptAt = d.LastAttemptAt,
        NextAttemptAt = d.Status == 0 ? d.NextAttemptAt : null,
        LastStatusCode = d.LastStatus,
        LastError = d.LastError,
        ResponseExcerpt = d.Excerpt,
    };

    /// <summary>
    /// A caller's webhook, checked: the URL (<see cref="OutboundAddresses.ValidateUrl"/>), the event types, the
    /// description. On update (<paramref name="stored"/> given) an absent property keeps the stored value.
    /// </summary>
    public static Outcome<WebhookContent> Prepare(WebhookRequest request, StoredWebhook? stored, bool allowPrivateNetworks)
    {
        if ((request.Url ?? stored?.Url) is not { } url)
        {
            return RuleViolation.Of(ResultCodes.WebhookInvalidUrl, "'url' is required");
        }

        if (request.Url is not null && OutboundAddresses.ValidateUrl(url, allowPrivateNetworks) is { } reason)
        {
            return RuleViolation.Of(ResultCodes.WebhookInvalidUrl, reason);
        }

        var events = request.Events ?? stored?.Events ?? [];
        if (events.Any(e => !EventTypes.All.Contains(e)))
        {
            return RuleViolation.Of(ResultCodes.WebhookInvalidEvents, string.Join(", ", EventTypes.All));
        }

        var description = request.Description ?? stored?.Description;
        if (description is { Length: > MaxDescriptionLength } || (description is not null && description.Any(char.IsControl)))
        {
            return RuleViolation.Of(ResultCodes.WebhookInvalidDescription, MaxDescriptionLength);
        }

        return new WebhookContent(url, [.. events.Distinct()], description is "" ? null : description, request.Enabled ?? stored?.Enabled ?? true);
    }

    /// <summary>The webhook a path names, or not found (a name that is not an ID names none).</summary>
    public static Outcome<long> WebhookId(string text, long serviceId) =>
        RouteIds.TryParse(text, out var id) ? id : RuleViolation.Of(ResultCodes.WebhookNotFound, UntrustedText.Printable(text, 64), serviceId);

    private static async Task<Outcome<WebhookRequest>> ReadAsync(HttpRequest request, bool required, int limit, CancellationToken ct)
    {
        var body = await RequestBody.ReadObjectAsync(request, WireJson.Context.WebhookRequest, required, limit, ct);
        return body.IsOk(out var json, out var error) ? RequestBody.Bind(json, WireJson.Context.WebhookRequest) : error;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!(await ReadAsync(http.Request, required: true, options.Value.MaxRequestBodyBytes, ct)).IsOk(out var request, out var error)
            || !Prepare(request, null, options.Value.Webhooks.AllowPrivateNetworks).IsOk(out var content, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid);
        }

        var secret = StandardWebhooks.NewSecret();
        var created = await store.CreateWebhookAsync(sid, content, secret, options.Value.Webhooks.MaxPerService, change, ct);
        return created.IsOk(out var webhook, out error)
            ? Results.Json(Present(webhook, secret), WireJson.Context.WebhookInfo)
            : await changes.RefuseAsync(http, change, error, sid);
    }

    private static async Task<IResult> ListAsync(HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (!Paging.From(http.Request).IsOk(out var paging, out var error)
            || !(await store.ListWebhooksAsync(sid, paging.Start, paging.End, ct)).IsOk(out var page, out error))
        {
            return AuthleteResults.Error(error);
        }

        return Results.Json(new WebhookListResponse
        {
            Start = paging.Start,
            End = paging.End,
            TotalCount = page.TotalCount,
            Webhooks = page.Items.Select(w => Present(w)).ToList(),
        }, WireJson.Context.WebhookListResponse);
    }

    private static async Task<IResult> GetAsync(string webhookId, HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (!WebhookId(webhookId, sid).IsOk(out var id, out var error) || !(await store.GetWebhookAsync(sid, id, ct)).IsOk(out var webhook, out error))
        {
            return AuthleteResults.Error(error);
        }

        return Results.Json(Present(webhook), WireJson.Context.WebhookInfo);
    }

    private static async Task<IResult> UpdateAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookId(webhookId, sid).IsOk(out var id, out var error)
            || !(await ReadAsync(http.Request, required: true, options.Value.MaxRequestBodyBytes, ct)).IsOk(out var request, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
        }

        var updated = await store.UpdateWebhookAsync(sid, id, stored => Prepare(request, stored, options.Value.Webhooks.AllowPrivateNetworks), change, ct);
        return updated.IsOk(out var webhook, out error)
            ? Results.Json(Present(webhook), WireJson.Context.WebhookInfo)
            : await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
    }

    private static async Task<Results<NoContent, JsonHttpResult<ResultResponse>>> DeleteAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookId(webhookId, sid).IsOk(out var id, out var error) || !(await store.DeleteWebhookAsync(sid, id, change, ct)).IsOk(out _, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
        }

        return TypedResults.NoContent();
    }

    private static async Task<IResult> TestAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookId(webhookId, sid).IsOk(out var id, out var error) || !(await store.QueueTestEventAsync(sid, id, change, ct)).IsOk(out var delivery, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
        }

        return Queued(ResultCodes.WebhookTestQueued, delivery, id, delivery.EventId);
    }

    private static async Task<IResult> RotateSecretAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options,
        CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookId(webhookId, sid).IsOk(out var id, out var error))
        {
            return await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
        }

        var body = await RequestBody.ReadObjectAsync(http.Request, WireJson.Context.WebhookSecretRotateRequest, required: false, options.Value.MaxRequestBodyBytes, ct);
        if (!body.IsOk(out var json, out error) || !RequestBody.Bind(json, WireJson.Context.WebhookSecretRotateRequest).IsOk(out var request, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
        }

        if (!SecretOverlap(request.GracePeriod).IsOk(out var overlap, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
        }

        var secret = StandardWebhooks.NewSecret();
        var rotated = await store.RotateWebhookSecretAsync(sid, id, secret, overlap, change, ct);
        return rotated.IsOk(out var webhook, out error)
            ? Results.Json(Present(webhook, secret), WireJson.Context.WebhookInfo)
            : await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
    }

    private static async Task<IResult> DeliveriesAsync(string webhookId, HttpContext http, IRekeyStore store, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (!WebhookId(webhookId, sid).IsOk(out var id, out var error)
            || !Paging.From(http.Request).IsOk(out var paging, out error)
            || !(await store.ListDeliveriesAsync(sid, id, paging.Start, paging.End, ct)).IsOk(out var page, out error))
        {
            return AuthleteResults.Error(error);
        }

        return Results.Json(new WebhookDeliveryListResponse
        {
            Start = paging.Start,
            End = paging.End,
            TotalCount = page.TotalCount,
            Deliveries = page.Items.Select(Present).ToList(),
        }, WireJson.Context.WebhookDeliveryListResponse);
    }

    private static async Task<IResult> RedeliverAsync(string webhookId, string eventId, HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookId(webhookId, sid).IsOk(out var id, out var error))
        {
            return await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
        }

        if (!(await store.RedeliverAsync(sid, id, eventId, change, ct)).IsOk(out var delivery, out error))
        {
            return await changes.RefuseAsync(http, change, error, sid, WebhookTarget(webhookId));
        }

        return Queued(ResultCodes.WebhookRedeliveryQueued, delivery, delivery.EventId, id);
    }

    private static IResult Queued(ResultCode code, StoredDelivery delivery, params object[] args)
    {
        var result = ResultResponse.Of(code, args);
        return Results.Json(new WebhookDeliveryResponse { ResultCode = result.ResultCode, ResultMessage = result.ResultMessage, Delivery = Present(delivery) },
            WireJson.Context.WebhookDeliveryResponse);
    }

    /// <summary>How an audit event names the webhook a path named.</summary>
    public static string WebhookTarget(string webhookId) => "webhook " + webhookId;

    /// <summary>How long a replaced signing secret keeps signing: 0 to <see cref="MaxSecretOverlapSeconds"/>, <see cref="DefaultSecretOverlapSeconds"/> when not given.</summary>
    public static Outcome<long> SecretOverlap(long? gracePeriod) =>
        gracePeriod is < 0 or > MaxSecretOverlapSeconds ? RuleViolation.Of(ResultCodes.WebhookInvalidGracePeriod, MaxSecretOverlapSeconds) : gracePeriod ?? DefaultSecretOverlapSeconds;
}
