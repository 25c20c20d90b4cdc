using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Rekey.Tests.Security;
using Xunit.Abstractions;

namespace Rekey.Tests.Storage;

/// <summary>
/// PostgreSQL crashes (<c>pg_ctl stop -m immediate</c>) while updates are being committed. What the server answered
/// must be what happened: 200 only for an update that is in the chain, A000102 only for one that is not, A000104 when it
/// cannot know.
/// </summary>
[RequiresPostgres(OwnCluster = true)]
public sealed class PostgresCrashTests(PostgresCrashTests.CrashCluster own, ITestOutputHelper output) : IClassFixture<PostgresCrashTests.CrashCluster>
{
    /// <summary>
    /// A cluster whose WAL stays in the server's buffers until something forces it out, as on a busy server between
    /// flushes: no full-page images (they would fill pages that the WAL writer then writes) and no standby snapshots
    /// (which the WAL writer flushes every 15 s). A crash then loses every record of a transaction that had not
    /// committed — and with them the fact that its transaction ID was ever handed out.
    /// </summary>
    public sealed class CrashCluster() : OwnPostgresCluster("""
        wal_level = minimal
        max_wal_senders = 0
        full_page_writes = off
        """);

    private sealed record Answer(int Client, string Secret, HttpStatusCode Status, JsonObject Body)
    {
        public string? ResultCode => Body["resultCode"]?.GetValue<string>();

        public string? Old => Body["oldClientSecret"]?.GetValue<string>();
    }

    [Fact]
    public async Task an_update_lost_in_a_crash_during_its_commit_is_not_acknowledged_even_when_its_transaction_id_is_handed_out_again()
    {
        // The scenario needs the update's WAL to be still in the server's buffers at the crash; anything else that
        // makes the WAL writer flush (another session's commit, a checkpoint) keeps it, and then the scenario did not
        // happen — a fact about the moment, not about Rekey. Up to three tries; a try where it happened is judged.
        for (var attempt = 1; ; attempt++)
        {
            if (await LostUpdateScenarioAsync(lastAttempt: attempt == 3))
            {
                return;
            }

            output.WriteLine($"try {attempt}: the scenario did not happen; again");
        }
    }

    private async Task<bool> LostUpdateScenarioAsync(bool lastAttempt)
    {
        var cluster = own.Cluster;
        await using var rig = await PostgresRig.StartAsync(cluster);
        var initial = rig.Client.Secret;

        // The update's records go to a fresh WAL page, and it waits at its audit event (in the round trip that carries
        // COMMIT) behind a SHARE lock: its transaction holds an ID, and nothing of it has reached the disk.
        await cluster.ExecuteAsync("SELECT pg_switch_wal()");
        await using (var locker = new NpgsqlConnection(rig.Store.ConnectionString))
        {
            await locker.OpenAsync();
            await using var hold = await locker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE audit_events IN SHARE MODE", locker, hold))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            var update = rig.Admin.PostForJsonAsync($"/api/{rig.ServiceId}/client/secret/update/{rig.ClientId}", Wire.Json("""{"clientSecret":"lost-in-the-crash"}"""));
            var (_, xid) = await PostgresWaits.AuditWaiterAsync(cluster, rig.Store.Database, except: null);
            await cluster.CrashAsync();

            // Back up where the server cannot reach it yet; other transactions take the IDs from where the WAL ends.
            await cluster.StartAsync(tcp: false);
            var handedOutAgain = await BurnTransactionIdsAsync(cluster, rig.Store.Database, through: xid);
            output.WriteLine($"the update's transaction ID {xid} was {(handedOutAgain ? "" : "not ")}handed out again after the crash");
            await cluster.StopAsync();
            await cluster.StartAsync();

            var (status, body) = await update;
            output.WriteLine($"{(int)status} {body.ToJsonString()}");
            if (!handedOutAgain && !lastAttempt)
            {
                return false;
            }

            Assert.True(handedOutAgain, "the crash kept the update's transaction ID (its WAL reached the disk) in three tries; the scenario did not happen");

            // Whatever the server answered is true: 200 means the secret is stored, a 503 means it is not (or may not be).
            var stored = await rig.Admin.CurrentSecretAsync(rig.ServiceId, rig.ClientId);
            if (status == HttpStatusCode.OK)
            {
                Assert.Equal("lost-in-the-crash", body["newClientSecret"]?.GetValue<string>());
                Assert.Equal(initial, body["oldClientSecret"]?.GetValue<string>());
                Assert.Equal("lost-in-the-crash", stored);
            }
            else
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                Assert.Contains(body["resultCode"]?.GetValue<string>(), (string[])["A000102", "A000104"]);
                if (body["resultCode"]?.GetValue<string>() == "A000102")
                {
                    Assert.Equal(initial, stored);
                }
            }

            Assert.Equal(stored == initial ? 0 : 1, await PostgresMultiNodeTests.CountAsync(rig.Store,
                "SELECT COUNT(*) FROM audit_events WHERE client_id = @c AND action = 'client.secret.update' AND outcome = 'success'", rig.ClientId));
        }

        return true;
    }

    [Fact]
    public async Task an_update_whose_commit_cannot_be_resolved_in_time_answers_503_A000104_and_says_to_read_the_state_back()
    {
        var cluster = own.Cluster;
        await using var rig = await PostgresRig.StartAsync(cluster);
        ((Rekey.Server.Storage.Postgres.PostgresEngine)((Rekey.Server.Storage.RekeyStore)rig.Host.GetService<Rekey.Server.Storage.IRekeyStore>()).Engine).CommitResolutionTimeout = TimeSpan.FromSeconds(1);

        (System.Net.HttpStatusCode Status, JsonObject Body) reply;
        await using (var locker = new NpgsqlConnection(rig.Store.ConnectionString))
        {
            await locker.OpenAsync();
            await using var hold = await locker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE audit_events IN SHARE MODE", locker, hold))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            var update = rig.Admin.PostForJsonAsync($"/api/{rig.ServiceId}/client/secret/update/{rig.ClientId}", Wire.Json("""{"clientSecret":"in-doubt"}"""));
            await PostgresWaits.AuditWaiterAsync(cluster, rig.Store.Database, except: null);

            // The database stays down for longer than the server waits to learn what became of the COMMIT.
            await cluster.CrashAsync();
            reply = await update;
            await cluster.StartAsync();
        }

        var (status, body) = reply;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("A000104", body["resultCode"]?.GetValue<string>());
        Assert.Matches(@"^\[A000104\] The store lost its connection while committing; the change may or may not have been made\. Read the current state back before retrying \(request ID = \S+\)\.$",
            body["resultMessage"]?.GetValue<string>());
        Assert.Equal(["resultCode", "resultMessage"], body.Select(p => p.Key).Order());
        Assert.Contains(rig.Host.Logs.Lines, l => l.Contains("lost during COMMIT", StringComparison.Ordinal) && l.Contains("outcome: unknown", StringComparison.Ordinal));

        // Reading back tells the truth: here the crash lost the update, and the server serves again without a restart.
        await Waits.UntilAsync(async () => (await rig.Admin.GetForJsonAsync($"/api/{rig.ServiceId}/client/get/{rig.ClientId}")).Status == HttpStatusCode.OK, "the server serving again");
        Assert.Equal(rig.Client.Secret, await rig.Admin.CurrentSecretAsync(rig.ServiceId, rig.ClientId));
        Assert.DoesNotContain(rig.Host.Logs.Lines, l => l.Contains("in-doubt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task crashes_during_concurrent_updates_through_two_nodes_lose_no_acknowledged_update_and_fork_no_chain()
    {
        var cluster = own.Cluster;
        await using var rig = await PostgresRig.StartAsync(cluster, nodes: 2, clients: 2);
        const int callers = 16;
        const int rounds = 3;
        var answers = new ConcurrentQueue<Answer>();
        var stopping = false;
        var load = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            // Each caller waits for the answer to every update it sent: no update is left without one.
            for (var i = 0; !Volatile.Read(ref stopping); i++)
            {
                var client = caller % 2;
                var secret = $"crash-{caller}-{i}";
                var admin = rig.Admins[(caller + i) % 2];
                using var content = Wire.Json($$"""{"clientSecret":"{{secret}}"}""");
                using var response = await admin.PostAsync($"/api/{rig.ServiceId}/client/secret/update/{rig.Clients[client].ClientId}", content);
                var text = await response.Content.ReadAsStringAsync();
                answers.Enqueue(new Answer(client, secret, response.StatusCode, JsonNode.Parse(text) as JsonObject ?? []));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    await Task.Delay(20);
                }
            }
        })).ToList();

        int Acknowledged() => answers.Count(a => a.Status == HttpStatusCode.OK);

        for (var round = 1; round <= rounds; round++)
        {
            var before = Acknowledged();
            await Waits.UntilAsync(() => Acknowledged() >= before + 200, $"200 updates before crash {round}");
            await cluster.CrashAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
            await cluster.StartAsync();
            output.WriteLine($"crash {round}: {Acknowledged()} acknowledged so far");
        }

        var last = Acknowledged();
        await Waits.UntilAsync(() => Acknowledged() >= last + 200, "200 updates after the last crash");
        Volatile.Write(ref stopping, true);
        await Task.WhenAll(load);

        var all = answers.ToList();
        var unexpected = all.Where(a => a.Status != HttpStatusCode.OK && a.ResultCode is not ("A000102" or "A000104")).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected.Take(5).Select(a => $"{(int)a.Status} {a.Body.ToJsonString()}")));
        var resolutions = rig.Nodes.SelectMany(n => n.Logs.Lines).Where(l => l.Contains("lost during COMMIT", StringComparison.Ordinal)).ToList();
        output.WriteLine($"{all.Count} updates: {Acknowledged()} acknowledged, {all.Count(a => a.ResultCode == "A000102")} nothing changed (A000102), "
            + $"{all.Count(a => a.ResultCode == "A000104")} outcome unknown (A000104); COMMITs in doubt: {resolutions.Count} "
            + $"({resolutions.Count(l => l.Contains("outcome: committed", StringComparison.Ordinal))} committed, {resolutions.Count(l => l.Contains("outcome: aborted", StringComparison.Ordinal))} aborted)");

        for (var client = 0; client < 2; client++)
        {
            var mine = all.Where(a => a.Client == client).ToList();
            var clientId = rig.Clients[client].ClientId;
            var final = await rig.Admin.CurrentSecretAsync(rig.ServiceId, clientId);
            var committedUpdates = await PostgresMultiNodeTests.CountAsync(rig.Store,
                "SELECT COUNT(*) FROM audit_events WHERE client_id = @c AND action = 'client.secret.update' AND outcome = 'success'", clientId);
            AssertHistory(rig.Clients[client].Secret, final, committedUpdates, mine);
        }

        Assert.DoesNotContain(rig.Nodes.SelectMany(n => n.Logs.Lines), l => l.Contains("crash-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_crash_during_leak_reports_leaves_every_client_either_wholly_acted_on_or_untouched()
    {
        var cluster = own.Cluster;
        const int clients = 120;
        await using var rig = await PostgresRig.StartAsync(cluster, nodes: 2, clients: clients);
        var answers = new ConcurrentDictionary<int, (HttpStatusCode Status, string? Code)>();
        var next = -1;
        var load = Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            // One report per client, each through either node; a refused one (the database is down) is not retried.
            for (int i; (i = Interlocked.Increment(ref next)) < clients;)
            {
                using var content = Wire.Json(new JsonObject { ["clientSecret"] = rig.Clients[i].Secret }.ToJsonString());
                using var response = await rig.Admins[i % 2].PostAsync($"/api/{rig.ServiceId}/client/secret/leak", content);
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject;
                answers[i] = (response.StatusCode, body?["resultCode"]?.GetValue<string>());
            }
        })).ToList();

        await Waits.UntilAsync(() => answers.Count >= clients / 4, "a quarter of the reports answered before the crash");
        await cluster.CrashAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await cluster.StartAsync();
        await Task.WhenAll(load);

        var unexpected = answers.Where(a => a.Value.Code is not ("A152001" or "A000102" or "A000104")).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected.Take(5).Select(a => $"{(int)a.Value.Status} {a.Value.Code}")));
        Assert.Contains(answers.Values, a => a.Code == "A152001");
        output.WriteLine($"{clients} reports: {answers.Values.Count(a => a.Code == "A152001")} acted on, {answers.Values.Count(a => a.Code == "A000102")} nothing changed, "
            + $"{answers.Values.Count(a => a.Code == "A000104")} outcome unknown");

        for (var i = 0; i < clients; i++)
        {
            var client = rig.Clients[i];
            var acted = await PostgresMultiNodeTests.CountAsync(rig.Store,
                "SELECT COUNT(*) FROM audit_events WHERE client_id = @c AND action = 'client.secret.leak' AND outcome = 'success'", client.ClientId) == 1;
            var locked = (await rig.Admin.SendForReplyAsync(HttpMethod.Get, $"/api/{rig.ServiceId}/client/get/{client.ClientId}")).Json["locked"]!.GetValue<bool>();
            var secrets = await rig.Admin.ListSecretsAsync(rig.ServiceId, client.ClientId);
            var live = secrets.Where(e => e!["status"]!.GetValue<string>() != "revoked").Select(e => e!["secretId"]!.GetValue<long>()).Order().ToList();
            var lookups = await PostgresMultiNodeTests.CountAsync(rig.Store, "SELECT COUNT(*) FROM secret_lookups WHERE client_id = @c", client.ClientId);

            // All of the report or none of it: the audit event, the lock, the replacement and the lookup rows together.
            Assert.Equal(acted, locked);
            Assert.Equal(acted ? 2 : 1, secrets.Count);
            Assert.Equal(live.Count, lookups);
            Assert.Equal(!acted, await rig.Host.VerifiesAsync(rig.ServiceId, client.ClientId, client.Secret));
            if (answers[i].Code == "A152001")
            {
                Assert.True(acted, $"client {i}: acknowledged, but not acted on");
            }
            else if (answers[i].Code == "A000102")
            {
                Assert.False(acted, $"client {i}: answered 'nothing changed', but acted on");
            }
        }
    }

    [Fact]
    public async Task a_crash_during_registrations_leaves_every_single_use_initial_access_token_spent_exactly_when_its_client_exists()
    {
        var cluster = own.Cluster;
        const int registrations = 120;
        await using var rig = await PostgresRig.StartAsync(cluster, nodes: 2);
        var service = (await rig.Admin.SendForReplyAsync(HttpMethod.Get, $"/api/{rig.ServiceId}/service/get")).Json;
        service["clientRegistrationPolicy"] = "INITIAL_ACCESS_TOKEN";
        Assert.Equal(HttpStatusCode.OK, (await rig.Admin.SendForReplyAsync(HttpMethod.Post, $"/api/{rig.ServiceId}/service/update", Wire.Json(service.ToJsonString()))).Status);
        var tokens = new List<(long Id, string Value)>();
        for (var i = 0; i < registrations; i++)
        {
            var created = await rig.Admin.SendForReplyAsync(HttpMethod.Post, $"/api/{rig.ServiceId}/registration/token/create", Wire.Json("""{"singleUse":true}"""));
            tokens.Add((created.Int("tokenId"), created.Str("token")));
        }

        var anonymous = rig.Nodes.Select(n => n.CreateClient()).ToList();
        var answers = new ConcurrentDictionary<int, (HttpStatusCode Status, JsonObject? Body)>();
        var next = -1;
        var load = Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            // One registration per single-use token, each through either node; a refused one is not retried.
            for (int i; (i = Interlocked.Increment(ref next)) < registrations;)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/oauth2/{rig.ServiceId}/register")
                {
                    Content = Wire.Json($$"""{"client_name":"crash-{{i}}","grant_types":["client_credentials"]}"""),
                };
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens[i].Value);
                using var response = await anonymous[i % 2].SendAsync(request);
                answers[i] = (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject);
            }
        })).ToList();

        await Waits.UntilAsync(() => answers.Count >= registrations / 4, "a quarter of the registrations answered before the crash");
        await cluster.CrashAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await cluster.StartAsync();
        await Task.WhenAll(load);

        // A refusal of the standard endpoint names its result code at the start of error_description.
        static string? CodeOf(JsonObject? body) => body?["error_description"]?.GetValue<string>() is { Length: > 9 } d && d[0] == '[' ? d[1..8] : null;
        var unexpected = answers.Where(a => a.Value.Status != HttpStatusCode.Created && CodeOf(a.Value.Body) is not ("A000102" or "A000104")).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected.Take(5).Select(a => $"{(int)a.Value.Status} {a.Value.Body?.ToJsonString()}")));
        Assert.Contains(answers.Values, a => a.Status == HttpStatusCode.Created);
        output.WriteLine($"{registrations} registrations: {answers.Values.Count(a => a.Status == HttpStatusCode.Created)} created, "
            + $"{answers.Values.Count(a => CodeOf(a.Body) == "A000102")} nothing changed, {answers.Values.Count(a => CodeOf(a.Body) == "A000104")} outcome unknown");

        for (var i = 0; i < registrations; i++)
        {
            var spent = await PostgresMultiNodeTests.CountAsync(rig.Store, "SELECT registrations FROM initial_access_tokens WHERE token_id = @c", tokens[i].Id);
            var audited = await PostgresMultiNodeTests.CountAsync(rig.Store,
                "SELECT COUNT(*) FROM audit_events WHERE actor_token_id = @c AND actor_kind = 'initial_access_token' AND action = 'client.create' AND outcome = 'success'", tokens[i].Id);
            var clients = await PostgresMultiNodeTests.CountAsync(rig.Store,
                "SELECT COUNT(*) FROM clients WHERE registration_token IS NOT NULL AND client_id IN (SELECT client_id FROM audit_events WHERE actor_token_id = @c AND action = 'client.create')",
                tokens[i].Id);

            // The token spent, the client and its audit event: all of the registration or none of it.
            Assert.True((spent, audited, clients) is (0, 0, 0) or (1, 1, 1), $"token {i}: spent {spent}, audited {audited}, clients {clients}");
            var (status, body) = answers[i];
            if (status == HttpStatusCode.Created)
            {
                Assert.True(spent == 1, $"token {i}: a client was acknowledged, but the token is not spent");
                var read = await rig.Admin.SendForReplyAsync(HttpMethod.Get, $"/api/{rig.ServiceId}/client/get/{body!["client_id"]!.GetValue<string>()}");
                Assert.Equal($"crash-{i}", read.Str("clientName"));
            }
            else if (CodeOf(body) == "A000102")
            {
                Assert.True(spent == 0, $"token {i}: answered 'nothing changed', but the token is spent");
            }
        }
    }

    private void AssertHistory(string initial, string final, long committedUpdates, IReadOnlyList<Answer> answers)
    {
        var acknowledged = answers.Where(a => a.Status == HttpStatusCode.OK).ToList();
        Assert.All(acknowledged, a => Assert.Equal(a.Secret, a.Body["newClientSecret"]?.GetValue<string>()));
        output.WriteLine(ChainAssert.History(initial, final, committedUpdates,
            [.. acknowledged.Select(a => (a.Old, a.Secret))],
            answers.Where(a => a.ResultCode == "A000104").Select(a => a.Secret).ToHashSet(StringComparer.Ordinal),
            answers.Where(a => a.ResultCode == "A000102").Select(a => a.Secret).ToHashSet(StringComparer.Ordinal)));
    }

    /// <summary>
    /// Commits transactions (over the unix socket) until the next transaction ID is past <paramref name="through"/>;
    /// true when the first one came at or before it, i.e. the crash made the database forget that ID.
    /// </summary>
    private static async Task<bool> BurnTransactionIdsAsync(PostgresCluster cluster, string database, long through)
    {
        await using var connection = new NpgsqlConnection(cluster.SocketConnectionStringFor(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT txid_current() % 4294967296", connection);
        var first = (long)(await command.ExecuteScalarAsync() ?? 0L);
        for (var next = first; next < through; next = (long)(await command.ExecuteScalarAsync() ?? 0L))
        {
            Assert.True(next - first < 100_000, "runaway transaction IDs");
        }

        return first <= through;
    }
}
