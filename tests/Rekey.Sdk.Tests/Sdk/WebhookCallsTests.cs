using Rekey.Contracts;
using Rekey.Sdk.Webhooks;

namespace Rekey.Sdk.Tests.Sdk;

/// <summary>The webhook calls against a real server that delivers to a real receiver on loopback.</summary>
public sealed class WebhookCallsTests(WebhookServerFixture fixture) : IClassFixture<WebhookServerFixture>, IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new();
    private WebhookReceiver _receiver = null!;

    private RekeyHost Host => fixture.Host;

    private RekeyClient Rekey => field ??= Connect(RekeyHost.AdminToken);

    private HttpClient Admin => field ??= Host.CreateAdminClient();

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        Admin.Dispose();
    }

    private RekeyClient Connect(string token) => new(_http, new RekeyClientOptions { BaseAddress = Host.BaseAddress, Token = token });

    private static bool Verifies(ReceivedWebhook received, string secret) =>
        new WebhookVerifier(secret).Verify(received.Id, received.Timestamp, received.Signature, received.Body, TimeProvider.System.GetUtcNow());

    [Fact]
    public async Task create_get_list_update_test_deliveries_rotate_redeliver_and_delete_round_trip()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var url = $"{_receiver.Url}/{serviceId}";

        // create: the signing secret, once; ToString() does not show it.
        var created = await Rekey.CreateWebhookAsync(serviceId, new WebhookRequest { Url = url, Events = [EventTypes.ClientLocked], Description = "ops" });
        Assert.True(created.IsSuccess, created.ToString());
        var secret = created.Value.Secret ?? throw new InvalidOperationException("no signing secret");
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[6..], created.Value.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret[6..], created.ToString(), StringComparison.Ordinal);
        var webhookId = created.Value.WebhookId;
        Assert.Equal(serviceId, created.Value.ServiceId);
        Assert.True(created.Value.Enabled);

        // get and list: never the secret.
        var got = await Rekey.GetWebhookAsync(serviceId, webhookId);
        Assert.True(got.IsSuccess, got.ToString());
        Assert.Null(got.Value.Secret);
        Assert.Equal(url, got.Value.Url);
        Assert.Equal([EventTypes.ClientLocked], got.Value.Events);
        var list = await Rekey.ListWebhooksAsync(serviceId, end: 10);
        Assert.True(list.IsSuccess, list.ToString());
        Assert.Equal(1, list.Value.TotalCount);
        Assert.Equal(webhookId, Assert.Single(list.Value.Webhooks).WebhookId);
        Assert.DoesNotContain(secret, System.Text.Encoding.UTF8.GetString(list.Body.Span), StringComparison.Ordinal);

        // update: a merge, what is left out keeps its value.
        var updated = await Rekey.UpdateWebhookAsync(serviceId, webhookId, new WebhookRequest { Description = "pager" });
        Assert.True(updated.IsSuccess, updated.ToString());
        Assert.Equal("pager", updated.Value.Description);
        Assert.Equal(url, updated.Value.Url);
        Assert.Equal([EventTypes.ClientLocked], updated.Value.Events);
        Assert.True(updated.Value.Enabled);

        // test: queued, delivered signed with the secret, and logged as succeeded.
        var test = await Rekey.TestWebhookAsync(serviceId, webhookId);
        Assert.True(test.IsSuccess, test.ToString());
        Assert.Equal(ResultCodes.WebhookTestQueued.Code, test.Value.ResultCode);
        var delivery = test.Value.Delivery ?? throw new InvalidOperationException("no delivery");
        Assert.Equal(EventTypes.WebhookTest, delivery.EventType);
        Assert.Equal(webhookId, delivery.WebhookId);
        var first = await _receiver.WaitForAsync(r => r.Id == delivery.EventId, what: "the test event");
        Assert.Equal(EventTypes.WebhookTest, first.Type);
        Assert.True(Verifies(first, secret), first.Signature);

        WebhookDeliveryInfo? logged = null;
        await Waits.UntilAsync(async () =>
        {
            var deliveries = await Rekey.ListWebhookDeliveriesAsync(serviceId, webhookId, 0, 10);
            Assert.True(deliveries.IsSuccess, deliveries.ToString());
            logged = deliveries.Value.Deliveries.SingleOrDefault(d => d.EventId == delivery.EventId);
            return logged?.Status == "succeeded";
        }, "the test delivery to be logged as succeeded");
        Assert.Equal(200, logged?.LastStatusCode);
        Assert.Equal(1, logged?.Attempts);

        // rotate-secret: a new secret, once; the old one signs beside it during the overlap.
        var rotated = await Rekey.RotateWebhookSecretAsync(serviceId, webhookId, gracePeriod: 600);
        Assert.True(rotated.IsSuccess, rotated.ToString());
        var newSecret = rotated.Value.Secret ?? throw new InvalidOperationException("no new signing secret");
        Assert.NotEqual(secret, newSecret);
        Assert.InRange(rotated.Value.PreviousSecretValidUntil - rotated.Value.ModifiedAt ?? 0, 599_000, 601_000);
        Assert.Null((await Rekey.GetWebhookAsync(serviceId, webhookId)).Value?.Secret);

        // redeliver: the same event again, now signed with both secrets.
        var again = await Rekey.RedeliverWebhookEventAsync(serviceId, webhookId, delivery.EventId);
        Assert.True(again.IsSuccess, again.ToString());
        Assert.Equal(ResultCodes.WebhookRedeliveryQueued.Code, again.Value.ResultCode);
        Assert.Equal(delivery.EventId, again.Value.Delivery?.EventId);
        var second = await _receiver.WaitForAsync(r => r.Id == delivery.EventId && r != first, what: "the redelivery");
        Assert.True(Verifies(second, newSecret), second.Signature);
        Assert.True(Verifies(second, secret), second.Signature);

        // delete: 204, then gone.
        var deleted = await Rekey.DeleteWebhookAsync(serviceId, webhookId);
        Assert.True(deleted.IsSuccess, deleted.ToString());
        Assert.Equal(204, deleted.HttpStatus);
        var gone = await Rekey.GetWebhookAsync(serviceId, webhookId);
        Assert.Equal(404, gone.Error?.HttpStatus);
        Assert.Equal(ResultCodes.WebhookNotFound.Code, gone.Error?.ResultCode);
        Assert.Equal(ResultCodes.WebhookNotFound.Code, (await Rekey.DeleteWebhookAsync(serviceId, webhookId)).Error?.ResultCode);
    }

    [Fact]
    public async Task refusals_come_back_as_errors_with_the_servers_codes_and_nothing_is_created()
    {
        var serviceId = await Admin.CreateServiceAsync();

        var withPassword = await Rekey.CreateWebhookAsync(serviceId, new WebhookRequest { Url = "https://user:pass@hooks.example.com/rekey" });
        Assert.Equal(400, withPassword.Error?.HttpStatus);
        Assert.Equal(ResultCodes.WebhookInvalidUrl.Code, withPassword.Error?.ResultCode);
        Assert.Equal(RekeyErrorKind.Refused, withPassword.Error?.Kind);

        var unknownType = await Rekey.CreateWebhookAsync(serviceId, new WebhookRequest { Url = _receiver.Url.ToString(), Events = ["client.exploded"] });
        Assert.Equal(ResultCodes.WebhookInvalidEvents.Code, unknownType.Error?.ResultCode);
        Assert.Equal(0, (await Rekey.ListWebhooksAsync(serviceId)).Value?.TotalCount);

        var created = await Rekey.CreateWebhookAsync(serviceId, new WebhookRequest { Url = _receiver.Url.ToString(), Enabled = false });
        Assert.True(created.IsSuccess, created.ToString());
        Assert.False(created.Value.Enabled);
        var webhookId = created.Value.WebhookId;

        var longOverlap = await Rekey.RotateWebhookSecretAsync(serviceId, webhookId, gracePeriod: 604_801);
        Assert.Equal(ResultCodes.WebhookInvalidGracePeriod.Code, longOverlap.Error?.ResultCode);
        Assert.Null((await Rekey.GetWebhookAsync(serviceId, webhookId)).Value?.PreviousSecretValidUntil);

        var unknownEvent = await Rekey.RedeliverWebhookEventAsync(serviceId, webhookId, "evt_nothing");
        Assert.Equal(404, unknownEvent.Error?.HttpStatus);
        Assert.Equal(ResultCodes.WebhookDeliveryNotFound.Code, unknownEvent.Error?.ResultCode);

        var otherService = await Admin.CreateServiceAsync();
        Assert.Equal(ResultCodes.WebhookNotFound.Code, (await Rekey.ListWebhookDeliveriesAsync(otherService, webhookId)).Error?.ResultCode);
    }

    [Fact]
    public async Task a_token_with_webhook_read_lists_but_cannot_change()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var created = await Rekey.CreateWebhookAsync(serviceId, new WebhookRequest { Url = _receiver.Url.ToString() });
        var reader = Connect((await Admin.CreateApiTokenAsync(serviceId, Permissions.WebhookRead)).Token);

        Assert.True((await reader.ListWebhooksAsync(serviceId)).IsSuccess);
        Assert.True((await reader.ListWebhookDeliveriesAsync(serviceId, created.Value?.WebhookId ?? 0)).IsSuccess);
        var refused = await reader.TestWebhookAsync(serviceId, created.Value?.WebhookId ?? 0);
        Assert.Equal(403, refused.Error?.HttpStatus);
        Assert.Equal(ResultCodes.PermissionDenied.Code, refused.Error?.ResultCode);
    }

    [Fact]
    public async Task arguments_the_sdk_cannot_send_are_programming_errors()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Rekey.CreateWebhookAsync(1, null!));
        await Assert.ThrowsAsync<ArgumentException>(() => Rekey.RedeliverWebhookEventAsync(1, 1, ""));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Rekey.ListWebhookDeliveriesAsync(1, 1, start: -1));
    }
}
