using System.Net;
using Microsoft.Data.Sqlite;
using Rekey.Server.Storage;
using Rekey.Server.Storage.Sqlite;

namespace Rekey.Tests.Hosting;

/// <summary>
/// The SQLite writer's queue is bounded: past <c>Rekey:Storage:SqliteWriteQueueLimit</c> writes waiting or being
/// written, a write is refused at once (503, A000105, Retry-After) and changes nothing, instead of memory and
/// latency growing without limit.
/// </summary>
public sealed class WriteQueueLimitTests
{
    [Fact]
    public async Task a_write_beyond_the_limit_fails_at_once_and_the_writes_admitted_before_it_complete()
    {
        using var queue = new SqliteWriteQueue(OpenInMemory(), ex => ex, limit: 2);
        using var gate = new ManualResetEventSlim();

        // The first write holds the writer; the second waits behind it. Both count, wherever they are.
        var first = queue.RunAsync(_ => gate.Wait(TimeSpan.FromSeconds(30)) ? 1 : -1, CancellationToken.None);
        var second = queue.RunAsync(_ => 2, CancellationToken.None);
        var third = queue.RunAsync(_ => 3, CancellationToken.None);

        Assert.True(third.IsFaulted, "refused at once, not queued");
        await Assert.ThrowsAsync<StoreOverloadedException>(() => third);
        Assert.False(first.IsCompleted || second.IsCompleted);
        gate.Set();
        Assert.Equal(1, await first);
        Assert.Equal(2, await second);
    }

    [Fact]
    public async Task a_finished_write_frees_its_place_before_its_caller_hears_the_outcome()
    {
        using var queue = new SqliteWriteQueue(OpenInMemory(), ex => ex, limit: 1);

        for (var i = 0; i < 200; i++)
        {
            var n = i;
            Assert.Equal(n, await queue.RunAsync(_ => n, CancellationToken.None));
        }
    }

    [Fact]
    public async Task while_the_writer_is_held_up_writes_beyond_the_limit_get_503_A000105_change_nothing_and_the_server_recovers()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, new Dictionary<string, string?> { ["Rekey:Storage:SqliteWriteQueueLimit"] = "2" });
        using var admin = host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var clients = new List<(long Id, string? Secret)>();
        for (var i = 0; i < 6; i++)
        {
            var client = await admin.CreateClientAsync(serviceId);
            clients.Add((client.ClientId, client.Secret));
        }

        // Another connection holds SQLite's write lock: the writer's BEGIN waits (busy_timeout, 10 s), its two writes with it.
        await using (var blocker = new SqliteConnection($"Data Source={store.DatabasePath};Pooling=False"))
        {
            await blocker.OpenAsync();
            await Execute(blocker, "BEGIN IMMEDIATE");
            var updates = clients.Select((c, i) => UpdateAsync(admin, serviceId, c.Id, $"held_Secret_{i}")).ToList();

            var refused = new List<Task<HttpResponseMessage>>();
            while (refused.Count < updates.Count - 2)
            {
                refused.Add(await Task.WhenAny(updates.Except(refused)).WaitAsync(TimeSpan.FromSeconds(9)));
            }

            foreach (var response in refused.Select(r => r.Result))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Contains("\"resultCode\":\"A000105\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            }

            await Execute(blocker, "ROLLBACK");
            foreach (var response in await Task.WhenAll(updates.Except(refused)))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            for (var i = 0; i < clients.Count; i++)
            {
                var expected = refused.Contains(updates[i]) ? clients[i].Secret : $"held_Secret_{i}";
                Assert.Equal(expected, await admin.CurrentSecretAsync(serviceId, clients[i].Id));
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await UpdateAsync(admin, serviceId, clients[0].Id, "after_Secret")).StatusCode);
        Assert.Equal("after_Secret", await admin.CurrentSecretAsync(serviceId, clients[0].Id));
    }

    private static Task<HttpResponseMessage> UpdateAsync(HttpClient admin, long serviceId, long clientId, string secret) =>
        admin.PostAsync(new Uri($"/api/{serviceId}/client/secret/update/{clientId}", UriKind.Relative), Wire.Json($$"""{"clientSecret":"{{secret}}"}"""));

    private static async Task Execute(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static SqliteConnection OpenInMemory()
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }
}
