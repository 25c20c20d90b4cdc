using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Rekey.Tests.Storage;
using Xunit.Abstractions;

namespace Rekey.Tests.Hosting;

/// <summary>
/// The embedded server killed (<c>kill -9</c>) while updates are being written, and started again on the same data
/// directory: every acknowledged update is there, in one chain per client. (A kill keeps what reached the operating
/// system; a power cut additionally needs the fsync the server takes before it answers, docs/deployment.md.)
/// </summary>
public sealed class SqliteKillTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string MasterKey = "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("rekey-kill-");

    public void Dispose() => _work.Delete(recursive: true);

    private sealed record Answer(int Client, string Secret, HttpStatusCode? Status, JsonObject Body)
    {
        public string? Old => Body["oldClientSecret"]?.GetValue<string>();
    }

    private Task<(ProgramProcess Server, Uri BaseAddress)> StartAsync() =>
        ProgramProcess.StartServerAsync(_work.FullName, "--Rekey:DataDirectory=" + Path.Combine(_work.FullName, "data"), "--Rekey:MasterKeys:0=" + MasterKey,
            "--Rekey:AdminToken=" + RekeyHost.AdminToken);

    [Fact]
    public async Task killed_under_load_the_server_loses_no_acknowledged_update_and_forks_no_chain()
    {
        var (server, baseAddress) = await StartAsync();
        long serviceId;
        List<TestClient> clients;
        using (var admin = RekeyHost.AdminClientFor(baseAddress))
        {
            serviceId = await admin.CreateServiceAsync();
            clients = [await admin.CreateClientAsync(serviceId), await admin.CreateClientAsync(serviceId)];
        }

        var answers = new ConcurrentQueue<Answer>();
        const int rounds = 2;
        for (var round = 1; round <= rounds; round++)
        {
            using var admin = RekeyHost.AdminClientFor(baseAddress);
            var stopping = false;
            var load = Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
            {
                for (var i = 0; !Volatile.Read(ref stopping); i++)
                {
                    var client = caller % 2;
                    var secret = $"kill-{round}-{caller}-{i}";
                    try
                    {
                        using var response = await admin.PostAsync($"/api/{serviceId}/client/secret/update/{clients[client].ClientId}", Wire.Json($$"""{"clientSecret":"{{secret}}"}"""));
                        var text = await response.Content.ReadAsStringAsync();
                        answers.Enqueue(new Answer(client, secret, response.StatusCode, JsonNode.Parse(text) as JsonObject ?? []));
                    }
                    catch (HttpRequestException)
                    {
                        // The server died with this update in flight: it may or may not have been written.
                        answers.Enqueue(new Answer(client, secret, null, []));
                        return;
                    }
                }
            })).ToList();

            await Waits.UntilAsync(() => answers.Count(a => a.Status == HttpStatusCode.OK) >= round * 300, $"300 updates in round {round}");
            server.Dispose();
            Volatile.Write(ref stopping, true);
            await Task.WhenAll(load);
            output.WriteLine($"killed in round {round} after {answers.Count(a => a.Status == HttpStatusCode.OK)} acknowledged updates; {answers.Count(a => a.Status is null)} in flight so far");
            (server, baseAddress) = await StartAsync();
        }

        using (server)
        using (var admin = RekeyHost.AdminClientFor(baseAddress))
        {
            var all = answers.ToList();
            Assert.All(all.Where(a => a.Status is not null), a => Assert.Equal(HttpStatusCode.OK, a.Status));
            for (var client = 0; client < 2; client++)
            {
                var mine = all.Where(a => a.Client == client).ToList();
                var clientId = clients[client].ClientId;
                var final = await admin.CurrentSecretAsync(serviceId, clientId);
                var acknowledged = mine.Where(a => a.Status == HttpStatusCode.OK).ToList();
                Assert.All(acknowledged, a => Assert.Equal(a.Secret, a.Body["newClientSecret"]?.GetValue<string>()));
                output.WriteLine(ChainAssert.History(clients[client].Secret, final, await SuccessfulUpdatesAsync(admin, serviceId, clientId),
                    [.. acknowledged.Select(a => (a.Old, a.Secret))], mine.Where(a => a.Status is null).Select(a => a.Secret).ToHashSet(StringComparer.Ordinal),
                    new HashSet<string>(StringComparer.Ordinal)));
            }
        }
    }

    /// <summary>The client's successful secret updates, as its audit trail counts them (written in the update's own transaction).</summary>
    private static async Task<long> SuccessfulUpdatesAsync(HttpClient admin, long serviceId, long clientId)
    {
        long count = 0;
        for (var start = 0; ; start += 1000)
        {
            var (status, body) = await admin.GetForJsonAsync($"/api/{serviceId}/audit/get/list?clientId={clientId}&action=client.secret.update&start={start}&end={start + 1000}");
            Assert.Equal(HttpStatusCode.OK, status);
            var events = body["events"]!.AsArray();
            count += events.Count(e => e?["outcome"]?.GetValue<string>() == "success");
            if (events.Count < 1000)
            {
                return count;
            }
        }
    }
}
