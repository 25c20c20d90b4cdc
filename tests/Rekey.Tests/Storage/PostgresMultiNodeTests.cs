using System.Collections.Concurrent;
using System.Net;
using Npgsql;
using Rekey.Contracts;
using Rekey.Server.Secrets;
using Rekey.Server.Storage;

namespace Rekey.Tests.Storage;

/// <summary>Several stateless Rekey nodes on one PostgreSQL database, each a real server over HTTP.</summary>
[RequiresPostgres]
public sealed class PostgresMultiNodeTests
{
    [Fact]
    public async Task four_hundred_updates_through_two_nodes_from_16_callers_form_a_single_chain()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await using var nodeA = await RekeyHost.StartAsync(store);
        await using var nodeB = await RekeyHost.StartAsync(store);
        using var adminA = nodeA.CreateAdminClient();
        using var adminB = nodeB.CreateAdminClient();
        var serviceId = await adminA.CreateServiceAsync();
        var client = await adminA.CreateClientAsync(serviceId);
        var pairs = new ConcurrentBag<(string? Old, string New)>();
        var failures = new ConcurrentBag<string>();
        const int callers = 16;
        const int perCaller = 25;

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            await start.Task;
            for (var i = 0; i < perCaller; i++)
            {
                var node = (caller + i) % 2 == 0 ? adminA : adminB;
                var secret = $"chain-{caller}-{i}";
                var (status, body) = await node.PostForJsonAsync($"/api/{serviceId}/client/secret/update/{client.ClientId}", Wire.Json($$"""{"clientSecret":"{{secret}}"}"""));
                if (status != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)status} {body.ToJsonString()}");
                    continue;
                }

                Assert.Equal(secret, body["newClientSecret"]?.GetValue<string>());
                pairs.Add((body["oldClientSecret"]?.GetValue<string>(), secret));
            }
        })).ToList();
        start.SetResult();
        await Task.WhenAll(work);

        Assert.Empty(failures);
        Assert.Equal(callers * perCaller, pairs.Count);
        var final = await adminB.CurrentSecretAsync(serviceId, client.ClientId);
        ChainAssert.SingleChain(client.Secret, final, pairs.ToList());
        Assert.Equal(callers * perCaller, await CountAsync(store, "SELECT COUNT(*) FROM audit_events WHERE client_id = @c AND action = 'client.secret.update' AND outcome = 'success'", client.ClientId));
    }

    [Fact]
    public async Task a_secret_updated_through_one_node_is_the_one_the_other_node_returns_next()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await using var nodeA = await RekeyHost.StartAsync(store);
        await using var nodeB = await RekeyHost.StartAsync(store);
        using var adminA = nodeA.CreateAdminClient();
        using var adminB = nodeB.CreateAdminClient();
        var serviceId = await adminA.CreateServiceAsync();
        var client = await adminB.CreateClientAsync(serviceId);
        var clientId = client.ClientId;

        for (var i = 0; i < 20; i++)
        {
            var (writer, reader) = i % 2 == 0 ? (adminA, adminB) : (adminB, adminA);
            var secret = $"fresh-{i}";
            await writer.UpdateSecretAsync(serviceId, clientId, secret);

            Assert.Equal(secret, await reader.CurrentSecretAsync(serviceId, clientId));
        }
    }

    [Fact]
    public async Task a_client_assertion_accepted_by_one_node_is_a_replay_at_the_other()
    {
        // Behind one load balancer the nodes share the public URL, hence the issuer and the audience of assertions.
        var settings = new Dictionary<string, string?> { ["Rekey:PublicBaseUrl"] = "https://rekey.example" };
        await using var store = await PostgresTestStore.CreateAsync();
        await using var nodeA = await RekeyHost.StartAsync(store, settings);
        await using var nodeB = await RekeyHost.StartAsync(store, settings);
        using var admin = nodeA.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var client = await admin.CreateClientAsync(serviceId, """{"clientName":"jwt","grantTypes":["CLIENT_CREDENTIALS"],"tokenAuthMethod":"CLIENT_SECRET_JWT"}""");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var assertion = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["iss"] = client.Id, ["sub"] = client.Id, ["aud"] = $"https://rekey.example/oauth2/{serviceId}", ["jti"] = "across-nodes", ["exp"] = now + 60,
            },
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(client.Secret)), "HS256"),
        });
        var form = Wire.Form(("grant_type", "client_credentials"), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion));
        using var anonymousA = nodeA.CreateClient();
        using var anonymousB = nodeB.CreateClient();

        using var first = await anonymousA.PostAsync($"/oauth2/{serviceId}/token", form);
        using var replay = await anonymousB.PostAsync($"/oauth2/{serviceId}/token", form);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
    }

    [Fact]
    public async Task a_data_key_rotated_on_one_node_is_used_by_the_other_node_at_once()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        await using var nodeA = await RekeyHost.StartAsync(store);
        await using var nodeB = await RekeyHost.StartAsync(store);
        using var adminA = nodeA.CreateAdminClient();
        using var adminB = nodeB.CreateAdminClient();
        var serviceId = await adminA.CreateServiceAsync();
        var client = await adminA.CreateClientAsync(serviceId);
        Assert.Equal(client.Secret, await adminB.CurrentSecretAsync(serviceId, client.ClientId));

        // Node A adds a key and moves every value under it; node B has never seen that key.
        var (status, rotated) = await adminA.PostForJsonAsync("/api/keys/rotate", null);
        Assert.Equal(HttpStatusCode.OK, status);
        var newKey = rotated["keys"]?.AsArray().Single(k => k?["current"]?.GetValue<bool>() == true)?["keyId"]?.GetValue<string>();
        Assert.NotNull(newKey);
        Assert.NotEqual(nodeB.GetService<SecretCipher>().CurrentKeyId, newKey);

        Assert.Equal(client.Secret, await adminB.CurrentSecretAsync(serviceId, client.ClientId));
        Assert.Equal(newKey, nodeB.GetService<SecretCipher>().CurrentKeyId);
    }

    [Fact]
    public async Task stores_migrating_a_fresh_database_at_the_same_moment_all_succeed_and_apply_the_schema_once()
    {
        await using var store = await PostgresTestStore.CreateAsync();
        var ciphers = Enumerable.Range(0, 4).Select(_ => new SecretCipher(new KeyRing([new MasterKey("test1", Enumerable.Range(1, 32).Select(i => (byte)i).ToArray())]))).ToList();
        var stores = ciphers.Select(c => RekeyStore.Postgres(store.ConnectionString, c)).ToList();
        try
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var migrations = stores.Select(s => Task.Run(async () =>
            {
                await start.Task;
                await s.MigrateAsync(CancellationToken.None);
                await new KeyLifecycle(s, ciphers[stores.IndexOf(s)], TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KeyLifecycle>.Instance).InitializeAsync(CancellationToken.None);
            })).ToList();
            start.SetResult();
            await Task.WhenAll(migrations);
        }
        finally
        {
            foreach (var s in stores)
            {
                await s.DisposeAsync();
            }
        }

        Assert.Equal(Rekey.Server.Storage.Migrations.For("postgres").Count, await CountAsync(store, "SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal(1, await CountAsync(store, "SELECT COUNT(*) FROM data_keys"));
        Assert.Single(ciphers.Select(c => c.CurrentKeyId).Distinct());
        Assert.NotNull(ciphers[0].CurrentKeyId);
    }

    [Fact]
    public async Task two_servers_starting_together_on_a_fresh_database_both_serve()
    {
        // Two server processes, as two nodes are: WebApplicationFactory cannot build two hosts at once in one process
        // (its host interception is process-wide, and one factory can take the other's host).
        await using var store = await PostgresTestStore.CreateAsync();
        var environment = store.Settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        environment["Rekey__AdminToken"] = RekeyHost.AdminToken;
        environment["Rekey__MasterKeys__0"] = "test1:" + Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var directories = Enumerable.Range(0, 2).Select(_ => Directory.CreateTempSubdirectory("rekey-node-")).ToList();
        var started = await Task.WhenAll(directories.Select(d => ProgramProcess.StartServerAsync(d.FullName, environment)));
        try
        {
            using var adminA = RekeyHost.AdminClientFor(started[0].BaseAddress);
            using var adminB = RekeyHost.AdminClientFor(started[1].BaseAddress);
            var serviceId = await adminA.CreateServiceAsync();
            var client = await adminB.CreateClientAsync(serviceId);

            Assert.Equal(client.Secret, await adminA.CurrentSecretAsync(serviceId, client.ClientId));
            Assert.Equal(1, await CountAsync(store, "SELECT COUNT(*) FROM data_keys"));
        }
        finally
        {
            foreach (var (server, _) in started)
            {
                server.Dispose();
            }

            directories.ForEach(d => d.Delete(recursive: true));
        }

    }

    internal static async Task<long> CountAsync(PostgresTestStore store, string sql, long? clientId = null)
    {
        await using var connection = new NpgsqlConnection(store.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (clientId is { } id)
        {
            command.Parameters.AddWithValue("c", id);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
