using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Tests.Security;

/// <summary>
/// Data key rotation (re-encryption of every stored value, resumable, readable throughout), master key rotation in
/// explicit steps (configure, rewrap, retire; nothing happens by configuration alone), and what happens without the
/// right master key.
/// </summary>
public abstract class KeyRotationSuite : SecuritySuite
{
    private static readonly byte[] SecondMasterKey = [.. Enumerable.Range(101, 32).Select(i => (byte)i)];

    private static string Entry(string id, byte[] material) => id + ":" + Convert.ToBase64String(material);

    /// <summary>Clients with a current secret and two previous ones still in their grace period.</summary>
    private sealed record World(long ServiceId, List<(long ClientId, string Current, List<string> Previous)> Clients)
    {
        // Sealed values: one current secret per client. Previous secrets keep only their digest (no ciphertext).
        public int Values => Clients.Count;
    }

    private static async Task<World> PopulateAsync(HttpClient admin, int clients = 4)
    {
        var serviceId = await admin.CreateServiceAsync(grace: 3600);
        var list = new List<(long, string, List<string>)>();
        for (var i = 0; i < clients; i++)
        {
            var (clientId, original) = await admin.CreateClientAsync(serviceId);
            var middle = await admin.UpdateSecretAsync(serviceId, clientId, TestApi.NewSecret());
            var current = await admin.RefreshSecretAsync(serviceId, clientId);
            list.Add((clientId, current, [original, middle]));
        }

        return new World(serviceId, list);
    }

    private static async Task AssertEverythingReadsAndVerifiesAsync(RekeyHost host, World world)
    {
        var admin = host.CreateAdminClient();
        foreach (var (clientId, current, previous) in world.Clients)
        {
            Assert.Equal(current, await admin.CurrentSecretAsync(world.ServiceId, clientId));
            Assert.True(await host.VerifiesAsync(world.ServiceId, clientId, current));
            foreach (var old in previous)
            {
                Assert.True(await host.VerifiesAsync(world.ServiceId, clientId, old));
            }
        }

        var (status, list) = await admin.GetForJsonAsync($"/api/{world.ServiceId}/client/get/list?end=100");
        Assert.True(status == HttpStatusCode.OK, list.ToJsonString());
    }

    private static async Task<List<(string KeyId, bool Current, long Values)>> KeysAsync(HttpClient admin)
    {
        var (status, body) = await admin.GetForJsonAsync("/api/keys/get/list");
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("A181001", Sec.Code(body));
        return [.. body["keys"]!.AsArray().Select(k => (Sec.Text(k, "keyId"), k!["current"]!.GetValue<bool>(), k["values"]!.GetValue<long>()))];
    }

    [Fact]
    public async Task rotating_the_data_key_reencrypts_every_value_and_everything_still_reads_and_verifies()
    {
        var host = await StartAsync();
        var admin = host.CreateAdminClient();
        var world = await PopulateAsync(admin);
        var before = Assert.Single(await KeysAsync(admin));
        Assert.Equal(world.Values, before.Values);

        var (status, body) = await admin.PostForJsonAsync("/api/keys/rotate", null);

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("A180001", Sec.Code(body));
        Assert.Equal(world.Values, body["reencrypted"]!.GetValue<long>());
        var keys = await KeysAsync(admin);
        Assert.Equal(2, keys.Count);
        var fresh = Assert.Single(keys, k => k.Current);
        Assert.NotEqual(before.KeyId, fresh.KeyId);
        Assert.Equal(world.Values, fresh.Values);
        Assert.Equal(0, keys.Single(k => k.KeyId == before.KeyId).Values);
        await AssertEverythingReadsAndVerifiesAsync(host, world);

        // New values go under the new key too.
        var (clientId, _) = await admin.CreateClientAsync(world.ServiceId);
        Assert.Equal(world.Values + 1, (await KeysAsync(admin)).Single(k => k.Current).Values);
        Assert.NotNull(await admin.CurrentSecretAsync(world.ServiceId, clientId));
    }

    [Fact]
    public async Task values_under_the_old_data_key_still_read_and_verify_before_reencryption_completes()
    {
        var host = await StartAsync();
        var admin = host.CreateAdminClient();
        var world = await PopulateAsync(admin);
        var store = host.GetService<IRekeyStore>();
        var oldKey = Assert.Single(await KeysAsync(admin)).KeyId;

        Assert.True((await host.GetService<KeyLifecycle>().NewDataKeyAsync(new ChangeContext(AuditActions.KeyRotate, 1, "organisation", null, null, "test"), CancellationToken.None))
            .IsOk(out var newKey, out _));
        Assert.Equal(2, await store.ReencryptBatchAsync(2, CancellationToken.None));

        var keys = await KeysAsync(admin);
        Assert.Equal((newKey, true, 2L), keys.Single(k => k.KeyId == newKey));
        Assert.Equal((oldKey, false, world.Values - 2L), keys.Single(k => k.KeyId == oldKey));
        await AssertEverythingReadsAndVerifiesAsync(host, world);

        // The endpoint finishes what was interrupted.
        var (status, body) = await admin.PostForJsonAsync("/api/keys/reencrypt", null);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(world.Values - 2, body["reencrypted"]!.GetValue<long>());
        Assert.Equal(0, (await KeysAsync(admin)).Single(k => k.KeyId == oldKey).Values);
        await AssertEverythingReadsAndVerifiesAsync(host, world);
    }

    private static Dictionary<string, string?> Masters(params (string Id, byte[] Material)[] keys) =>
        keys.Select((k, i) => KeyValuePair.Create($"Rekey:MasterKeys:{i}", (string?)Entry(k.Id, k.Material))).ToDictionary();

    private static async Task<(HttpStatusCode Status, JsonObject Body)> RewrapAsync(RekeyHost host) =>
        await host.CreateAdminClient().PostForJsonAsync("/api/keys/rewrap", null);

    private static async Task<(HttpStatusCode Status, JsonObject Body)> RetireAsync(RekeyHost host, string masterKeyId) =>
        await host.CreateAdminClient().PostForJsonAsync($"/api/keys/masters/retire/{masterKeyId}", null);

    private static JsonObject MasterKeyInfo(JsonObject body, string id) =>
        body["masterKeys"]!.AsArray().Select(m => m!.AsObject()).Single(m => Sec.Text(m, "masterKeyId") == id);

    [Fact]
    public async Task a_configured_new_master_key_changes_nothing_until_an_explicit_rewrap()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(store);
        var world = await PopulateAsync(first.CreateAdminClient());
        var (rotated, _) = await first.CreateAdminClient().PostForJsonAsync("/api/keys/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated);
        await StopAsync(first);
        var before = await Access.DataKeyMastersAsync(store);
        Assert.All(before.Values, m => Assert.Equal("test1", m));

        // Started with a second key configured (and then, say, stopped because its port was taken): nothing moves.
        var second = await StartAsync(store, settings: Masters(("test1", TestMasterKey), ("test2", SecondMasterKey)));
        Assert.Equal(before, await Access.DataKeyMastersAsync(store));
        Assert.Contains(second.Logs.Lines, l => l.Contains("master key 'test2' is configured but wraps no data key yet", StringComparison.Ordinal));
        var (status, listed) = await second.CreateAdminClient().GetForJsonAsync("/api/keys/get/list");
        Assert.True(status == HttpStatusCode.OK, listed.ToJsonString());
        Assert.Equal(2, MasterKeyInfo(listed, "test1")["dataKeys"]!.GetValue<long>());
        Assert.Equal(0, MasterKeyInfo(listed, "test2")["dataKeys"]!.GetValue<long>());
        Assert.True(MasterKeyInfo(listed, "test2")["configured"]!.GetValue<bool>());
        Assert.Null(MasterKeyInfo(listed, "test2")["createdAt"]);
        await StopAsync(second);

        // Rolling back to the old key alone still starts and reads everything.
        var third = await StartAsync(store);
        await AssertEverythingReadsAndVerifiesAsync(third, world);
    }

    [Fact]
    public async Task rewrap_then_retire_moves_every_data_key_to_the_new_master_key_and_the_old_one_can_go()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(store);
        var world = await PopulateAsync(first.CreateAdminClient());
        Assert.Equal(HttpStatusCode.OK, (await first.CreateAdminClient().PostForJsonAsync("/api/keys/rotate", null)).Status);
        await StopAsync(first);

        var both = await StartAsync(store, settings: Masters(("test1", TestMasterKey), ("test2", SecondMasterKey)));
        var (status, rewrapped) = await RewrapAsync(both);
        Assert.True(status == HttpStatusCode.OK, rewrapped.ToJsonString());
        Assert.Equal("A183001", Sec.Code(rewrapped));
        Assert.Equal("[A183001] Added 2 wrappings of data keys under the master key(s) test1, test2; the older wrappings stay until their master key is retired.", Sec.Text(rewrapped, "resultMessage"));
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test1,test2", m));
        Assert.Equal(2, MasterKeyInfo(rewrapped, "test2")["dataKeys"]!.GetValue<long>());
        var (again, _) = await RewrapAsync(both);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test1,test2", m));

        // Until the old key is retired, a node with either key alone works.
        await using (var onlyOld = await RekeyHost.StartAsync(store))
        {
            await AssertEverythingReadsAndVerifiesAsync(onlyOld, world);
        }

        await using (var onlyNew = await RekeyHost.StartAsync(store, Masters(("test2", SecondMasterKey))))
        {
            await AssertEverythingReadsAndVerifiesAsync(onlyNew, world);
        }

        var (retiredStatus, retired) = await RetireAsync(both, "test1");
        Assert.True(retiredStatus == HttpStatusCode.OK, retired.ToJsonString());
        Assert.Equal("[A183002] Retired the master key test1: removed its wrappings of 2 data keys.", Sec.Text(retired, "resultMessage"));
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test2", m));
        Assert.NotNull(MasterKeyInfo(retired, "test1")["retiredAt"]);
        var (auditStatus, audit) = await both.CreateAdminClient().GetForJsonAsync("/api/audit/get/list?end=50");
        Assert.True(auditStatus == HttpStatusCode.OK, audit.ToJsonString());
        var actions = audit["events"]!.AsArray().Select(e => (Sec.Text(e, "action"), Sec.Text(e, "outcome"), e!["target"]?.GetValue<string>())).ToList();
        Assert.Contains((AuditActions.KeyRewrap, "success", "test1,test2"), actions);
        Assert.Contains((AuditActions.MasterKeyRetire, "success", "test1"), actions);
        await StopAsync(both);

        // Now only the new key opens the data: the old one alone is refused at start, the new one alone serves.
        await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(store));
        using var refused = await RunServerProcessAsync(store, Entry("test1", TestMasterKey));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("wrapped only under the master key(s) 'test2'", Assert.Single(refused.Stderr, l => l.Length > 0), StringComparison.Ordinal);
        var onlyNewNow = await StartAsync(store, settings: Masters(("test2", SecondMasterKey)));
        await AssertEverythingReadsAndVerifiesAsync(onlyNewNow, world);
    }

    [Fact]
    public async Task a_master_key_that_alone_opens_a_data_key_here_cannot_be_retired()
    {
        var store = await NewStoreAsync();
        var host = await StartAsync(store, settings: Masters(("test1", TestMasterKey), ("test2", SecondMasterKey)));
        var world = await PopulateAsync(host.CreateAdminClient(), clients: 1);
        await StopAsync(host);

        // Both keys wrap the data key, but this node has only test1: retiring test1 would leave it nothing to open it with.
        var onlyOld = await StartAsync(store);
        var before = await Access.DataKeyMastersAsync(store);
        var (status, body) = await RetireAsync(onlyOld, "test1");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("A183201", Sec.Code(body));
        Assert.Equal(before, await Access.DataKeyMastersAsync(store));
        var (unknown, unknownBody) = await RetireAsync(onlyOld, "nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("A183202", Sec.Code(unknownBody));
        await AssertEverythingReadsAndVerifiesAsync(onlyOld, world);
    }

    [Fact]
    public async Task a_master_key_recorded_without_a_check_value_gets_one_from_the_first_start_that_opens_its_wrapping()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(store);
        var world = await PopulateAsync(first.CreateAdminClient(), clients: 1);
        await StopAsync(first);

        // As the migration from a single wrapping per data key leaves it.
        Assert.Equal(1, await Access.ExecuteAsync(store, "UPDATE master_keys SET check_value = NULL"));

        // Other material under the known ID does not open the wrapping: refused, and nothing is recorded for it.
        await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(store, settings: Masters(("test1", SecondMasterKey))));
        Assert.Equal(1, await Access.ExecuteAsync(store, "UPDATE master_keys SET created_at = created_at WHERE check_value IS NULL"));

        // The right key opens it, and its check value is recorded from then on.
        var second = await StartAsync(store);
        await AssertEverythingReadsAndVerifiesAsync(second, world);
        Assert.Equal(0, await Access.ExecuteAsync(store, "UPDATE master_keys SET created_at = created_at WHERE check_value IS NULL"));
    }

    [Fact]
    public async Task a_node_without_every_master_key_in_use_may_not_create_a_data_key_another_node_could_not_open()
    {
        var store = await NewStoreAsync();
        var both = await StartAsync(store, settings: Masters(("test1", TestMasterKey), ("test2", SecondMasterKey)));
        await PopulateAsync(both.CreateAdminClient(), clients: 1);
        var onlyOld = await StartAsync(store);
        var before = await Access.DataKeyMastersAsync(store);

        var (status, body) = await onlyOld.CreateAdminClient().PostForJsonAsync("/api/keys/rotate", null);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("[A180201] A new data key must be wrapped under every master key in use; this node does not have 'test2'.", Sec.Text(body, "resultMessage"));
        Assert.Equal(before, await Access.DataKeyMastersAsync(store));
        var (rotated, _) = await both.CreateAdminClient().PostForJsonAsync("/api/keys/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated);
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test1,test2", m));
    }

    [Fact]
    public async Task without_a_master_key_beside_a_database_that_holds_data_keys_the_start_is_refused_and_no_key_file_is_left()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(store);
        await PopulateAsync(first.CreateAdminClient(), clients: 1);
        await StopAsync(first);
        var dataDirectory = store.Settings["Rekey:DataDirectory"]!;
        var keyFile = Path.Combine(dataDirectory, "master.key");
        Assert.False(File.Exists(keyFile));

        // No Rekey:MasterKeys and no key file: the server would once have generated a new key, written it, and then failed.
        await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(store, settings: new Dictionary<string, string?> { ["Rekey:MasterKeys:0"] = null }));
        Assert.False(File.Exists(keyFile));
        using var refused = await RunServerProcessAsync(store, masterKey: null);

        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.Stderr, l => l.Length > 0);
        Assert.Contains($"the key file {Path.GetFullPath(keyFile)} does not exist", line, StringComparison.Ordinal);
        Assert.Contains("'test1'", line, StringComparison.Ordinal);
        Assert.False(File.Exists(keyFile));
    }

    public static TheoryData<string, string> WrongMasterKeys => new()
    {
        // Another key under another ID: the data keys name a master key that is not configured.
        { "other", "none of which is configured here" },
        // Another key under the same ID: its check value differs from the one recorded.
        { "test1", "does not match the check value the database holds for that ID" },
    };

    [Theory]
    [MemberData(nameof(WrongMasterKeys))]
    public async Task a_server_without_the_right_master_key_refuses_to_start_and_says_why_without_key_material(string id, string reason)
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(store);
        await PopulateAsync(first.CreateAdminClient(), clients: 1);
        await StopAsync(first);
        var wrong = RandomNumberGenerator.GetBytes(32);

        // In-process: the host does not start.
        await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(store, settings: new Dictionary<string, string?> { ["Rekey:MasterKeys:0"] = Entry(id, wrong) }));

        // As an operator runs it: exit code 1 and one line that says why, with no key material.
        using var refused = await RunServerProcessAsync(store, Entry(id, wrong));
        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.Stderr, l => l.Length > 0);
        Assert.StartsWith("rekey: the ", line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.Contains("test1", line, StringComparison.Ordinal);
        foreach (var material in new[] { TestMasterKey, wrong })
        {
            var output = refused.Output;
            Assert.DoesNotContain(Convert.ToBase64String(material), output, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(material), output, StringComparison.OrdinalIgnoreCase);
        }

        // Nothing was changed: the right key still opens everything.
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test1", m));
        var again = await StartAsync(store);
        Assert.Single(await KeysAsync(again.CreateAdminClient()));
    }

    /// <summary>Runs the built server as its own process on the store's settings, with logging off, until it exits (at most 60 s).</summary>
    private static Task<ProgramProcess> RunServerProcessAsync(TestStore store, string? masterKey)
    {
        var args = store.Settings.Select(s => $"--{s.Key}={s.Value}").Append("--Rekey:AdminToken=" + RekeyHost.AdminToken).ToList();
        if (masterKey is not null)
        {
            args.Add("--Rekey:MasterKeys:0=" + masterKey);
        }

        args.Add("--urls=http://127.0.0.1:0");
        args.Add("--Logging:LogLevel:Default=None");
        return ProgramProcess.RunServerToExitAsync(Environment.CurrentDirectory, [.. args]);
    }

    [Fact]
    public async Task a_node_that_lacks_the_master_key_left_after_a_retirement_keeps_serving_with_the_data_keys_it_has()
    {
        var store = await NewStoreAsync();
        var old = await StartAsync(store);
        var world = await PopulateAsync(old.CreateAdminClient(), clients: 2);

        // Another node, with both keys, rewraps and retires the old key while this node still has only the old one.
        var both = await StartAsync(store, settings: Masters(("test1", TestMasterKey), ("test2", SecondMasterKey)));
        Assert.Equal(HttpStatusCode.OK, (await RewrapAsync(both)).Status);
        Assert.Equal(HttpStatusCode.OK, (await RetireAsync(both, "test1")).Status);
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test2", m));

        // The old node's periodic reload cannot unwrap them: it must say so and keep going, not stop the host.
        await old.GetService<SecretMaintenance>().RunOnceAsync(CancellationToken.None);

        Assert.Contains(old.Logs.Lines, l => l.Contains("none of which is configured here", StringComparison.Ordinal) && l.Contains("Warning", StringComparison.Ordinal));
        await AssertEverythingReadsAndVerifiesAsync(old, world);
    }

    [Fact]
    public async Task a_data_key_rotation_that_does_not_commit_leaves_no_phantom_key_behind()
    {
        var store = await NewStoreAsync();
        var host = await StartAsync(store);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var (before, _) = await admin.CreateClientAsync(serviceId);

        // The rotation's last statement (its audit event) fails: the whole transaction rolls back.
        await using (await Access.FailAuditEventsAsync(store, AuditActions.KeyRotate))
        {
            var (status, _) = await admin.PostForJsonAsync("/api/keys/rotate", null);
            Assert.Equal(HttpStatusCode.InternalServerError, status);
        }

        // Values written now must be sealed under a key that exists in the database.
        var (after, afterSecret) = await admin.CreateClientAsync(serviceId);
        var updated = await admin.UpdateSecretAsync(serviceId, before, TestApi.NewSecret());
        await host.GetService<SecretMaintenance>().RunOnceAsync(CancellationToken.None);

        var (status2, body) = await admin.GetForJsonAsync($"/api/{serviceId}/client/get/{after}");
        Assert.True(status2 == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(afterSecret, Sec.Text(body, "clientSecret"));
        Assert.Equal(updated, await admin.CurrentSecretAsync(serviceId, before));
        Assert.Single(await Access.DataKeyMastersAsync(store));
    }
}

public sealed class SqliteKeyRotationTests : KeyRotationSuite
{
    protected override StoreAccess Access { get; } = new SqliteAccess();
}

[RequiresPostgres]
public sealed class PostgresKeyRotationTests : KeyRotationSuite
{
    protected override StoreAccess Access { get; } = new PostgresStoreAccess();
}
