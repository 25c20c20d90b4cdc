using Rekey.Contracts;
using Rekey.Server.Events;
using Rekey.Server.Storage;

namespace Rekey.Tests.Storage;

/// <summary>The outbox, the sweep and delivery leases, on each engine: what holds between nodes and restarts.</summary>
public abstract partial class StoreContractSuite
{
    private const string Hook = "https://hooks.example.com/rekey";

    private async Task<(long ServiceId, long WebhookId)> ServiceWithWebhookAsync(long grace = 0, long lifetime = 0)
    {
        var serviceId = await NewServiceAsync(grace, lifetime);
        var created = await Store.CreateWebhookAsync(serviceId, new WebhookContent(Hook, [], null, true), StandardWebhooks.NewSecret(), 20, Change(AuditActions.WebhookCreate), None);
        Assert.True(created.IsOk(out var webhook, out var error), error?.Message);
        return (serviceId, webhook.WebhookId);
    }

    private static async Task<IReadOnlyList<ClaimedDelivery>> ClaimAllAsync(IRekeyStore store, long at, int limit = 100) =>
        await store.ClaimDeliveriesAsync(at, _ => at + 60_000, limit, None);

    [Fact]
    public async Task each_change_queues_one_delivery_per_enabled_webhook_and_a_refusal_none()
    {
        var (serviceId, _) = await ServiceWithWebhookAsync();
        var disabled = await Store.CreateWebhookAsync(serviceId, new WebhookContent(Hook + "/off", [], null, false), StandardWebhooks.NewSecret(), 20, Change(AuditActions.WebhookCreate), None);
        Assert.True(disabled.IsOk(out _, out _));
        var locksOnly = await Store.CreateWebhookAsync(serviceId, new WebhookContent(Hook + "/locks", [EventTypes.ClientLocked], null, true), StandardWebhooks.NewSecret(), 20,
            Change(AuditActions.WebhookCreate), None);
        Assert.True(locksOnly.IsOk(out var locks, out _));
        var client = await NewClientAsync(serviceId, alias: "a");
        await RotateAsync(serviceId, "a", "second-secret");
        var refused = await Store.RevokeSecretAsync(serviceId, "a", client.ClientId, Change(AuditActions.SecretRevoke), None); // no such secret
        Assert.False(refused.IsOk(out _, out _));
        Assert.True((await Store.SetClientLockAsync(serviceId, "a", true, Change(AuditActions.ClientLock), None)).IsOk(out _, out _));

        var claimed = await ClaimAllAsync(Store, Now);
        Assert.Equal(
            [(EventTypes.ClientCreated, 1L), (EventTypes.SecretUpdated, 2L), (EventTypes.ClientLocked, 3L), (EventTypes.ClientLocked, 3L)],
            claimed.OrderBy(c => c.Event.Sequence).ThenBy(c => c.WebhookId == locks.WebhookId).Select(c => (c.Event.Type, c.Event.Sequence!.Value)));
        Assert.Single(claimed, c => c.WebhookId == locks.WebhookId);
        Assert.All(claimed, c => Assert.NotNull(c.Event.AuditEventId));
        Assert.All(claimed, c => Assert.Equal(32, Assert.Single(c.SigningKeys).Length));
    }

    [Fact]
    public async Task a_claimed_delivery_is_taken_by_one_node_and_due_again_when_its_lease_ends()
    {
        var (serviceId, _) = await ServiceWithWebhookAsync();
        for (var i = 0; i < 10; i++)
        {
            await NewClientAsync(serviceId, alias: "c" + i);
        }

        var other = await OpenAnotherAsync();
        var both = await Task.WhenAll(ClaimAllAsync(Store, Now, 7), ClaimAllAsync(other, Now, 7));
        var ids = both.SelectMany(b => b).Select(c => c.EventId).ToList();
        Assert.Equal(10, ids.Count);
        Assert.Equal(10, ids.Distinct().Count());

        // Nothing is due while the leases last; everything is once they have ended (the nodes died mid-attempt).
        Assert.Empty(await ClaimAllAsync(Store, Now + 59_000));
        var again = await ClaimAllAsync(other, Now + 61_000);
        Assert.Equal(ids.Order(StringComparer.Ordinal), again.Select(c => c.EventId).Order(StringComparer.Ordinal));
        Assert.All(again, c => Assert.Equal(2, c.Attempt));

        // The first claim's outcome no longer counts: its lease was taken over.
        var stale = both.SelectMany(b => b).First();
        await Store.CompleteDeliveryAsync(stale, new DeliveryOutcome(true, 200, null, null, null, Now + 62_000, 0), None);
        var fresh = again.Single(c => c.EventId == stale.EventId && c.WebhookId == stale.WebhookId);
        var log = await Store.ListDeliveriesAsync(serviceId, fresh.WebhookId, 0, 100, None);
        Assert.Equal(0, log.Value!.Items.Single(d => d.EventId == stale.EventId).Status);
        await Store.CompleteDeliveryAsync(fresh, new DeliveryOutcome(true, 204, null, "ok", null, Now + 62_000, 0), None);
        log = await Store.ListDeliveriesAsync(serviceId, fresh.WebhookId, 0, 100, None);
        Assert.Equal((1, 204, "ok"), log.Value!.Items.Where(d => d.EventId == stale.EventId).Select(d => (d.Status, d.LastStatus!.Value, d.Excerpt)).Single());
    }

    [Fact]
    public async Task a_webhook_failing_for_longer_than_allowed_is_disabled_with_an_audit_event_and_an_event_to_the_others()
    {
        var (serviceId, webhookId) = await ServiceWithWebhookAsync();
        var watcher = await Store.CreateWebhookAsync(serviceId, new WebhookContent(Hook + "/watcher", [EventTypes.WebhookDisabled], null, true), StandardWebhooks.NewSecret(), 20,
            Change(AuditActions.WebhookCreate), None);
        Assert.True(watcher.IsOk(out var watching, out _));
        await NewClientAsync(serviceId, alias: "a");
        await NewClientAsync(serviceId, alias: "b");
        var start = Now;
        var first = (await ClaimAllAsync(Store, start)).Where(c => c.WebhookId == webhookId).ToList();
        Assert.Equal(2, first.Count);

        // First failure: the streak starts, nothing disabled (the limit is an hour later).
        Assert.False(await Store.CompleteDeliveryAsync(first[0], new DeliveryOutcome(false, 500, null, "down", start + 1000, start, start - 3_600_000), None));
        var failing = await Store.GetWebhookAsync(serviceId, webhookId, None);
        Assert.Equal(start, failing.Value!.FailingSince);
        Assert.True(failing.Value.Enabled);

        // Still failing two hours later: disabled.
        Assert.True(await Store.CompleteDeliveryAsync(first[1], new DeliveryOutcome(false, null, "timeout", null, null, start + 7_200_000, start + 3_600_000), None));
        var disabled = await Store.GetWebhookAsync(serviceId, webhookId, None);
        Assert.False(disabled.Value!.Enabled);
        Assert.StartsWith("every delivery failed since ", disabled.Value.DisabledReason, StringComparison.Ordinal);
        var audit = await Store.ListAuditAsync(new AuditQuery(serviceId, null, AuditActions.WebhookDisable, 0, 10), None);
        var entry = Assert.Single(audit.Items);
        Assert.Equal(("system", $"webhook {webhookId}"), (entry.ActorKind, entry.Target));

        // The other webhook hears of it; the disabled one is offered nothing more.
        var next = await ClaimAllAsync(Store, start + 7_300_000);
        var notice = Assert.Single(next, c => c.Event.Type == EventTypes.WebhookDisabled);
        Assert.Equal(watching.WebhookId, notice.WebhookId);
        Assert.Equal(entry.EventId, notice.Event.AuditEventId);
        Assert.DoesNotContain(next, c => c.WebhookId == webhookId);

        // Enabled again: the failure streak is forgotten and the pending delivery is offered again.
        var enabled = await Store.UpdateWebhookAsync(serviceId, webhookId, w => new WebhookContent(w.Url, w.Events, w.Description, true), Change(AuditActions.WebhookUpdate), None);
        Assert.Equal((true, null, null), (enabled.Value!.Enabled, enabled.Value.DisabledReason, enabled.Value.FailingSince));
        Assert.Contains(await ClaimAllAsync(Store, start + 7_400_000), c => c.WebhookId == webhookId && c.EventId == first[0].EventId);
    }

    [Fact]
    public async Task the_sweep_gives_each_notice_once_across_nodes_and_sweeps()
    {
        const long Day = 86_400;
        var (serviceId, _) = await ServiceWithWebhookAsync(lifetime: 10 * Day);
        var client = await NewClientAsync(serviceId, alias: "a");
        var other = await OpenAnotherAsync();

        Assert.Empty((await Store.SweepSecretNoticesAsync(Now, 100, None)).Given);
        var at = client.CreatedAt + (3 * Day * 1000) + 1; // 7 days left
        var swept = await Task.WhenAll(Store.SweepSecretNoticesAsync(at, 100, None), other.SweepSecretNoticesAsync(at, 100, None));
        Assert.Equal([EventTypes.SecretExpiring], swept.SelectMany(s => s.Given));
        Assert.Empty((await other.SweepSecretNoticesAsync(at + 1000, 100, None)).Given);

        var dayLeft = client.CreatedAt + (9 * Day * 1000);
        Assert.Equal([EventTypes.SecretExpiring], (await other.SweepSecretNoticesAsync(dayLeft, 100, None)).Given);
        var end = client.CreatedAt + (10 * Day * 1000);
        swept = await Task.WhenAll(Store.SweepSecretNoticesAsync(end, 100, None), other.SweepSecretNoticesAsync(end, 100, None));
        Assert.Equal([EventTypes.SecretExpired], swept.SelectMany(s => s.Given));
        Assert.Empty((await Store.SweepSecretNoticesAsync(end + Day * 1000, 100, None)).Given);

        var events = (await ClaimAllAsync(Store, end + Day * 1000)).Where(c => c.Event.ClientId == client.ClientId).Select(c => c.Event).OrderBy(e => e.Sequence).ToList();
        Assert.Equal([EventTypes.ClientCreated, EventTypes.SecretExpiring, EventTypes.SecretExpiring, EventTypes.SecretExpired], events.Select(e => e.Type));
        Assert.Equal([7 * Day, Day], events.Where(e => e.Type == EventTypes.SecretExpiring).Select(e => System.Text.Json.JsonDocument.Parse(e.Data!).RootElement.GetProperty("threshold").GetInt64()));
        Assert.Equal([1L, 2, 3, 4], events.Select(e => e.Sequence!.Value));
        Assert.All(events.Skip(1), e => Assert.Null(e.AuditEventId));
    }
}
