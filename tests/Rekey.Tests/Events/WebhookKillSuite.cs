using System.Net;
using Rekey.Contracts;
using Xunit.Abstractions;

namespace Rekey.Tests.Events;

/// <summary>
/// The outbox across a <c>kill -9</c> of the server process (<see cref="ProgramProcess"/>; <c>Process.Kill</c> sends
/// SIGKILL): every event whose change the API acknowledged is delivered by the next process on the same store, and a
/// delivery in flight at the kill is sent again, with the same <c>webhook-id</c>, once its lease has ended — not before.
/// </summary>
public abstract class WebhookKillSuite(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The lease of a delivery under <see cref="Settings"/>: <c>TimeoutSeconds</c> + <c>LeaseMarginSeconds</c>.</summary>
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(3 + 2);

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-outbox-kill-");

    protected TestStore Store { get; private set; } = null!;

    protected WebhookReceiver Receiver { get; private set; } = null!;

    protected ITestOutputHelper Output => output;

    protected abstract Task<TestStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        Receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Receiver.DisposeAsync();
        await Store.DisposeAsync();
        _work.Delete(recursive: true);
    }

    /// <summary>Loopback receivers, polling every 100 ms, ten retries a second apart, an attempt of at most 3 s under a 5-second lease.</summary>
    private static Dictionary<string, string?> Settings(int timeoutSeconds)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Rekey:Webhooks:AllowPrivateNetworks"] = "true",
            ["Rekey:Webhooks:PollIntervalMilliseconds"] = "100",
            ["Rekey:Webhooks:TimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Rekey:Webhooks:LeaseMarginSeconds"] = "2",
        };
        for (var i = 0; i < 10; i++)
        {
            settings[$"Rekey:Webhooks:RetrySchedule:{i}"] = "00:00:01";
        }

        return settings;
    }

    /// <summary>A server process on <see cref="Store"/>; <paramref name="timeoutSeconds"/> is its attempt timeout (its lease: that + 2 s).</summary>
    protected async Task<ServerProcess> StartServerAsync(int timeoutSeconds = 3)
    {
        var (process, baseAddress) = await ProgramProcess.StartServerAsync(_work.FullName, Store, Settings(timeoutSeconds));
        return new ServerProcess(process, RekeyHost.AdminClientFor(baseAddress));
    }

    /// <summary>A service whose one webhook sends every event to <see cref="Receiver"/>.</summary>
    protected async Task<(long ServiceId, long WebhookId)> ServiceWithWebhookAsync(HttpClient admin)
    {
        var serviceId = await admin.CreateServiceAsync("""{"serviceName":"outbox","clientSecretGracePeriod":3600}""");
        return (serviceId, await admin.CreateWebhookAsync(serviceId, new Uri($"{Receiver.Url}/{serviceId}")));
    }

    protected static Task WaitForDeliveriesAsync(HttpClient admin, long serviceId, long webhookId, int count) =>
        Waits.UntilAsync(async () => await admin.DeliveryLogAsync(serviceId, webhookId) is { } log && log.Count == count && log.All(d => d.Status == "succeeded"),
            $"{count} deliveries to succeed");

    [Fact]
    public async Task every_event_acknowledged_before_a_kill_9_is_delivered_by_the_next_process()
    {
        Receiver.Status = HttpStatusCode.InternalServerError;
        using var first = await StartServerAsync();
        var (serviceId, webhookId) = await ServiceWithWebhookAsync(first.Admin);
        var expected = new List<(string Type, long ClientId, long Sequence)>();
        for (var i = 0; i < 3; i++)
        {
            var client = await first.Admin.CreateClientAsync(serviceId);
            await first.Admin.UpdateSecretAsync(serviceId, client.ClientId, TestApi.NewSecret());
            await first.Admin.RefreshSecretAsync(serviceId, client.ClientId);
            await first.Admin.LockClientAsync(serviceId, client.ClientId);
            expected.AddRange([(EventTypes.ClientCreated, client.ClientId, 1), (EventTypes.SecretUpdated, client.ClientId, 2),
                (EventTypes.SecretRefreshed, client.ClientId, 3), (EventTypes.ClientLocked, client.ClientId, 4)]);
        }

        // Every change answered 200: its event is committed. The dispatcher has tried the last one and been refused.
        var last = expected[^1];
        await Receiver.WaitForEventAsync(last.Type, last.ClientId);
        var beforeKill = await first.Admin.DeliveryLogAsync(serviceId, webhookId);
        first.Kill();
        Assert.Equal(expected.Count, beforeKill.Count);
        Assert.All(beforeKill, d => Assert.Equal("pending", d.Status));
        var receivedBeforeKill = Receiver.Received.Count;

        Receiver.Status = HttpStatusCode.OK;
        using var second = await StartServerAsync();
        await WaitForDeliveriesAsync(second.Admin, serviceId, webhookId, expected.Count);

        var log = await second.Admin.DeliveryLogAsync(serviceId, webhookId);
        var received = Receiver.Received.Where(r => r.Path == $"/hooks/{serviceId}").ToList();
        Output.WriteLine($"{expected.Count} events; {receivedBeforeKill} attempts refused before the kill, {received.Count - receivedBeforeKill} after it");
        // The outbox holds exactly the acknowledged changes' events, and the receiver got each of them (by event ID).
        Assert.Equal(log.Select(d => d.EventId).Order(StringComparer.Ordinal), received.Select(r => r.Id).OfType<string>().Distinct().Order(StringComparer.Ordinal));
        var about = received.DistinctBy(r => r.Id).Select(r => (r.Type, r.Data["clientId"]!.GetValue<long>(), r.Data["sequence"]!.GetValue<long>())).ToList();
        Assert.Equal(expected.Order(), about.Order());
        // Every attempt the receiver saw is counted in the log, across both processes.
        Assert.All(log, d => Assert.True(d.Attempts >= received.Count(r => r.Id == d.EventId), $"{d.EventId}: {d.Attempts} attempts logged"));
    }

    [Fact]
    public async Task a_delivery_in_flight_at_a_kill_9_is_sent_again_with_the_same_id_once_its_lease_ends()
    {
        Receiver.Hold();
        using var first = await StartServerAsync();
        var (serviceId, webhookId) = await ServiceWithWebhookAsync(first.Admin);
        var client = await first.Admin.CreateClientAsync(serviceId);
        var inFlight = await Receiver.WaitForEventAsync(EventTypes.ClientCreated, client.ClientId);
        var taken = (await first.Admin.DeliveryLogAsync(serviceId, webhookId)).Single();
        first.Kill();
        AssertTakenAndUnanswered(taken, inFlight, Lease);

        Receiver.Release();
        using var second = await StartServerAsync();
        await AssertSentAgainAfterTheLeaseAsync(second.Admin, serviceId, webhookId, taken, inFlight);
    }

    /// <summary>The delivery log read while the attempt was held: taken (one attempt, leased), no outcome recorded.</summary>
    protected static void AssertTakenAndUnanswered(WebhookDeliveryInfo taken, ReceivedWebhook inFlight, TimeSpan lease)
    {
        Assert.Equal(inFlight.Id, taken.EventId);
        Assert.Equal("pending", taken.Status);
        Assert.Equal(1, taken.Attempts);
        Assert.Null(taken.LastStatusCode);
        Assert.Null(taken.LastError);
        Assert.Equal((long)lease.TotalMilliseconds, taken.NextAttemptAt - taken.LastAttemptAt);
    }

    /// <summary>The held event arrives again, with its ID, no earlier than the lease's end; the log shows it delivered on the second attempt.</summary>
    protected async Task AssertSentAgainAfterTheLeaseAsync(HttpClient admin, long serviceId, long webhookId, WebhookDeliveryInfo taken, ReceivedWebhook inFlight)
    {
        var again = await Receiver.WaitForAsync(r => r.Id == inFlight.Id && !ReferenceEquals(r, inFlight), TimeSpan.FromSeconds(30), "the delivery sent again");
        var leaseEnd = DateTimeOffset.FromUnixTimeMilliseconds(taken.NextAttemptAt ?? throw new InvalidOperationException("A pending delivery has its next attempt."));
        Output.WriteLine($"sent at {inFlight.At:HH:mm:ss.fff}, lease until {leaseEnd:HH:mm:ss.fff}, sent again at {again.At:HH:mm:ss.fff}");
        Assert.True(again.At >= leaseEnd, $"sent again at {again.At:O}, before the lease ended at {leaseEnd:O}");
        Assert.Equal(inFlight.Body, again.Body);

        await WaitForDeliveriesAsync(admin, serviceId, webhookId, 1);
        var delivered = (await admin.DeliveryLogAsync(serviceId, webhookId)).Single();
        Assert.Equal(2, delivered.Attempts);
        Assert.Equal(200, delivered.LastStatusCode);
        Assert.Equal(2, Receiver.Received.Count(r => r.Id == inFlight.Id));
    }

    /// <summary>A server process and an organisation-token client for it. Disposing (or <see cref="Kill"/>) kills it with SIGKILL.</summary>
    protected sealed class ServerProcess(ProgramProcess process, HttpClient admin) : IDisposable
    {
        private bool _killed;

        public HttpClient Admin => admin;

        public ProgramProcess Process => process;

        /// <summary><c>kill -9</c>: nothing of the server runs after this, no shutdown hook included.</summary>
        public void Kill() => Dispose();

        public void Dispose()
        {
            if (!_killed)
            {
                _killed = true;
                admin.Dispose();
                process.Dispose();
            }
        }
    }
}

public sealed class SqliteWebhookKillTests(ITestOutputHelper output) : WebhookKillSuite(output)
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());
}

[RequiresPostgres]
public sealed class PostgresWebhookKillTests(ITestOutputHelper output) : WebhookKillSuite(output)
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [Fact]
    public async Task a_delivery_in_flight_on_a_node_killed_is_sent_by_the_other_node_once_its_lease_ends()
    {
        // A 10-second attempt: node A is killed with the attempt still in flight, after node B has started.
        Receiver.Hold();
        using var nodeA = await StartServerAsync(timeoutSeconds: 10);
        var (serviceId, webhookId) = await ServiceWithWebhookAsync(nodeA.Admin);
        var client = await nodeA.Admin.CreateClientAsync(serviceId);
        var inFlight = await Receiver.WaitForEventAsync(EventTypes.ClientCreated, client.ClientId);
        var taken = (await nodeA.Admin.DeliveryLogAsync(serviceId, webhookId)).Single();
        using var nodeB = await StartServerAsync(timeoutSeconds: 10);
        nodeA.Kill();
        Assert.True(DateTimeOffset.UtcNow - inFlight.At < TimeSpan.FromSeconds(10), "node A was killed after its attempt had timed out");
        AssertTakenAndUnanswered(taken, inFlight, TimeSpan.FromSeconds(10 + 2));

        Receiver.Release();
        await AssertSentAgainAfterTheLeaseAsync(nodeB.Admin, serviceId, webhookId, taken, inFlight);
    }
}
