using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Rekey.Tests.Storage;

/// <summary>The database goes away under load and comes back; the server must say so honestly and then recover alone.</summary>
[RequiresPostgres(OwnCluster = true)]
public sealed class PostgresOutageTests(PostgresOutageTests.OwnCluster own, ITestOutputHelper output) : IClassFixture<PostgresOutageTests.OwnCluster>
{
    /// <summary>A cluster of this class's own (see <see cref="OwnPostgresCluster"/>).</summary>
    public sealed class OwnCluster() : OwnPostgresCluster();

    private sealed record Attempt(int Caller, int Sequence, string Secret, HttpStatusCode Status, JsonObject Body, string Text);

    [Fact]
    public async Task database_outage_under_load_gives_503_A000102_then_recovers_and_every_acknowledged_update_is_kept()
    {
        var cluster = own.Cluster;
        await using var rig = await PostgresRig.StartAsync(cluster);
        var (store, host, admin, serviceId, client, clientId) = (rig.Store, rig.Host, rig.Admin, rig.ServiceId, rig.Client, rig.ClientId);
        using var anonymous = host.CreateClient();

        var attempts = new ConcurrentQueue<Attempt>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var load = Enumerable.Range(0, 4).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < 5000 && !stop.IsCancellationRequested; i++)
            {
                var secret = $"outage-{caller}-{i}";
                using var content = Wire.Json($$"""{"clientSecret":"{{secret}}"}""");
                using var response = await admin.PostAsync($"/api/{serviceId}/client/secret/update/{clientId}", content);
                var text = await response.Content.ReadAsStringAsync();
                attempts.Enqueue(new Attempt(caller, i, secret, response.StatusCode, JsonNode.Parse(text) as JsonObject ?? [], text));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    await Task.Delay(20);
                }
            }
        })).ToList();

        int Count(HttpStatusCode status) => attempts.Count(a => a.Status == status);

        await Waits.UntilAsync(() => Count(HttpStatusCode.OK) >= 30, "30 updates before the outage");
        var stopWatch = Stopwatch.StartNew();
        await cluster.StopAsync();
        output.WriteLine($"cluster stopped in {stopWatch.ElapsedMilliseconds} ms after {Count(HttpStatusCode.OK)} acknowledged updates");
        var unavailableBefore = Count(HttpStatusCode.ServiceUnavailable);
        await Waits.UntilAsync(() => Count(HttpStatusCode.ServiceUnavailable) >= unavailableBefore + 20, "20 refused updates during the outage");

        var health = Stopwatch.StartNew();
        var (healthStatus, healthBody) = await anonymous.GetForJsonAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, healthStatus);
        Assert.Equal("unavailable", healthBody["status"]?.GetValue<string>());
        Assert.True(health.Elapsed < TimeSpan.FromSeconds(5), $"/healthz took {health.Elapsed} during the outage");
        var (getStatus, getBody) = await admin.GetForJsonAsync($"/api/{serviceId}/client/get/{clientId}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, getStatus);
        Assert.Equal("A000102", getBody["resultCode"]?.GetValue<string>());

        await cluster.StartAsync();
        output.WriteLine($"cluster started again, outage {stopWatch.ElapsedMilliseconds} ms");
        await Waits.UntilAsync(async () => (await anonymous.GetForJsonAsync("/healthz")).Status == HttpStatusCode.OK, "/healthz 200 after the restart");
        var acknowledgedBefore = Count(HttpStatusCode.OK);
        await Waits.UntilAsync(() => Count(HttpStatusCode.OK) >= acknowledgedBefore + 30, "30 updates after the restart");
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var all = attempts.ToList();
        output.WriteLine($"{all.Count} updates: {Count(HttpStatusCode.OK)} acknowledged, {Count(HttpStatusCode.ServiceUnavailable)} refused with 503");

        // Nothing but 200 and an honest 503: never a 500, never a stack trace.
        Assert.All(all, a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{(int)a.Status} {a.Text}"));
        foreach (var refused in all.Where(a => a.Status == HttpStatusCode.ServiceUnavailable))
        {
            Assert.Equal(["resultCode", "resultMessage"], refused.Body.Select(p => p.Key).Order());
            Assert.Equal("A000102", refused.Body["resultCode"]?.GetValue<string>());
            Assert.Equal("[A000102] The store is unavailable; nothing was changed. Retry later.", refused.Body["resultMessage"]?.GetValue<string>());
            Assert.DoesNotContain("Exception", refused.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(" at ", refused.Text, StringComparison.Ordinal);
        }

        // Every acknowledged update is in the chain, in order, and nothing else is: an update answered 503 that had
        // in fact committed would be the old secret of a later acknowledged update and break the chain.
        var acknowledged = all.Where(a => a.Status == HttpStatusCode.OK).ToList();
        Assert.All(acknowledged, a => Assert.Equal(a.Secret, a.Body["newClientSecret"]?.GetValue<string>()));
        var final = await admin.CurrentSecretAsync(serviceId, clientId);
        ChainAssert.SingleChain(client.Secret, final, acknowledged.Select(a => (a.Body["oldClientSecret"]?.GetValue<string>(), a.Secret)).ToList());
        var order = ChainOrder(client.Secret, acknowledged);
        foreach (var caller in acknowledged.GroupBy(a => a.Caller))
        {
            // One caller's updates are sequential, so they appear in the chain in the order it sent them.
            Assert.Equal(caller.Select(a => a.Secret), caller.Select(a => a.Secret).OrderBy(s => order[s]));
        }

        Assert.Equal(acknowledged.Count, await PostgresMultiNodeTests.CountAsync(store,
            "SELECT COUNT(*) FROM audit_events WHERE client_id = @c AND action = 'client.secret.update' AND outcome = 'success'", clientId));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains("outage-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task pooled_connections_killed_by_a_restart_do_not_fail_the_first_requests_after_it()
    {
        var cluster = own.Cluster;
        await using var rig = await PostgresRig.StartAsync(cluster);
        var (store, host, admin, serviceId, client, clientId) = (rig.Store, rig.Host, rig.Admin, rig.ServiceId, rig.Client, rig.ClientId);
        using var anonymous = host.CreateClient();

        // Several connections in the pool, all idle when the server restarts underneath them.
        var warm = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => admin.GetForJsonAsync($"/api/{serviceId}/client/get/{clientId}")));
        Assert.All(warm, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        await cluster.StopAsync();
        await cluster.StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetForJsonAsync("/healthz")).Status);
        for (var i = 0; i < 5; i++)
        {
            await admin.UpdateSecretAsync(serviceId, clientId, $"after-restart-{i}");
        }

        var reads = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => admin.GetForJsonAsync($"/api/{serviceId}/client/get/{clientId}")));
        Assert.All(reads, r => Assert.Equal("after-restart-4", r.Body["clientSecret"]?.GetValue<string>()));
    }

    [Fact]
    public async Task connection_lost_during_commit_is_resolved_by_asking_the_database_what_became_of_the_transaction()
    {
        var cluster = own.Cluster;
        await using var rig = await PostgresRig.StartAsync(cluster);
        var (store, host, admin, serviceId, client, clientId) = (rig.Store, rig.Host, rig.Admin, rig.ServiceId, rig.Client, rig.ClientId);

        // A synchronous standby that never comes: every COMMIT is durable locally, then waits (wait event SyncRep).
        // Ending that backend is a connection lost during COMMIT of a transaction that did commit.
        await cluster.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = 'rekey_test_ghost'");
        await cluster.ExecuteAsync("SELECT pg_reload_conf()");

        // pg_reload_conf only signals the backends: a pooled backend may run its next COMMIT before it has read the new
        // setting, and then nothing waits. So an attempt that completes without ever waiting is repeated (bounded).
        string secret = "", expectedOld = "";
        (HttpStatusCode Status, System.Text.Json.Nodes.JsonObject Body) reply = default;
        for (var attempt = 1; ; attempt++)
        {
            expectedOld = await admin.CurrentSecretAsync(serviceId, clientId);
            secret = "committed-in-doubt-" + attempt;
            var update = admin.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{clientId}", Wire.Json($$"""{"clientSecret":"{{secret}}"}"""));
            await Waits.UntilAsync(async () => update.IsCompleted || await SyncRepWaitersAsync(cluster, store.Database) > 0, "a COMMIT waiting for the standby");
            if (!update.IsCompleted)
            {
                await cluster.ExecuteAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{store.Database}' AND wait_event = 'SyncRep'");
                reply = await update;
                break;
            }

            Assert.True(attempt < 10, "no COMMIT ever waited for the standby");
            await update;
            await Task.Delay(200);
        }

        await cluster.ExecuteAsync("ALTER SYSTEM RESET synchronous_standby_names");
        await cluster.ExecuteAsync("SELECT pg_reload_conf()");
        var (status, body) = reply;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(secret, body["newClientSecret"]?.GetValue<string>());
        Assert.Equal(expectedOld, body["oldClientSecret"]?.GetValue<string>());
        Assert.Equal(secret, await admin.CurrentSecretAsync(serviceId, clientId));
        Assert.Contains(host.Logs.Lines, l => l.Contains("lost during COMMIT", StringComparison.Ordinal) && l.Contains("outcome: committed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task connection_lost_in_the_last_round_trip_of_an_update_before_its_commit_runs_the_update_once_more()
    {
        var cluster = own.Cluster;
        await using var rig = await PostgresRig.StartAsync(cluster);
        var (store, host, admin, serviceId, client, clientId) = (rig.Store, rig.Host, rig.Admin, rig.ServiceId, rig.Client, rig.ClientId);

        // A SHARE lock on audit_events holds every update at its audit INSERT: in the round trip of its writes, before
        // its COMMIT ran. Ending that backend loses the connection of a transaction that cannot have committed.
        await using var locker = new Npgsql.NpgsqlConnection(store.ConnectionString);
        await locker.OpenAsync();
        await using var hold = await locker.BeginTransactionAsync();
        await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE audit_events IN SHARE MODE", locker, hold))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var update = admin.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{clientId}", Wire.Json("""{"clientSecret":"after-a-lost-round-trip"}"""));
        var (first, _) = await PostgresWaits.AuditWaiterAsync(cluster, store.Database, except: null);
        await cluster.ExecuteAsync($"SELECT pg_terminate_backend({first})");

        // The store finds the transaction aborted and runs the update again on a new connection: it waits at the same place.
        await PostgresWaits.AuditWaiterAsync(cluster, store.Database, except: first);
        await hold.CommitAsync();
        var (status, body) = await update;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("after-a-lost-round-trip", body["newClientSecret"]?.GetValue<string>());
        Assert.Equal(client.Secret, body["oldClientSecret"]?.GetValue<string>());
        Assert.Equal("after-a-lost-round-trip", await admin.CurrentSecretAsync(serviceId, clientId));
        Assert.Equal(1, await PostgresMultiNodeTests.CountAsync(store,
            "SELECT COUNT(*) FROM audit_events WHERE client_id = @c AND action = 'client.secret.update' AND outcome = 'success'", clientId));
        Assert.Contains(host.Logs.Lines, l => l.Contains("lost during COMMIT", StringComparison.Ordinal) && l.Contains("outcome: aborted", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.Contains("running it again", StringComparison.Ordinal));
    }

    private static async Task<long> SyncRepWaitersAsync(PostgresCluster cluster, string database)
    {
        await using var connection = new Npgsql.NpgsqlConnection(cluster.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = @d AND wait_event = 'SyncRep'", connection);
        command.Parameters.AddWithValue("d", database);
        return (long)(await command.ExecuteScalarAsync() ?? 0L);
    }

    private static Dictionary<string, int> ChainOrder(string initial, IReadOnlyList<Attempt> acknowledged)
    {
        var next = acknowledged.ToDictionary(a => a.Body["oldClientSecret"]?.GetValue<string>() ?? "", a => a.Secret);
        var order = new Dictionary<string, int>();
        var current = initial;
        while (next.TryGetValue(current, out var following))
        {
            order[following] = order.Count;
            current = following;
        }

        return order;
    }
}
