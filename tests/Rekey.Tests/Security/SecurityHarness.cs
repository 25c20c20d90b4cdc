using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rekey.Server.Secrets;

namespace Rekey.Tests.Security;

/// <summary>
/// What the security suites need of a store beyond the API: every byte it keeps, and a way to read or tamper with
/// rows behind the server's back. One subclass per store; the suites themselves are store-agnostic.
/// </summary>
public abstract class StoreAccess
{
    /// <summary>A fresh, empty store.</summary>
    public abstract Task<TestStore> NewStoreAsync();

    /// <summary>
    /// Every byte the store keeps, for the at-rest scans, one piece at a time (a file, a dump). Each piece names its
    /// <see cref="StoredBytes.Source"/>: the scan must see clear text it knows is stored in every source it reads.
    /// </summary>
    public abstract IAsyncEnumerable<StoredBytes> ReadAllBytesAsync(TestStore store);

    /// <summary>Copies key ID, ciphertext and digest of one client's current secret onto another client's current secret.</summary>
    public abstract Task CopyCurrentSecretAsync(TestStore store, long fromClientId, long toClientId);

    /// <summary>Data key ID → the IDs of the master keys it is wrapped under, sorted and comma-separated.</summary>
    public abstract Task<IReadOnlyDictionary<string, string>> DataKeyMastersAsync(TestStore store);

    /// <summary>A client's stored secrets (and the data key of the current one) copied onto another client's row.</summary>
    protected const string CopySecretsSql = """
        UPDATE clients SET
          secrets = (SELECT f.secrets FROM clients f WHERE f.client_id = $from),
          secret_key_id = (SELECT f.secret_key_id FROM clients f WHERE f.client_id = $from)
        WHERE client_id = $to
        """;

    /// <summary>Every secret of a client with its recorded last use (none recorded: null).</summary>
    protected const string LastUsedSql = "SELECT u.secret_id, u.used_at FROM secret_uses u WHERE u.client_id = $c";

    /// <summary>Runs one statement on the store's database, behind the server's back; returns the rows changed.</summary>
    public abstract Task<int> ExecuteAsync(TestStore store, string sql);

    protected const string DataKeyMastersSql = "SELECT d.key_id, w.master_key_id FROM data_keys d JOIN data_key_wraps w ON w.key_id = d.key_id ORDER BY d.key_id, w.master_key_id";

    protected static void AddMaster(Dictionary<string, string> result, string dataKeyId, string masterKeyId) =>
        result[dataKeyId] = result.TryGetValue(dataKeyId, out var before) ? before + "," + masterKeyId : masterKeyId;

    /// <summary>The stored last-use time of every secret of a client (secret ID → epoch ms or null).</summary>
    public abstract Task<IReadOnlyDictionary<long, long?>> LastUsedAsync(TestStore store, long clientId);

    /// <summary>
    /// Makes the database itself refuse to store audit events of <paramref name="action"/> (a trigger), so that the
    /// change that writes one fails at its last statement; disposing the result removes the trigger.
    /// </summary>
    public abstract Task<IAsyncDisposable> FailAuditEventsAsync(TestStore store, string action);
}

/// <summary>Part of what a store keeps: <paramref name="Source"/> (e.g. "database files", "pg_dump"), <paramref name="Name"/> (a file).</summary>
public sealed record StoredBytes(string Source, string Name, byte[] Bytes)
{
    public override string ToString() => $"{Source}: {Name} ({Bytes.Length} bytes)";
}

/// <summary>Runs an action when disposed.</summary>
internal sealed class AsyncUndo(Func<Task> undo) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await undo();
}

public sealed class SqliteAccess : StoreAccess
{
    public override Task<TestStore> NewStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    private static SqliteTestStore Sqlite(TestStore store) => (SqliteTestStore)store;

    // Pooling off: the test's connection must not linger in the pool the server clears on shutdown.
    private static SqliteConnection Open(TestStore store)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Sqlite(store).DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout=10000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    public override async IAsyncEnumerable<StoredBytes> ReadAllBytesAsync(TestStore store)
    {
        var path = Sqlite(store).DatabasePath;
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            // The server has the files open: share them for reading and writing.
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            yield return new StoredBytes("database files", Path.GetFileName(file), buffer.ToArray());
        }
    }

    public override Task CopyCurrentSecretAsync(TestStore store, long fromClientId, long toClientId)
    {
        using var connection = Open(store);
        using var command = connection.CreateCommand();
        command.CommandText = CopySecretsSql;
        command.Parameters.AddWithValue("$from", fromClientId);
        command.Parameters.AddWithValue("$to", toClientId);
        Assert.Equal(1, command.ExecuteNonQuery());
        return Task.CompletedTask;
    }

    public override Task<int> ExecuteAsync(TestStore store, string sql)
    {
        using var connection = Open(store);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Task.FromResult(command.ExecuteNonQuery());
    }

    public override Task<IReadOnlyDictionary<string, string>> DataKeyMastersAsync(TestStore store)
    {
        using var connection = Open(store);
        using var command = connection.CreateCommand();
        command.CommandText = DataKeyMastersSql;
        using var reader = command.ExecuteReader();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            AddMaster(result, reader.GetString(0), reader.GetString(1));
        }

        return Task.FromResult<IReadOnlyDictionary<string, string>>(result);
    }

    public override Task<IReadOnlyDictionary<long, long?>> LastUsedAsync(TestStore store, long clientId)
    {
        using var connection = Open(store);
        using var command = connection.CreateCommand();
        command.CommandText = LastUsedSql;
        command.Parameters.AddWithValue("$c", clientId);
        using var reader = command.ExecuteReader();
        var result = new Dictionary<long, long?>();
        while (reader.Read())
        {
            result[reader.GetInt64(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }

        return Task.FromResult<IReadOnlyDictionary<long, long?>>(result);
    }

    public override Task<IAsyncDisposable> FailAuditEventsAsync(TestStore store, string action)
    {
        var trigger = "fail_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Execute(store, $"""
            CREATE TRIGGER {trigger} BEFORE INSERT ON audit_events WHEN NEW.action = '{action.Replace("'", "''", StringComparison.Ordinal)}'
            BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;
            """);
        return Task.FromResult<IAsyncDisposable>(new AsyncUndo(() =>
        {
            Execute(store, $"DROP TRIGGER {trigger}");
            return Task.CompletedTask;
        }));
    }

    /// <summary>Runs SQL against the file behind the server's back.</summary>
    private static void Execute(TestStore store, string sql)
    {
        using var connection = Open(store);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>
/// One store for a whole test class, for suites whose tests touch only what they create themselves (their own
/// services, clients and tokens) and count nothing across the store: each test still starts its own servers on it.
/// On PostgreSQL this saves a database (and its migration) per test.
/// </summary>
public sealed class ClassStore<TAccess> : IAsyncLifetime
    where TAccess : StoreAccess, new()
{
    private TestStore? _store;

    public TestStore Store => _store ?? throw new InvalidOperationException("The fixture has not started.");

    public async Task InitializeAsync() => _store = await new TAccess().NewStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}

/// <summary>
/// Base of the security suites: each test starts its own servers (often on a <see cref="FakeTimeProvider"/>) over
/// its own store — or, in suites that allow it, over the class's <see cref="ClassStore{TAccess}"/> — and everything
/// the test started is torn down afterwards.
/// </summary>
public abstract class SecuritySuite : IAsyncLifetime
{
    /// <summary>The fake clock starts here; far from the real clock, so that a real-clock read shows.</summary>
    public static readonly DateTimeOffset Start = new(2031, 3, 14, 9, 26, 53, TimeSpan.Zero);

    /// <summary>The master key every <see cref="RekeyHost"/> gets by default (<c>Rekey:MasterKeys:0</c>).</summary>
    public static readonly byte[] TestMasterKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private readonly List<RekeyHost> _hosts = [];
    private readonly List<TestStore> _stores = [];

    protected abstract StoreAccess Access { get; }

    protected async Task<TestStore> NewStoreAsync()
    {
        var store = await Access.NewStoreAsync();
        _stores.Add(store);
        return store;
    }

    protected async Task<RekeyHost> StartAsync(TestStore? store = null, FakeTimeProvider? time = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var host = await RekeyHost.StartAsync(store ?? await NewStoreAsync(), settings, time is null ? null : services => services.AddSingleton<TimeProvider>(time));
        _hosts.Add(host);
        return host;
    }

    protected async Task StopAsync(RekeyHost host)
    {
        _hosts.Remove(host);
        await host.DisposeAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }
}

/// <summary>What the security suites check beyond the API: verification by the running server, JSON texts, bytes.</summary>
internal static class Sec
{
    internal static async Task<bool> VerifiesAsync(this RekeyHost host, long serviceId, object clientIdentifier, string secret)
    {
        var verification = await host.GetService<SecretVerifier>().VerifyAsync(serviceId, Convert.ToString(clientIdentifier, System.Globalization.CultureInfo.InvariantCulture)!, secret, CancellationToken.None);
        return verification.Succeeded;
    }

    public static string Text(JsonNode? node, string property) =>
        node?[property]?.GetValue<string>() ?? throw new InvalidOperationException($"'{property}' missing in {node?.ToJsonString()}");

    public static string Code(JsonObject body) => Text(body, "resultCode");

    /// <summary>Every place <paramref name="needle"/> occurs in <paramref name="haystack"/> as UTF-8 or UTF-16LE.</summary>
    public static bool ContainsText(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0 || haystack.AsSpan().IndexOf(Encoding.Unicode.GetBytes(needle)) >= 0;

    public static bool ContainsBytes(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
