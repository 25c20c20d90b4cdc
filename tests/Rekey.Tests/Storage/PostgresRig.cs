namespace Rekey.Tests.Storage;

/// <summary>
/// A cluster a test class starts for itself: outage and crash tests stop it, which would fail every other PostgreSQL
/// test if it were the shared one. The tests of one class run one after the other, and each leaves it running.
/// </summary>
public abstract class OwnPostgresCluster(string? configuration = null) : IAsyncLifetime
{
    private PostgresCluster? _cluster;

    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _cluster = await PostgresCluster.StartNewAsync(configuration);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>What the outage and crash tests start from: servers on a fresh database of a cluster, one service, and its clients.</summary>
internal sealed record PostgresRig(PostgresTestStore Store, IReadOnlyList<RekeyHost> Nodes, IReadOnlyList<HttpClient> Admins, long ServiceId, IReadOnlyList<TestClient> Clients)
    : IAsyncDisposable
{
    public RekeyHost Host => Nodes[0];

    public HttpClient Admin => Admins[0];

    public TestClient Client => Clients[0];

    public long ClientId => Client.ClientId;

    private static readonly Dictionary<string, string?> QuietNode = new() { ["Rekey:Webhooks:PollIntervalMilliseconds"] = "60000" };

    public static async Task<PostgresRig> StartAsync(PostgresCluster cluster, int nodes = 1, int clients = 1)
    {
        var store = await PostgresTestStore.CreateAsync(cluster);
        var hosts = new List<RekeyHost>();
        for (var i = 0; i < nodes; i++)
        {
            // Nodes whose webhook dispatcher looks for due deliveries once a minute, not every second: the crash tests
            // need a database that nothing touches while an update waits, and with the default poll the scenario of
            // PostgresCrashTests (the update's WAL still only in the server's buffers at the crash) stopped happening.
            hosts.Add(await RekeyHost.StartAsync(store, QuietNode));
        }

        var admins = hosts.Select(h => h.CreateAdminClient()).ToList();
        var serviceId = await admins[0].CreateServiceAsync();
        var created = new List<TestClient>();
        for (var i = 0; i < clients; i++)
        {
            created.Add(await admins[0].CreateClientAsync(serviceId));
        }

        return new PostgresRig(store, hosts, admins, serviceId, created);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var admin in Admins)
        {
            admin.Dispose();
        }

        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        await Store.DisposeAsync();
    }
}

/// <summary>Waits on the state of a test cluster.</summary>
internal static class PostgresWaits
{
    /// <summary>
    /// The backend of <paramref name="database"/> (other than <paramref name="except"/>) waiting for a lock to insert an
    /// audit event, with its transaction ID.
    /// </summary>
    public static async Task<(int Pid, long Xid)> AuditWaiterAsync(PostgresCluster cluster, string database, int? except)
    {
        (int, long)? found = null;
        await Waits.UntilAsync(async () =>
        {
            await using var connection = new Npgsql.NpgsqlConnection(cluster.AdminConnectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("""
                SELECT pid, COALESCE(backend_xid::text::bigint, 0) FROM pg_stat_activity
                WHERE datname = @d AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO audit_events%' AND pid <> @except
                """, connection);
            command.Parameters.AddWithValue("d", database);
            command.Parameters.AddWithValue("except", except ?? 0);
            await using var reader = await command.ExecuteReaderAsync();
            found = await reader.ReadAsync() ? (reader.GetInt32(0), reader.GetInt64(1)) : null;
            return found is not null;
        }, "an update waiting at its audit event");
        return found ?? throw new InvalidOperationException("unreachable");
    }
}
