using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Rekey.Tests.Security;

/// <summary>
/// <see cref="StoreAccess"/> for PostgreSQL: each store is a fresh database on the shared test cluster
/// (<see cref="PostgresTestStore"/>), reached with Npgsql behind the server's back. What the store keeps is read two
/// ways: a plain-format <c>pg_dump</c> of the database (what a backup holds: every table as text, with every bytea
/// value also decoded, so that a secret stored as bytes would show too), and — on a cluster the tests started — the
/// cluster's data directory itself, byte for byte after a <c>CHECKPOINT</c>: this database's files, the WAL and
/// everything else the server writes, except other databases' directories. Files not modified since the database
/// was created are skipped: they cannot hold anything written to it.
/// </summary>
public sealed partial class PostgresStoreAccess : StoreAccess
{
    /// <summary>When each store was created (database name → time, less a margin for the file system's clock).</summary>
    private static readonly ConcurrentDictionary<string, DateTime> Created = new(StringComparer.Ordinal);

    public override async Task<TestStore> NewStoreAsync()
    {
        var since = DateTime.UtcNow.AddSeconds(-2);
        var store = await PostgresTestStore.CreateAsync();
        Created[store.Database] = since;
        return store;
    }

    private static PostgresTestStore Postgres(TestStore store) => (PostgresTestStore)store;

    // No pooling: the database is dropped with FORCE at the end, and a pooled connection to it would be left dead.
    private static async Task<NpgsqlConnection> OpenAsync(TestStore store)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Postgres(store).ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<int> ExecuteAsync(TestStore store, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(store);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync();
    }

    public override async IAsyncEnumerable<StoredBytes> ReadAllBytesAsync(TestStore store)
    {
        var postgres = Postgres(store);
        var dump = await DumpAsync(postgres);
        yield return new StoredBytes("pg_dump", postgres.Database + ".sql", Encoding.UTF8.GetBytes(dump));
        yield return new StoredBytes("pg_dump", "bytea values, decoded", [.. ByteaLiteral().Matches(dump).SelectMany(m => Convert.FromHexString(m.Groups[1].ValueSpan))]);

        if (postgres.Cluster.DataDirectoryPath is not { } dataDirectory)
        {
            // A server given by REKEY_TEST_POSTGRES: its files are not ours to read; the dump is the whole scan.
            yield break;
        }

        // Everything in shared buffers to the data files (the WAL has it already).
        await postgres.Cluster.ExecuteAsync("CHECKPOINT");
        long oid;
        await using (var connection = await OpenAsync(store))
        await using (var command = new NpgsqlCommand("SELECT oid::bigint FROM pg_database WHERE datname = current_database()", connection))
        {
            oid = (long)(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException("no database OID"));
        }

        var ownDirectory = Path.Combine(dataDirectory, "base", oid.ToString(CultureInfo.InvariantCulture));
        var since = Created.TryGetValue(postgres.Database, out var created) ? created : DateTime.MinValue;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 };
        var files = Directory.EnumerateFiles(dataDirectory, "*", options)
            .Where(f => !IsOtherDatabase(dataDirectory, ownDirectory, f))
            .ToList();
        var read = 0;
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                if (File.GetLastWriteTimeUtc(file) < since)
                {
                    continue;
                }

                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer);
                bytes = buffer.ToArray();
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // Removed while we looked (a recycled WAL segment, a temporary statistics file).
                continue;
            }

            read++;
            yield return new StoredBytes("data directory", Path.GetRelativePath(dataDirectory, file), bytes);
        }

        Assert.True(read > 0, $"nothing read from {dataDirectory}");
    }

    /// <summary>A file under <c>base/&lt;oid&gt;</c> of another database (other tests' stores, the templates).</summary>
    private static bool IsOtherDatabase(string dataDirectory, string ownDirectory, string file)
    {
        var relative = Path.GetRelativePath(Path.Combine(dataDirectory, "base"), file);
        return !relative.StartsWith("..", StringComparison.Ordinal) && !file.StartsWith(ownDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>A bytea value in pg_dump's COPY text: <c>\\x</c> and hex digits (the backslash is escaped by COPY).</summary>
    [GeneratedRegex(@"\\\\x((?:[0-9a-f]{2})+)")]
    private static partial Regex ByteaLiteral();

    /// <summary>
    /// A plain-format dump of the database, by the pg_dump beside initdb, over TCP with the store's own credentials
    /// (PGPASSWORD), so it runs as whoever runs the tests.
    /// </summary>
    private static async Task<string> DumpAsync(PostgresTestStore store)
    {
        var connection = new NpgsqlConnectionStringBuilder(store.ConnectionString);
        var pgDump = FindPgDump();
        var start = new ProcessStartInfo(pgDump)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--format=plain", "--no-password", "--host", connection.Host ?? "127.0.0.1", "--port", connection.Port.ToString(CultureInfo.InvariantCulture),
                     "--username", connection.Username ?? "postgres", "--dbname", store.Database])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PGPASSWORD"] = connection.Password ?? "";
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start pg_dump");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"pg_dump failed ({process.ExitCode}): {await error}");
        var dump = await output;
        Assert.Contains("COPY public.clients", dump, StringComparison.Ordinal);
        return dump;
    }

    private static string FindPgDump()
    {
        var candidates = new List<string>();
        if (PostgresCluster.BinDirectory is { } bin)
        {
            candidates.Add(bin);
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return candidates.Select(d => Path.Combine(d, "pg_dump")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"pg_dump not found beside initdb ({PostgresCluster.BinDirectory ?? "not found"}) or on PATH.");
    }

    public override async Task CopyCurrentSecretAsync(TestStore store, long fromClientId, long toClientId)
    {
        var changed = await ExecuteAsync(store, CopySecretsSql.Replace('$', '@'), ("from", fromClientId), ("to", toClientId));
        Assert.Equal(1, changed);
    }

    public override async Task<int> ExecuteAsync(TestStore store, string sql)
    {
        await using var connection = await OpenAsync(store);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync();
    }

    public override async Task<IReadOnlyDictionary<string, string>> DataKeyMastersAsync(TestStore store)
    {
        await using var connection = await OpenAsync(store);
        await using var command = new NpgsqlCommand(DataKeyMastersSql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            AddMaster(result, reader.GetString(0), reader.GetString(1));
        }

        return result;
    }

    public override async Task<IReadOnlyDictionary<long, long?>> LastUsedAsync(TestStore store, long clientId)
    {
        await using var connection = await OpenAsync(store);
        await using var command = new NpgsqlCommand(LastUsedSql.Replace('$', '@'), connection);
        command.Parameters.AddWithValue("c", clientId);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new Dictionary<long, long?>();
        while (await reader.ReadAsync())
        {
            result[reader.GetInt64(0)] = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        }

        return result;
    }

    public override async Task<IAsyncDisposable> FailAuditEventsAsync(TestStore store, string action)
    {
        var name = "fail_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        await ExecuteAsync(store, $"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$;
            CREATE TRIGGER {name} BEFORE INSERT ON audit_events FOR EACH ROW WHEN (NEW.action = '{action.Replace("'", "''", StringComparison.Ordinal)}') EXECUTE FUNCTION {name}();
            """);
        return new AsyncUndo(() => ExecuteAsync(store, $"DROP TRIGGER {name} ON audit_events; DROP FUNCTION {name}();"));
    }
}
