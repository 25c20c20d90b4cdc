using System.Globalization;
using Microsoft.Extensions.Options;
using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;
using Rekey.Server.Events;
using Rekey.Server.Hosting;
using Rekey.Server.Http;
using Rekey.Server.Storage;

namespace Rekey.Server.Console;

public sealed record WebhookListModel(Page Layout, IReadOnlyList<WebhookInfo> Webhooks, int Total, int Max, WebhookRequest? Form);

/// <summary>A webhook with a page of its delivery log; <see cref="NewSecret"/> only on the answer that made it (create, rotate).</summary>
public sealed record WebhookModel(Page Layout, WebhookInfo Webhook, IReadOnlyList<WebhookDeliveryInfo> Deliveries, Pager Pager, string? NewSecret, WebhookRequest? Form)
{
    public override string ToString() => $"WebhookModel {{ WebhookId = {Webhook.WebhookId} }}";
}

/// <summary>The event type checkboxes of a webhook form (create or edit), with those already chosen.</summary>
public sealed record EventChoices(string IdPrefix, IReadOnlyList<string> Chosen);

/// <summary>
/// A service's webhooks: list, create (the signing secret shown once), a webhook with its delivery log, edit, enable,
/// disable, test, rotate the signing secret, redeliver, delete — <see cref="WebhookApi.Prepare"/>'s rules and the store
/// calls of /api, audited as /api audits.
/// </summary>
internal static class WebhookPages
{
    private const int DeliveriesPerPage = 50;

    public static RouteGroupBuilder MapWebhookPages(this RouteGroupBuilder console)
    {
        const string one = "/services/{serviceId}/webhooks/{webhookId}";
        console.MapGet("/services/{serviceId}/webhooks", ListAsync).RequirePermission(Permissions.WebhookRead);
        console.MapPost("/services/{serviceId}/webhooks", CreateAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookCreate);
        console.MapGet(one, ShowAsync).RequirePermission(Permissions.WebhookRead);
        console.MapPost(one, UpdateAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookUpdate);
        console.MapPost(one + "/enable", EnableAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookUpdate);
        console.MapPost(one + "/disable", DisableAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookUpdate);
        console.MapPost(one + "/test", TestAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookTest);
        console.MapPost(one + "/rotate-secret", RotateSecretAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookSecretRotate);
        console.MapPost(one + "/delete", DeleteAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookDelete);
        console.MapPost(one + "/deliveries/{eventId}/redeliver", RedeliverAsync).RequirePermission(Permissions.WebhookWrite).Audited(AuditActions.WebhookRedeliver);
        return console;
    }

    /// <summary>The form's webhook: every property given, so that an edit can clear the description or subscribe to every event (none checked).</summary>
    private static WebhookRequest RequestOf(IFormCollection form) => new()
    {
        Url = form["url"].ToString().Trim(),
        Events = [.. form["events"].OfType<string>()],
        Description = form["description"].ToString().Trim(),
    };

    // ---- list and create ----------------------------------------------------------------------------

    private static async Task<IResult> ListAsync(HttpContext http, IRekeyStore store, IOptions<RekeyOptions> options, string? notice, CancellationToken ct) =>
        await RenderListAsync(http, store, options, (await ConsolePages.ServicePageAsync(http, store, "Webhooks", "webhooks", ct)) with { Notice = Notices.Text(notice) }, null,
            StatusCodes.Status200OK, ct);

    private static async Task<IResult> RenderListAsync(HttpContext http, IRekeyStore store, IOptions<RekeyOptions> options, Page layout, WebhookRequest? form, int status,
        CancellationToken ct)
    {
        var max = options.Value.Webhooks.MaxPerService;
        if (!(await store.ListWebhooksAsync(http.GetServiceId(), 0, Math.Min(max, Paging.MaxPageSize), ct)).IsOk(out var webhooks, out var error))
        {
            return ConsolePages.Refused(http, error);
        }

        return Results.RazorSlice<Slices.Webhooks, WebhookListModel>(
            new WebhookListModel(layout, [.. webhooks.Items.Select(w => WebhookApi.Present(w))], webhooks.TotalCount, max, form), status);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var request = RequestOf(ConsoleAuth.FormOf(http));
        if (!WebhookApi.Prepare(request, null, options.Value.Webhooks.AllowPrivateNetworks).IsOk(out var content, out var error))
        {
            return await RefusedAsync(error);
        }

        var secret = StandardWebhooks.NewSecret();
        if (!(await store.CreateWebhookAsync(sid, content, secret, options.Value.Webhooks.MaxPerService, change, ct)).IsOk(out var webhook, out error))
        {
            return await RefusedAsync(error);
        }

        // Shown on this answer only (no-store, not a redirect): nothing keeps the secret to show it again.
        return await RenderWebhookAsync(http, store, IdText(webhook.WebhookId), null, Notices.Text("webhook-created"), null, secret, null,
            StatusCodes.Status200OK, ct);

        async Task<IResult> RefusedAsync(RuleViolation violation)
        {
            await changes.RecordAsync(http, change, violation, sid);
            var layout = (await ConsolePages.ServicePageAsync(http, store, "Webhooks", "webhooks", ct)) with { Error = violation };
            return await RenderListAsync(http, store, options, layout, request, violation.Code.HttpStatus, ct);
        }
    }

    // ---- one webhook --------------------------------------------------------------------------------

    private static Task<IResult> ShowAsync(string webhookId, HttpContext http, IRekeyStore store, string? page, string? notice, CancellationToken ct) =>
        RenderWebhookAsync(http, store, webhookId, page, Notices.Text(notice), null, null, null, StatusCodes.Status200OK, ct);

    private static async Task<IResult> RenderWebhookAsync(HttpContext http, IRekeyStore store, string webhookId, string? page, string? notice, RuleViolation? error,
        string? newSecret, WebhookRequest? form, int status, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        if (!WebhookApi.WebhookId(webhookId, sid).IsOk(out var id, out var missing) || !(await store.GetWebhookAsync(sid, id, ct)).IsOk(out var webhook, out missing))
        {
            return ConsolePages.Refused(http, missing);
        }

        var pager = new Pager(Pager.NumberOf(page), DeliveriesPerPage, 0, $"/console/services/{sid}/webhooks/{id}");
        if (!(await store.ListDeliveriesAsync(sid, id, pager.Start, pager.Start + DeliveriesPerPage, ct)).IsOk(out var deliveries, out missing))
        {
            return ConsolePages.Refused(http, missing);
        }

        var layout = (await ConsolePages.ServicePageAsync(http, store, "Webhook " + IdText(id), "webhooks", ct)) with { Notice = notice, Error = error };
        return Results.RazorSlice<Slices.Webhook, WebhookModel>(new WebhookModel(layout, WebhookApi.Present(webhook), [.. deliveries.Items.Select(WebhookApi.Present)],
            pager with { Total = deliveries.TotalCount }, newSecret, form), status);
    }

    /// <summary>Records a refused change to a webhook as /api does (its target named), and shows the webhook again with the refusal.</summary>
    private static async Task<IResult> RefuseAsync(HttpContext http, IRekeyStore store, Changes changes, ChangeContext change, string webhookId, RuleViolation error,
        WebhookRequest? form, CancellationToken ct)
    {
        await changes.RecordAsync(http, change, error, http.GetServiceId(), WebhookApi.WebhookTarget(webhookId));
        return await RenderWebhookAsync(http, store, webhookId, null, null, error, null, form, error.Code.HttpStatus, ct);
    }

    private static Task<IResult> UpdateAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct) =>
        ChangeAsync(webhookId, RequestOf(ConsoleAuth.FormOf(http)), "webhook-updated", http, store, changes, options, ct);

    private static Task<IResult> EnableAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct) =>
        ChangeAsync(webhookId, new WebhookRequest { Enabled = true }, "webhook-enabled", http, store, changes, options, ct);

    private static Task<IResult> DisableAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, IOptions<RekeyOptions> options, CancellationToken ct) =>
        ChangeAsync(webhookId, new WebhookRequest { Enabled = false }, "webhook-disabled", http, store, changes, options, ct);

    /// <summary>An update as /api's: absent properties keep their value, the result checked by <see cref="WebhookApi.Prepare"/>.</summary>
    private static async Task<IResult> ChangeAsync(string webhookId, WebhookRequest request, string notice, HttpContext http, IRekeyStore store, Changes changes,
        IOptions<RekeyOptions> options, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookApi.WebhookId(webhookId, sid).IsOk(out var id, out var error)
            || !(await store.UpdateWebhookAsync(sid, id, stored => WebhookApi.Prepare(request, stored, options.Value.Webhooks.AllowPrivateNetworks), change, ct))
                .IsOk(out _, out error))
        {
            return await RefuseAsync(http, store, changes, change, webhookId, error, request.Url is null ? null : request, ct);
        }

        return Results.Redirect($"/console/services/{sid}/webhooks/{IdText(id)}?notice={notice}");
    }

    private static async Task<IResult> TestAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookApi.WebhookId(webhookId, sid).IsOk(out var id, out var error) || !(await store.QueueTestEventAsync(sid, id, change, ct)).IsOk(out _, out error))
        {
            return await RefuseAsync(http, store, changes, change, webhookId, error, null, ct);
        }

        return Results.Redirect($"/console/services/{sid}/webhooks/{IdText(id)}?notice=webhook-test");
    }

    private static async Task<IResult> RotateSecretAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        var secret = StandardWebhooks.NewSecret();
        if (!WebhookApi.WebhookId(webhookId, sid).IsOk(out var id, out var error)
            || !ServicePages.Seconds(ConsoleAuth.FormOf(http)["gracePeriod"]).IsOk(out var grace, out error)
            || !WebhookApi.SecretOverlap(grace).IsOk(out var overlap, out error)
            || !(await store.RotateWebhookSecretAsync(sid, id, secret, overlap, change, ct)).IsOk(out _, out error))
        {
            return await RefuseAsync(http, store, changes, change, webhookId, error, null, ct);
        }

        // Shown on this answer only, as on create.
        return await RenderWebhookAsync(http, store, IdText(id), null, Notices.Text("webhook-secret-rotated"),
            null, secret, null, StatusCodes.Status200OK, ct);
    }

    private static async Task<IResult> DeleteAsync(string webhookId, HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookApi.WebhookId(webhookId, sid).IsOk(out var id, out var error) || !(await store.DeleteWebhookAsync(sid, id, change, ct)).IsOk(out _, out error))
        {
            return await RefuseAsync(http, store, changes, change, webhookId, error, null, ct);
        }

        return Results.Redirect($"/console/services/{sid}/webhooks?notice=webhook-deleted");
    }

    private static async Task<IResult> RedeliverAsync(string webhookId, string eventId, HttpContext http, IRekeyStore store, Changes changes, CancellationToken ct)
    {
        var sid = http.GetServiceId();
        var change = changes.For(http);
        if (!WebhookApi.WebhookId(webhookId, sid).IsOk(out var id, out var error) || !(await store.RedeliverAsync(sid, id, eventId, change, ct)).IsOk(out _, out error))
        {
            return await RefuseAsync(http, store, changes, change, webhookId, error, null, ct);
        }

        return Results.Redirect($"/console/services/{sid}/webhooks/{IdText(id)}?notice=webhook-redelivered");
    }

    private static string IdText(long id) => id.ToString(CultureInfo.InvariantCulture);
}
