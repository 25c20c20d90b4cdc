using System.Security.Cryptography;

namespace Rekey.Testing;

/// <summary>A fresh database (<c>rekey_test_&lt;random&gt;</c>) on a <see cref="PostgresCluster"/>, dropped afterwards.</summary>
public sealed class PostgresTestStore : TestStore
{
    private PostgresTestStore(PostgresCluster cluster, string database)
    {
        Cluster = cluster;
        Database = database;
        ConnectionString = cluster.ConnectionStringFor(database);
        DataDirectory = Directory.CreateTempSubdirectory("rekey-test-").FullName;
    }

    public PostgresCluster Cluster { get; }

    public string Database { get; }

    public string ConnectionString { get; }

    /// <summary>The server still needs a data directory of its own (admin token, nothing else when keys come from configuration).</summary>
    public string DataDirectory { get; }

    public override string Name => "postgres";

    public override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Rekey:Storage:Provider"] = "postgres",
        ["Rekey:Storage:ConnectionString"] = ConnectionString,
        ["Rekey:DataDirectory"] = DataDirectory,
    };

    /// <summary>A new, empty database on <paramref name="cluster"/> (the shared cluster by default).</summary>
    public static async Task<PostgresTestStore> CreateAsync(PostgresCluster? cluster = null)
    {
        cluster ??= await PostgresCluster.SharedAsync();
        var database = "rekey_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await cluster.ExecuteAsync($"CREATE DATABASE {database}");
        return new PostgresTestStore(cluster, database);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            // FORCE ends connections that pools of finished servers still hold.
            await Cluster.ExecuteAsync($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)");
        }
        catch (Npgsql.NpgsqlException) when (Cluster.CanStop)
        {
            // The test's own cluster is down (an outage test): it is deleted as a whole.
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS temp cleaner.
        }
    }
}
