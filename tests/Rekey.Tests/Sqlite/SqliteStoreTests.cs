using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Tests.Sqlite;

/// <summary>
/// What only the SQLite store can be asked: does an acknowledged write survive a restart of the process on the same
/// file, and do the files on disk hold anything a thief could use? Each test owns its store and its servers.
/// </summary>
public sealed class SqliteStoreTests
{
    private static Task<Reply> SendAsync(HttpClient http, HttpMethod method, string path, string? json = null, string mediaType = "application/json")
    {
        var content = json is null ? null : new StringContent(json, Encoding.UTF8) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } };
        return http.SendForReplyAsync(method, path, content);
    }

    private static async Task<Reply> OkAsync(HttpClient http, HttpMethod method, string path, string? json = null, string mediaType = "application/json")
    {
        var reply = await SendAsync(http, method, path, json, mediaType);
        Assert.True(reply.Status == HttpStatusCode.OK, $"{method} {path}: {reply}");
        return reply;
    }

    [Fact]
    public async Task the_writer_reports_its_group_commits_as_metrics_without_anything_written()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, int Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Rekey.Storage.Sqlite")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, tags.Length)));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, tags.Length)));
        listener.Start();

        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store);
        using var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync("""{"serviceName":"metered"}""");
        var clientId = (await admin.CreateClientAsync(serviceId, """{"clientName":"metered"}""")).ClientId;
        const int Updates = 24;
        await Task.WhenAll(Enumerable.Range(0, Updates).Select(i => admin.UpdateSecretAsync(serviceId, clientId, $"metered-{i}")));

        var seen = measurements.ToArray();
        // Other tests write at the same time (the meter is the process's): at least our writes are counted.
        Assert.True(seen.Where(m => m.Instrument == "rekey.sqlite.write.batch_size").Sum(m => m.Value) >= Updates + 2);
        Assert.Contains(seen, m => m.Instrument == "rekey.sqlite.write.commit_duration" && m.Value > 0);
        Assert.Contains(seen, m => m.Instrument == "rekey.sqlite.write.batch_duration" && m.Value > 0);
        Assert.Contains(seen, m => m.Instrument == "rekey.sqlite.write.queued" && m.Value == 1);
        Assert.All(seen, m => Assert.Equal(0, m.Tags));
    }

    [Fact]
    public async Task data_survives_a_server_restart_on_the_same_file()
    {
        await using var store = new SqliteTestStore();
        long serviceId;
        long clientId;
        string token;
        JsonObject serviceBefore;
        JsonObject clientBefore;

        await using (var first = await RekeyHost.StartAsync(store))
        {
            using var admin = first.CreateAdminClient();
            serviceId = await admin.CreateServiceAsync("""{"serviceName":"durable","issuer":"https://durable.example","custom":{"k":[1,2.50]}}""");
            clientId = (await admin.CreateClientAsync(serviceId,
                """{"clientName":"durable client","clientIdAlias":"durable","developer":"dev","redirectUris":["https://durable.example/cb"]}""")).ClientId;
            await OkAsync(admin, HttpMethod.Post, $"/api/{serviceId}/client/secret/update/durable", """{"clientSecret":"survives-restart-1"}""");
            await admin.LockClientAsync(serviceId, clientId);
            token = (await admin.CreateApiTokenAsync(serviceId, "service.read", "client.read", "client.secret.read")).Token;
            serviceBefore = (await OkAsync(admin, HttpMethod.Get, $"/api/{serviceId}/service/get")).Json;
            clientBefore = (await OkAsync(admin, HttpMethod.Get, $"/api/{serviceId}/client/get/{clientId}")).Json;
            Assert.True(clientBefore["locked"]?.GetValue<bool>());
        }

        await using var second = await RekeyHost.StartAsync(store);
        using var admin2 = second.CreateAdminClient();
        using var tokenClient = second.CreateClient(token);

        var service = await OkAsync(admin2, HttpMethod.Get, $"/api/{serviceId}/service/get");
        Assert.True(JsonNode.DeepEquals(serviceBefore, service.Json), $"{serviceBefore.ToJsonString()}\n{service.Text}");
        var client = await OkAsync(admin2, HttpMethod.Get, $"/api/{serviceId}/client/get/durable");
        Assert.True(JsonNode.DeepEquals(clientBefore, client.Json), $"{clientBefore.ToJsonString()}\n{client.Text}");
        Assert.Equal("survives-restart-1", client.Str("clientSecret"));
        Assert.True(client.Bool("locked"));
        Assert.Equal("survives-restart-1", (await OkAsync(tokenClient, HttpMethod.Get, $"/api/{serviceId}/client/get/{clientId}")).Str("clientSecret"));

        var rotated = await OkAsync(admin2, HttpMethod.Post, $"/api/{serviceId}/client/secret/update/{clientId}", """{"clientSecret":"after-restart-2"}""");
        Assert.Equal("survives-restart-1", rotated.Str("oldClientSecret"));
        var next = await OkAsync(admin2, HttpMethod.Post, $"/api/{serviceId}/client/create", """{"clientName":"after restart"}""");
        Assert.NotEqual(clientId, next.Int("clientId"));
        Assert.True(next.Int("number") > clientBefore["number"]?.GetValue<long>());
        var duplicate = await SendAsync(admin2, HttpMethod.Post, $"/api/{serviceId}/client/create", """{"clientIdAlias":"durable"}""");
        Assert.Equal("A120203", duplicate.Str("resultCode"));
    }

    [Fact]
    public async Task the_sqlite_files_never_hold_a_plaintext_secret_or_token()
    {
        await using var store = new SqliteTestStore();
        const string marker = "plaintext-probe-marker-7f3a91";
        var forbidden = new List<string>
        {
            RekeyHost.AdminToken,
            "sent-in-create-body-probe-0001",
            "chosen-Probe-Secret-0002-abcdefghijklmnop",
            "form-Probe-Secret-0003-qrstuvwxyz",
            "sent-in-update-body-probe-0004",
        };

        await using (var host = await RekeyHost.StartAsync(store))
        {
            using var admin = host.CreateAdminClient();
            var serviceId = await admin.CreateServiceAsync($$"""{"serviceName":"{{marker}}"}""");
            var (clientId, generated) = await admin.CreateClientAsync(serviceId, $$"""{"clientName":"{{marker}}","clientSecret":"{{forbidden[1]}}"}""");
            forbidden.Add(generated);
            await admin.UpdateSecretAsync(serviceId, clientId, forbidden[2]);
            forbidden.Add(await admin.RefreshSecretAsync(serviceId, clientId));
            await OkAsync(admin, HttpMethod.Post, $"/api/{serviceId}/client/secret/update/{clientId}", "clientSecret=" + forbidden[3], "application/x-www-form-urlencoded");
            var document = (await OkAsync(admin, HttpMethod.Get, $"/api/{serviceId}/client/get/{clientId}")).Json;
            document["clientSecret"] = forbidden[4];
            await OkAsync(admin, HttpMethod.Post, $"/api/{serviceId}/client/update/{clientId}", document.ToJsonString());
            forbidden.Add((await admin.CreateClientAsync(serviceId, """{"clientName":"second"}""")).Secret);
            forbidden.Add((await OkAsync(admin, HttpMethod.Post, "/api/apitoken/create",
                $$"""{"serviceId":{{serviceId}},"permissions":["client.read"],"description":"{{marker}}"}""")).Str("token"));
            Assert.Equal(forbidden[3], await admin.CurrentSecretAsync(serviceId, clientId));

            AssertFilesHoldNoPlaintext(store, marker, forbidden, "while the server runs");
        }

        AssertFilesHoldNoPlaintext(store, marker, forbidden, "after shutdown (WAL checkpointed)");
    }

    /// <summary>
    /// Reads every file of the data directory (the database, its -wal and -shm) as bytes. The non-secret marker must
    /// be found, which proves the scan sees the data; no secret may be found, neither as UTF-8 nor as UTF-16.
    /// </summary>
    private static void AssertFilesHoldNoPlaintext(SqliteTestStore store, string marker, IReadOnlyList<string> forbidden, string when)
    {
        var files = Directory.GetFiles(store.DataDirectory, "*", SearchOption.AllDirectories);
        Assert.Contains(store.DatabasePath, files);
        var contents = files.ToDictionary(f => Path.GetFileName(f), ReadShared);
        var all = contents.Values.SelectMany(b => b).ToArray();

        Assert.True(all.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker)) >= 0, $"{when}: the marker is in none of {string.Join(", ", contents.Keys)}; the scan sees nothing.");
        foreach (var secret in forbidden)
        {
            foreach (var (name, bytes) in contents)
            {
                Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0, $"{when}: {name} holds a secret in plaintext (UTF-8).");
                Assert.False(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) >= 0, $"{when}: {name} holds a secret in plaintext (UTF-16).");
            }
        }
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task the_file_scan_finds_a_secret_that_is_stored_in_plaintext()
    {
        // The scan above must be able to fail: a secret the caller puts in an ordinary (stored) property is found.
        await using var store = new SqliteTestStore();
        const string visible = "stored-on-purpose-in-a-custom-property-0005";
        await using (var host = await RekeyHost.StartAsync(store))
        {
            using var admin = host.CreateAdminClient();
            await admin.CreateServiceAsync($$"""{"serviceName":"control","note":"{{visible}}"}""");
        }

        var error = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertFilesHoldNoPlaintext(store, "control", [visible], "control"));
        Assert.Contains("plaintext", error.Message, StringComparison.Ordinal);
    }
}
