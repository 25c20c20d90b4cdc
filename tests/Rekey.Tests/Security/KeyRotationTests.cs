using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Rekey.Contracts;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;
using Rekey.Testing;

namespace Rekey.Tests.Security;

/// <summary>
/// Data key rotation (re-encryption of every stored value, resumable, readable throughout) and master key rotation
/// (append a key, restart: the data keys are rewrapped), and what happens without the right master key.
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
            var (clientId, original) = await admin.NewClientAsync(serviceId);
            var middle = await admin.UpdateOkAsync(serviceId, clientId, Sec.NewSecret());
            var current = await admin.RefreshOkAsync(serviceId, clientId);
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
        var (clientId, _) = await admin.NewClientAsync(world.ServiceId);
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

        var newKey = await store.AddDataKeyAsync(new ChangeContext(AuditActions.KeyRotate, 1, "organisation", null, null, "test"), CancellationToken.None);
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

    [Fact]
    public async Task appending_a_master_key_rewraps_every_data_key_at_start_up()
    {
        var store = await NewStoreAsync();
        var first = await StartAsync(store);
        var world = await PopulateAsync(first.CreateAdminClient());
        var (rotated, _) = await first.CreateAdminClient().PostForJsonAsync("/api/keys/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated);
        await StopAsync(first);
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test1", m));

        var second = await StartAsync(store, settings: new Dictionary<string, string?> { ["Rekey:MasterKeys:1"] = Entry("test2", SecondMasterKey) });

        var masters = await Access.DataKeyMastersAsync(store);
        Assert.Equal(2, masters.Count);
        Assert.All(masters.Values, m => Assert.Equal("test2", m));
        Assert.Contains(second.Logs.Lines, l => l.Contains("Master keys: 2 in the ring, current test2", StringComparison.Ordinal));
        await AssertEverythingReadsAndVerifiesAsync(second, world);
        await StopAsync(second);

        // Once rewrapped, the old master key can go.
        var third = await StartAsync(store, settings: new Dictionary<string, string?> { ["Rekey:MasterKeys:0"] = Entry("test2", SecondMasterKey) });
        await AssertEverythingReadsAndVerifiesAsync(third, world);
    }

    public static TheoryData<string, string> WrongMasterKeys => new()
    {
        // Another key under another ID: the data keys name a master key that is not configured.
        { "other", "which is not configured" },
        // Another key under the same ID: the data keys do not unwrap.
        { "test1", "does not unwrap" },
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
        var (exitCode, stdout, stderr) = await RunServerProcessAsync(store, Entry(id, wrong));
        Assert.Equal(1, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("rekey: cannot open the stored data keys", line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.Contains("test1", line, StringComparison.Ordinal);
        foreach (var material in new[] { TestMasterKey, wrong })
        {
            var output = stdout + stderr;
            Assert.DoesNotContain(Convert.ToBase64String(material), output, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(material), output, StringComparison.OrdinalIgnoreCase);
        }

        // Nothing was changed: the right key still opens everything.
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test1", m));
        var again = await StartAsync(store);
        Assert.Single(await KeysAsync(again.CreateAdminClient()));
    }

    /// <summary>Runs the built server as its own process on the store's settings, with logging off, until it exits (at most 60 s).</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunServerProcessAsync(TestStore store, string masterKey)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Rekey.Server.dll"));
        foreach (var (key, value) in store.Settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.ArgumentList.Add("--Rekey:AdminToken=" + RekeyHost.AdminToken);
        start.ArgumentList.Add("--Rekey:MasterKeys:0=" + masterKey);
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        start.ArgumentList.Add("--Logging:LogLevel:Default=None");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task a_node_that_lacks_a_new_master_key_keeps_serving_with_the_data_keys_it_has()
    {
        var store = await NewStoreAsync();
        var old = await StartAsync(store);
        var world = await PopulateAsync(old.CreateAdminClient(), clients: 2);

        // Another node restarts first with the new master key and rewraps the shared data keys.
        await StartAsync(store, settings: new Dictionary<string, string?> { ["Rekey:MasterKeys:1"] = Entry("test2", SecondMasterKey) });
        Assert.All((await Access.DataKeyMastersAsync(store)).Values, m => Assert.Equal("test2", m));

        // The old node's periodic reload cannot unwrap them: it must say so and keep going, not stop the host.
        await old.GetService<SecretMaintenance>().RunOnceAsync(CancellationToken.None);

        Assert.Contains(old.Logs.Lines, l => l.Contains("not configured", StringComparison.Ordinal) && l.Contains("Warning", StringComparison.Ordinal));
        await AssertEverythingReadsAndVerifiesAsync(old, world);
    }

    [Fact]
    public async Task a_data_key_rotation_that_does_not_commit_leaves_no_phantom_key_behind()
    {
        var store = await NewStoreAsync();
        var host = await StartAsync(store);
        var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var (before, _) = await admin.NewClientAsync(serviceId);

        // The rotation's last statement (its audit event) fails: the whole transaction rolls back.
        await using (await Access.FailAuditEventsAsync(store, AuditActions.KeyRotate))
        {
            var (status, _) = await admin.PostForJsonAsync("/api/keys/rotate", null);
            Assert.Equal(HttpStatusCode.InternalServerError, status);
        }

        // Values written now must be sealed under a key that exists in the database.
        var (after, afterSecret) = await admin.NewClientAsync(serviceId);
        var updated = await admin.UpdateOkAsync(serviceId, before, Sec.NewSecret());
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
