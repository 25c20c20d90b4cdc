using Rekey.Contracts;
using Rekey.Server.Events;
using Xunit.Abstractions;

namespace Rekey.Tests.Events;

/// <summary>
/// Two nodes on one PostgreSQL database, each a real server with its own dispatcher and expiry sweep: they share the
/// outbox (each takes the deliveries the other does not hold) and nothing is sent twice; between them, the sweep gives
/// each secret notice once.
/// </summary>
[RequiresPostgres]
public sealed class PostgresWebhookNodesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Rekey:Webhooks:AllowPrivateNetworks"] = "true",
        ["Rekey:Webhooks:PollIntervalMilliseconds"] = "100",
        ["Rekey:Webhooks:Concurrency"] = "4",
        ["Rekey:Events:SweepIntervalSeconds"] = "1",
        // Each delivery is logged at Debug (event 85), here to the captured log only: which node sent what.
        ["Logging:Rekey.Testing.LogSink:LogLevel:Rekey.Server.Events.WebhookDispatcher"] = "Debug",
    };

    private PostgresTestStore _store = null!;
    private RekeyHost _nodeA = null!;
    private RekeyHost _nodeB = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _store = await PostgresTestStore.CreateAsync();
        _nodeA = await RekeyHost.StartAsync(_store, Settings);
        _nodeB = await RekeyHost.StartAsync(_store, Settings);
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _nodeA.DisposeAsync();
        await _nodeB.DisposeAsync();
        await _receiver.DisposeAsync();
        await _store.DisposeAsync();
    }

    private IReadOnlyList<ReceivedWebhook> ReceivedFor(long serviceId) => [.. _receiver.Received.Where(r => r.Path == $"/hooks/{serviceId}")];

    private static int DeliveredBy(RekeyHost node, long webhookId) =>
        node.Logs.Lines.Count(l => l.Contains($"[85] Webhook {webhookId} delivered", StringComparison.Ordinal));

    /// <summary>The receiver got every event of the log once, by <c>webhook-id</c>; the log shows each delivered on its first attempt.</summary>
    private static void AssertEachDeliveredOnce(IReadOnlyList<WebhookDeliveryInfo> log, IReadOnlyList<ReceivedWebhook> received)
    {
        var twice = received.GroupBy(r => r.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key} ×{g.Count()}").ToList();
        Assert.True(twice.Count == 0, "Received more than once: " + string.Join(", ", twice));
        Assert.Equal(log.Select(d => d.EventId).Order(StringComparer.Ordinal), received.Select(r => r.Id).OfType<string>().Order(StringComparer.Ordinal));
        Assert.All(log, d =>
        {
            Assert.Equal("succeeded", d.Status);
            Assert.Equal(1, d.Attempts);
        });
    }

    [Fact]
    public async Task two_hundred_rotations_of_20_clients_through_two_nodes_arrive_once_each_sent_by_both_nodes()
    {
        // A receiver that takes 20 ms per answer: neither node can drain the burst alone, so both take deliveries.
        _receiver.Delay = TimeSpan.FromMilliseconds(20);
        using var adminA = _nodeA.CreateAdminClient();
        using var adminB = _nodeB.CreateAdminClient();
        HttpClient[] nodes = [adminA, adminB];
        var serviceId = await adminA.CreateServiceAsync();
        var webhookId = await adminB.CreateWebhookAsync(serviceId, new Uri($"{_receiver.Url}/{serviceId}"));
        const int Clients = 20;
        const int Rotations = 10;

        var clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => nodes[i % 2].CreateClientAsync(serviceId)));
        await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
        {
            for (var r = 0; r < Rotations; r++)
            {
                await nodes[(i + r) % 2].UpdateSecretAsync(serviceId, client.ClientId, TestApi.NewSecret());
            }
        })));
        const int Events = Clients * (1 + Rotations);
        await Waits.UntilAsync(async () => await adminA.DeliveryLogAsync(serviceId, webhookId) is { Count: Events } log && log.All(d => d.Status == "succeeded"),
            $"{Events} deliveries to succeed");

        var log = await adminB.DeliveryLogAsync(serviceId, webhookId);
        var received = ReceivedFor(serviceId);
        var (byA, byB) = (DeliveredBy(_nodeA, webhookId), DeliveredBy(_nodeB, webhookId));
        output.WriteLine($"{received.Count} requests for {log.Count} events; node A sent {byA}, node B {byB}");
        Assert.Equal(Events, log.Count);
        AssertEachDeliveredOnce(log, received);
        foreach (var client in clients)
        {
            var sequences = received.Where(r => r.Data["clientId"]?.GetValue<long>() == client.ClientId).Select(r => r.Data["sequence"]!.GetValue<long>()).Order();
            Assert.Equal(Enumerable.Range(1, 1 + Rotations).Select(s => (long)s), sequences);
        }

        Assert.Equal(Events, byA + byB);
        Assert.True(byA > 0 && byB > 0, $"Both nodes take part: node A sent {byA}, node B {byB}.");
    }

    [Fact]
    public async Task two_nodes_sweeping_at_the_same_moments_give_each_secret_one_expiring_and_one_expired_notice()
    {
        using var adminA = _nodeA.CreateAdminClient();
        using var adminB = _nodeB.CreateAdminClient();
        HttpClient[] nodes = [adminA, adminB];
        var serviceId = await adminA.CreateServiceAsync("""{"serviceName":"expiry","clientSecretLifetime":8,"clientSecretExpiryWarnings":[4]}""");
        var webhookId = await adminB.CreateWebhookAsync(serviceId, new Uri($"{_receiver.Url}/{serviceId}"));
        var clients = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => nodes[i % 2].CreateClientAsync(serviceId)));

        // Besides each node's own sweep every second, both nodes sweep together, round after round, until every secret has expired.
        EventSweep[] sweeps = [_nodeA.GetService<EventSweep>(), _nodeB.GetService<EventSweep>()];
        var given = new int[2];
        async Task<int[]> SweepBothAsync() => await Task.WhenAll(sweeps.Select(s => Task.Run(() => s.RunOnceAsync(CancellationToken.None))));
        await Waits.UntilAsync(async () =>
        {
            var written = await SweepBothAsync();
            given[0] += written[0];
            given[1] += written[1];
            return (await adminA.DeliveryLogAsync(serviceId, webhookId)).Count(d => d.EventType == EventTypes.SecretExpired) >= clients.Length;
        }, "every secret to expire");
        // Both nodes sweep once more, at once: neither has anything left to give.
        var after = await SweepBothAsync();
        Assert.Equal([0, 0], after);
        output.WriteLine($"of {2 * clients.Length} notices, the sweeps run together gave {given[0]} on node A and {given[1]} on node B; the nodes' own timers the rest");

        await Waits.UntilAsync(async () => await adminA.DeliveryLogAsync(serviceId, webhookId) is { Count: 30 } log && log.All(d => d.Status == "succeeded"),
            "30 deliveries to succeed");
        var log = await adminB.DeliveryLogAsync(serviceId, webhookId);
        var received = ReceivedFor(serviceId);
        AssertEachDeliveredOnce(log, received);
        foreach (var client in clients)
        {
            var notices = received.Where(r => r.Data["clientId"]?.GetValue<long>() == client.ClientId && r.Type != EventTypes.ClientCreated)
                .OrderBy(r => r.Data["sequence"]!.GetValue<long>()).Select(r => r.Type);
            Assert.Equal([EventTypes.SecretExpiring, EventTypes.SecretExpired], notices);
        }
    }
}
