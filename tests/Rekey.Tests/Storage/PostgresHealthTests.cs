using System.Diagnostics;
using System.Net;

namespace Rekey.Tests.Storage;

/// <summary>
/// Probes and the start against a PostgreSQL that goes away or is not there yet: a database outage makes a node not
/// ready (503) but never not live, and a node started before its database waits for it.
/// </summary>
[RequiresPostgres(OwnCluster = true)]
public sealed class PostgresHealthTests(PostgresHealthTests.OwnCluster own) : IClassFixture<PostgresHealthTests.OwnCluster>
{
    /// <summary>A cluster of this class's own (see <see cref="OwnPostgresCluster"/>).</summary>
    public sealed class OwnCluster() : OwnPostgresCluster();

    private static readonly string MasterKey = "k1:" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task with_postgresql_stopped_live_answers_200_and_ready_503_and_ready_is_200_again_once_it_is_back_without_a_restart()
    {
        var cluster = own.Cluster;
        await using var rig = await PostgresRig.StartAsync(cluster);
        using var anonymous = rig.Host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetForJsonAsync("/health/ready")).Status);

        await cluster.StopAsync();
        try
        {
            var (liveStatus, liveBody) = await anonymous.GetForJsonAsync("/health/live");
            var ready = Stopwatch.StartNew();
            var (readyStatus, readyBody) = await anonymous.GetForJsonAsync("/health/ready");
            ready.Stop();
            var (adminStatus, adminBody) = await rig.Admin.GetForJsonAsync("/health/ready");

            Assert.Equal(HttpStatusCode.OK, liveStatus);
            Assert.Equal("ok", liveBody["status"]?.GetValue<string>());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
            Assert.Equal(["status"], readyBody.Select(p => p.Key));
            Assert.Equal("unavailable", readyBody["status"]?.GetValue<string>());
            Assert.True(ready.Elapsed < TimeSpan.FromSeconds(5), $"/health/ready took {ready.Elapsed} during the outage");
            // The organisation still learns which build is not ready, and the schema version its start migrated to.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, adminStatus);
            Assert.Equal(["status", "version", "schemaVersion"], adminBody.Select(p => p.Key));
            Assert.Equal("unavailable", adminBody["status"]?.GetValue<string>());
        }
        finally
        {
            await cluster.StartAsync();
        }

        await Waits.UntilAsync(async () => (await anonymous.GetForJsonAsync("/health/ready")).Status == HttpStatusCode.OK, "/health/ready 200 once PostgreSQL is back");
        var (status, body) = await rig.Admin.GetForJsonAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Rekey.Server.Storage.Migrations.Latest("postgres"), body["schemaVersion"]?.GetValue<int>());
        Assert.Equal(rig.Client.Secret, await rig.Admin.CurrentSecretAsync(rig.ServiceId, rig.ClientId));
    }

    [Fact]
    public async Task a_server_started_before_its_database_waits_for_it_and_then_serves()
    {
        var cluster = own.Cluster;
        await using var store = await PostgresTestStore.CreateAsync(cluster);
        using var work = new TempDirectory();
        await cluster.StopAsync();
        Task<(ProgramProcess Server, Uri BaseAddress)> starting;
        try
        {
            starting = ProgramProcess.StartServerAsync(work.Path, "--Rekey:Storage:Provider=postgres", "--Rekey:Storage:ConnectionString=" + store.ConnectionString,
                "--Rekey:DataDirectory=" + store.DataDirectory, "--Rekey:MasterKeys:0=" + MasterKey, "--Rekey:AdminToken=" + RekeyHost.AdminToken,
                "--Rekey:Storage:StartupTimeoutSeconds=60");
            // Long enough for the server to have found the database missing and be waiting (the test asserts it logged so).
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.False(starting.IsCompleted, "the server listened (or exited) before its database was up");
        }
        finally
        {
            await cluster.StartAsync();
        }

        var (server, baseAddress) = await starting;
        using (server)
        {
            using var admin = RekeyHost.AdminClientFor(baseAddress);
            var serviceId = await admin.CreateServiceAsync();
            var client = await admin.CreateClientAsync(serviceId);

            Assert.Equal(client.Secret, await admin.CurrentSecretAsync(serviceId, client.ClientId));
            Assert.Equal(HttpStatusCode.OK, (await admin.GetForJsonAsync("/health/ready")).Status);
            Assert.Contains(server.Stdout, l => l.Contains("The store does not answer yet; waiting up to 60 s", StringComparison.Ordinal));
            Assert.Contains(server.Stdout, l => l.Contains("The store answered after", StringComparison.Ordinal));
            Assert.DoesNotContain(store.ConnectionString.Split("Password=")[1].Split(';')[0], server.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>A temporary working directory for a server process, deleted afterwards.</summary>
    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("rekey-wait-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
