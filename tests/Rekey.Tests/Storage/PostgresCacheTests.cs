using System.Diagnostics;
using System.Net;
using Npgsql;
using Rekey.Server.Storage;
using Rekey.Server.Storage.Postgres;
using Xunit.Abstractions;

namespace Rekey.Tests.Storage;

/// <summary>
/// Issue #20: two nodes on one PostgreSQL database, each answering token requests from its own verification cache, and
/// a change acknowledged by one node refused by the other within the staleness bound — also when the other node's change
/// feed connection was killed just before the change.
/// </summary>
[RequiresPostgres]
public sealed class PostgresCacheTests(ITestOutputHelper output)
{
    /// <summary>The default bound (Rekey:Cache:StalenessMilliseconds).</summary>
    internal static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    internal const string TokenClient = """{"clientName":"cached","grantTypes":["CLIENT_CREDENTIALS"]}""";

    [Fact]
    public async Task a_warm_node_answers_token_requests_from_its_cache_without_reading_the_client_again()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await using var node = await RekeyHost.StartAsync(store);
        using var admin = node.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var client = await admin.CreateClientAsync(serviceId, TokenClient);
        var cache = node.GetService<VerificationCache>();
        await WaitServingAsync(node);
        using var anyone = node.CreateClient();

        var before = cache.Lookups;
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status);
        }

        var after = cache.Lookups;
        output.WriteLine($"lookups before {before}, after {after}; entries {cache.Count}, {cache.Bytes} bytes");
        // 50 requests look up the service and the client: 100 lookups. The first of each kind is a miss, and may be
        // again once: the node hears its own notifications of the creation through the feed, maybe after the first lookups.
        Assert.Equal(100, (after.Hits - before.Hits) + (after.Misses - before.Misses) + (after.Bypasses - before.Bypasses));
        Assert.InRange(after.Misses - before.Misses, 2, 4);
        Assert.Equal(0, after.Bypasses - before.Bypasses);
        Assert.InRange(cache.Bytes, 1, cache.MaxBytes);
    }

    public static TheoryData<string, bool> Changes => new()
    {
        { "rotation with grace 0", false }, { "rotation with grace 0", true },
        { "revoke of the previous secret", false }, { "revoke of the previous secret", true },
        { "lock", false }, { "lock", true },
        { "delete", false }, { "delete", true },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task a_change_acknowledged_by_one_node_is_refused_by_the_other_within_the_bound(string change, bool killFeeds)
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await using var nodeA = await RekeyHost.StartAsync(store);
        await using var nodeB = await RekeyHost.StartAsync(store);
        using var adminA = nodeA.CreateAdminClient();
        using var anyoneA = nodeA.CreateClient();
        using var anyoneB = nodeB.CreateClient();
        var serviceId = await adminA.CreateServiceAsync(grace: change == "rotation with grace 0" ? 0 : 3600);
        var client = await adminA.CreateClientAsync(serviceId, TokenClient);
        var secret = client.Secret;
        if (change == "revoke of the previous secret")
        {
            // The secret presented is the previous one, valid in its grace period until it is revoked.
            await adminA.UpdateSecretAsync(serviceId, client.ClientId, TestApi.NewSecret());
        }

        await WaitServingAsync(nodeA, nodeB);
        await WarmAsync(nodeB, anyoneB, client, secret);

        if (killFeeds)
        {
            var killed = await KillFeedsAsync(store);
            Assert.Equal(2, killed);
        }

        // Node B is asked over and over, from before the change until it refuses ten times in a row.
        var watch = Stopwatch.StartNew();
        var asked = new List<(TimeSpan Start, HttpStatusCode Status)>();
        using var stop = new CancellationTokenSource();
        var polling = Task.Run(async () =>
        {
            var refusals = 0;
            while (refusals < 10 && watch.Elapsed < TimeSpan.FromSeconds(20))
            {
                var start = watch.Elapsed;
                var status = (await anyoneB.SendTokenRequestAsync(serviceId, client.ClientId, secret)).Status;
                lock (asked)
                {
                    asked.Add((start, status));
                }

                refusals = status == HttpStatusCode.OK ? 0 : refusals + 1;
            }
        });

        await Task.Delay(50);
        await ApplyAsync(adminA, change, client);
        var acknowledged = watch.Elapsed;

        // The node that acknowledged it refuses at once.
        Assert.Contains((await anyoneA.SendTokenRequestAsync(serviceId, client.ClientId, secret)).Status, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests });
        await polling;

        List<(TimeSpan Start, HttpStatusCode Status)> seen;
        lock (asked)
        {
            seen = [.. asked];
        }

        // A refusal is a 401, or a 429 once the refusals (counted on both nodes together) used up the failure budget.
        Assert.All(seen, a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"unexpected {a.Status}"));
        Assert.NotEqual(HttpStatusCode.OK, seen[^1].Status);
        var lastAccepted = seen.Where(a => a.Status == HttpStatusCode.OK).Select(a => a.Start).DefaultIfEmpty(TimeSpan.Zero).Max();
        var firstRefusal = seen.First(a => a.Status != HttpStatusCode.OK && a.Start >= lastAccepted).Start;
        output.WriteLine($"{change}, feeds killed: {killFeeds}; node B asked {seen.Count} times; last accepted request started " +
            $"{(lastAccepted - acknowledged).TotalMilliseconds:0} ms after the acknowledgement, first refusal after it {(firstRefusal - acknowledged).TotalMilliseconds:0} ms");
        Assert.True(lastAccepted < acknowledged + Bound,
            $"node B accepted the old secret in a request that started {(lastAccepted - acknowledged).TotalMilliseconds:0} ms after node A acknowledged the {change}");
        Assert.Contains(seen, a => a.Start < acknowledged);
    }

    [Fact]
    public async Task after_the_feed_is_killed_a_node_reads_from_the_database_until_it_listens_again_and_then_serves_again()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await using var node = await RekeyHost.StartAsync(store);
        using var admin = node.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var client = await admin.CreateClientAsync(serviceId, TokenClient);
        var cache = node.GetService<VerificationCache>();
        var feed = node.GetService<PostgresChangeFeed>();
        await WaitServingAsync(node);
        using var anyone = node.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status);
        Assert.True(cache.Count > 0);
        var connections = feed.Connections;

        Assert.Equal(1, await KillFeedsAsync(store));

        // The lost connection empties the cache; the feed listens again and proves itself, and the cache serves again.
        await Waits.UntilAsync(() => feed.Connections > connections, "the change feed to listen again");
        await WaitServingAsync(node);
        Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status);
        var hits = cache.Lookups.Hits;
        Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status);
        Assert.True(cache.Lookups.Hits > hits);
        Assert.Contains(node.Logs.Lines, l => l.Contains("Change feed lost", StringComparison.Ordinal));
    }

    private static async Task ApplyAsync(HttpClient admin, string change, TestClient client)
    {
        switch (change)
        {
            case "rotation with grace 0":
                await admin.UpdateSecretAsync(client.ServiceId, client.ClientId, TestApi.NewSecret());
                break;
            case "revoke of the previous secret":
                var previous = (await admin.ListSecretsAsync(client.ServiceId, client.ClientId))
                    .Single(s => s?["status"]?.GetValue<string>() == "previous")?["secretId"];
                await admin.RevokeSecretAsync(client.ServiceId, client.ClientId, JsonWire.Integer(previous, "secretId"));
                break;
            case "lock":
                await admin.LockClientAsync(client.ServiceId, client.ClientId);
                break;
            default:
                await admin.DeleteClientAsync(client.ServiceId, client.ClientId);
                break;
        }
    }

    /// <summary>
    /// Token requests at <paramref name="node"/> until one is answered from its cache (the notifications of the client's
    /// creation and first rotation may arrive after the first lookups, and make the node forget what they read).
    /// </summary>
    internal static Task WarmAsync(RekeyHost node, HttpClient anyone, TestClient client, string secret)
    {
        var cache = node.GetService<VerificationCache>();
        return Waits.UntilAsync(async () =>
        {
            var hits = cache.Lookups.Hits;
            Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(client.ServiceId, client.ClientId, secret)).Status);
            return cache.Lookups.Hits >= hits + 2;
        }, "a token request answered from the node's cache (service and client)");
    }

    internal static Task WaitServingAsync(params RekeyHost[] nodes) =>
        Waits.UntilAsync(() => nodes.All(n => n.GetService<VerificationCache>().IsServing), "every node's verification cache to serve");

    /// <summary>Ends every change feed connection to the test's database, as a network fault or an operator would; how many it ended.</summary>
    private static async Task<int> KillFeedsAsync(PostgresTestStore store)
    {
        await using var connection = new NpgsqlConnection(store.ConnectionString);
        await connection.OpenAsync();
        await using var kill = new NpgsqlCommand(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE @app) k", connection);
        kill.Parameters.AddWithValue("app", "%" + PostgresChangeFeed.ApplicationSuffix);
        return Convert.ToInt32(await kill.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A change feed that goes silent: its database process stopped (SIGSTOP), which needs a cluster of the test's own.</summary>
[RequiresPostgres(OwnCluster = true)]
public sealed class PostgresCacheStallTests(PostgresCacheStallTests.StallCluster own, ITestOutputHelper output) : IClassFixture<PostgresCacheStallTests.StallCluster>
{
    public sealed class StallCluster() : OwnPostgresCluster();

    [Fact]
    public async Task a_node_whose_change_feed_stalls_stops_answering_from_its_cache_within_the_bound()
    {
        // A stopped database process stands for a connection that went silent (a network partition, a stuck proxy): no
        // error, no notification, no heartbeat. Only the bound can save node B from serving what it cached.
        await using var store = await PostgresTestStore.CreateAsync(own.Cluster);
        await using var nodeA = await RekeyHost.StartAsync(store);
        await using var nodeB = await RekeyHost.StartAsync(store);
        using var adminA = nodeA.CreateAdminClient();
        using var anyoneB = nodeB.CreateClient();
        var serviceId = await adminA.CreateServiceAsync(grace: 0);
        var client = await adminA.CreateClientAsync(serviceId, PostgresCacheTests.TokenClient);
        await PostgresCacheTests.WaitServingAsync(nodeA, nodeB);
        await PostgresCacheTests.WarmAsync(nodeB, anyoneB, client, client.Secret);
        var pid = nodeB.GetService<PostgresChangeFeed>().BackendPid ?? throw new InvalidOperationException("node B's feed has no connection");

        await SignalAsync("STOP", pid);
        try
        {
            var watch = Stopwatch.StartNew();
            await adminA.UpdateSecretAsync(serviceId, client.ClientId, TestApi.NewSecret());
            var acknowledged = watch.Elapsed;
            TimeSpan? lastAccepted = null;
            while (true)
            {
                var start = watch.Elapsed;
                var status = (await anyoneB.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status;
                if (status == HttpStatusCode.OK)
                {
                    lastAccepted = start;
                    Assert.True(start < acknowledged + PostgresCacheTests.Bound, $"node B accepted the replaced secret {(start - acknowledged).TotalMilliseconds:0} ms after the rotation was acknowledged");
                    continue;
                }

                Assert.Equal(HttpStatusCode.Unauthorized, status);
                output.WriteLine($"stalled feed: last acceptance started {(lastAccepted - acknowledged)?.TotalMilliseconds:0} ms after the acknowledgement, " +
                    $"first refusal {(start - acknowledged).TotalMilliseconds:0} ms after it");
                break;
            }

            Assert.True(nodeB.GetService<VerificationCache>().Lookups.Bypasses > 0, "node B read from the database while its feed was silent");
        }
        finally
        {
            await SignalAsync("CONT", pid);
        }
    }

    private static async Task SignalAsync(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])) ?? throw new InvalidOperationException("kill");
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }
}

/// <summary>The failed-authentication budget across nodes: ten guesses per client and caller, not ten per node.</summary>
[RequiresPostgres]
public sealed class PostgresSharedLimiterTests
{
    [Fact]
    public async Task ten_wrong_secrets_at_one_node_block_the_same_caller_at_the_other_node()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await using var nodeA = await RekeyHost.StartAsync(store);
        await using var nodeB = await RekeyHost.StartAsync(store);
        using var adminA = nodeA.CreateAdminClient();
        using var anyoneA = nodeA.CreateClient();
        using var anyoneB = nodeB.CreateClient();
        var serviceId = await adminA.CreateServiceAsync();
        var guessed = await adminA.CreateClientAsync(serviceId, PostgresCacheTests.TokenClient);
        var other = await adminA.CreateClientAsync(serviceId, PostgresCacheTests.TokenClient);
        await PostgresCacheTests.WaitServingAsync(nodeA, nodeB);

        // Five guesses at each node: each node alone has seen only five.
        for (var i = 0; i < 10; i++)
        {
            var (status, _) = await (i % 2 == 0 ? anyoneA : anyoneB).SendTokenRequestAsync(serviceId, guessed.ClientId, "wrong-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }

        // Both nodes hear of the other's five (within the feed's delay) and refuse the eleventh, even with the right secret.
        await Waits.UntilAsync(async () => (await anyoneA.SendTokenRequestAsync(serviceId, guessed.ClientId, guessed.Secret)).Status == HttpStatusCode.TooManyRequests
            && (await anyoneB.SendTokenRequestAsync(serviceId, guessed.ClientId, guessed.Secret)).Status == HttpStatusCode.TooManyRequests,
            "both nodes to refuse the caller after ten failures between them");

        // Another client's budget is untouched, and its successes tell nothing to anyone.
        Assert.Equal(HttpStatusCode.OK, (await anyoneB.SendTokenRequestAsync(serviceId, other.ClientId, other.Secret)).Status);
    }
}

/// <summary>The same cache on the embedded store: one node, which forgets its own changes before it answers them.</summary>
public sealed class SqliteCacheTests
{
    [Fact]
    public async Task the_token_endpoint_answers_from_the_cache_and_refuses_a_replaced_secret_at_once()
    {
        await using var store = new SqliteTestStore();
        await using var node = await RekeyHost.StartAsync(store);
        using var admin = node.CreateAdminClient();
        using var anyone = node.CreateClient();
        var serviceId = await admin.CreateServiceAsync(grace: 0);
        var client = await admin.CreateClientAsync(serviceId, PostgresCacheTests.TokenClient);
        var cache = node.GetService<VerificationCache>();
        Assert.True(cache.IsServing);
        await PostgresCacheTests.WarmAsync(node, anyone, client, client.Secret);

        for (var i = 0; i < 5; i++)
        {
            // Each rotation is acknowledged after the node forgot the client: the next request, at once, is refused.
            var secret = await admin.UpdateSecretAsync(serviceId, client.ClientId, TestApi.NewSecret());
            Assert.Equal(HttpStatusCode.Unauthorized, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status);
            Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, secret)).Status);
            client = client with { Secret = secret };
        }

        await admin.LockClientAsync(serviceId, client.ClientId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status);
        await admin.DeleteClientAsync(serviceId, client.ClientId);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anyone.SendTokenRequestAsync(serviceId, client.ClientId, client.Secret)).Status);
        Assert.Equal(0, cache.Lookups.Bypasses);
    }

    [Fact]
    public async Task an_alias_of_digits_with_a_leading_zero_and_the_number_it_spells_are_different_identifiers()
    {
        // "0999999999" names the client whose alias it is (no client has the numeric ID 999999999); "999999999" names
        // no client. The cache keeps entries under the identifier as presented, never under a number it might spell.
        await using var store = new SqliteTestStore();
        await using var node = await RekeyHost.StartAsync(store);
        using var admin = node.CreateAdminClient();
        using var anyone = node.CreateClient();
        var serviceId = await admin.CreateServiceAsync();
        var client = await admin.CreateClientAsync(serviceId, """{"clientName":"zero","clientIdAlias":"0999999999","grantTypes":["CLIENT_CREDENTIALS"]}""");

        Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, "0999999999", client.Secret)).Status);
        Assert.Equal(HttpStatusCode.OK, (await anyone.SendTokenRequestAsync(serviceId, "0999999999", client.Secret)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anyone.SendTokenRequestAsync(serviceId, "999999999", client.Secret)).Status);
    }
}
