using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Rekey.Bench.Hosts;

/// <summary>
/// A throwaway PostgreSQL cluster for one run: <c>initdb</c> into the run's work directory, <c>postgres</c> in the
/// foreground under the same guard as every other server, listening on a free loopback port, default durability
/// (<c>fsync=on</c>, <c>synchronous_commit=on</c>). One database at start, <c>pgbench</c> (initialised at scale 1);
/// each Rekey server creates an empty one of its own for its migrations (<see cref="CreateDatabaseAsync"/>). As root,
/// every PostgreSQL program runs as the <c>postgres</c> user through <c>setpriv</c>, since PostgreSQL refuses to run
/// as root. The harness reads the cluster's statistics through a connection of its own to the <c>postgres</c>
/// database, outside every measured window.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>
    /// How long after a window the harness waits before it reads <c>pg_stat_database</c>. Since PostgreSQL 15 the
    /// cumulative statistics live in shared memory, and each backend flushes what it counted there when it goes idle,
    /// but not more often than once per <c>PGSTAT_MIN_INTERVAL</c> (1 s, a compile-time constant); an idle backend with
    /// something left to flush sets a timer for the rest of that second. So a transaction's count is visible about a
    /// second after it ended (later when the machine is starved: <see cref="SettledTransactionsAsync"/> reads again),
    /// whatever <c>stats_fetch_consistency</c> says (that only decides whether a reader sees a snapshot within its own
    /// transaction; each reading here is a transaction of its own).
    /// </summary>
    public static readonly TimeSpan StatisticsFlush = TimeSpan.FromMilliseconds(1200);

    /// <summary>Between two readings of a count that is settling: the change feeds' heartbeats add about 1.5 per node meanwhile.</summary>
    public static readonly TimeSpan SettleInterval = TimeSpan.FromMilliseconds(300);

    private readonly NpgsqlDataSource _harness;

    private PostgresCluster(ChildProcess process, string bin, int port, IReadOnlyList<string> runAs)
    {
        Process = process;
        Bin = bin;
        Port = port;
        RunAs = runAs;
        _harness = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(ConnectionString("postgres", "rekey-bench")) { MaxPoolSize = 2 }.ConnectionString);
    }

    /// <summary>The postmaster (<c>setpriv</c> executes it in place, so the guard's child is the postmaster itself).</summary>
    public ChildProcess Process { get; }

    public string Bin { get; }

    public int Port { get; }

    private IReadOnlyList<string> RunAs { get; }

    /// <summary>A connection string to <paramref name="database"/>; <paramref name="applicationName"/> names the connections in <c>pg_stat_activity</c>.</summary>
    public string ConnectionString(string database, string? applicationName = null) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=100" + (applicationName is null ? "" : $";Application Name={applicationName}");

    /// <summary>The directory of <c>initdb</c>, <c>postgres</c> and <c>pgbench</c>, or null when PostgreSQL is not installed.</summary>
    public static string? FindBin()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderByDescending(d => d, StringComparer.Ordinal)
            : Enumerable.Empty<string>();
        return candidates.Append("/usr/local/bin").Append("/usr/bin")
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")));
    }

    public static async Task<PostgresCluster> StartAsync(Fixtures fixtures, CancellationToken ct)
    {
        var bin = FindBin() ?? throw new TargetUnavailableException("not available: PostgreSQL is not installed (initdb and postgres not found; .ci/run installs Debian's postgresql)");
        var directory = Path.Combine(fixtures.WorkDirectory, "postgres");
        var data = Path.Combine(directory, "data");
        Directory.CreateDirectory(directory);
        IReadOnlyList<string> runAs = Environment.UserName == "root" ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : [];
        if (runAs.Count > 0)
        {
            await RunAsync(["chown", "postgres:postgres", directory], ct);
        }

        await RunAsync([.. runAs, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], ct);
        var port = FreePort();

        // Every Rekey server's pool grows to about 65 connections during its set-up (64 client creations at once) and
        // keeps them while they are used within Npgsql's idle lifetime (5 minutes): four servers share the cluster in a
        // scaleout run, six in a full "all" run, beside pgbench's clients. 200 was exhausted ("too many clients").
        var process = await fixtures.StartCommandAsync("postgres",
            [.. runAs, Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-k", directory,
             "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=500"],
            new Uri($"postgres://127.0.0.1:{port}/"),
            async token => await TryRunAsync([Path.Combine(bin, "pg_isready"), "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-q"], token),
            ct);
        var cluster = new PostgresCluster(process, bin, port, runAs);
        await cluster.PsqlAsync("CREATE DATABASE pgbench", ct);
        await RunAsync([cluster.Tool("pgbench"), "-i", "-q", "-s", "1", "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "pgbench"], ct);
        return cluster;
    }

    public string Tool(string name) => File.Exists(Path.Combine(Bin, name)) ? Path.Combine(Bin, name) : name;

    /// <summary>An empty database on the cluster, for a server's own migrations.</summary>
    public Task CreateDatabaseAsync(string name, CancellationToken ct) => PsqlAsync($"CREATE DATABASE {name}", ct);

    /// <summary>
    /// CPU ticks (user + system) of the whole cluster: the postmaster and every process it started (backends of every
    /// database, WAL writer, checkpointer, …), read from <c>/proc</c>.
    /// </summary>
    public long CpuTicks() => ProcStat.Tree(Process.Pid).Sum(pid => ProcStat.ProcessTicks(pid) ?? 0);

    /// <summary>
    /// Transactions of <paramref name="database"/> so far (<c>xact_commit + xact_rollback</c> of <c>pg_stat_database</c>):
    /// as its backends flushed them (see <see cref="StatisticsFlush"/>).
    /// </summary>
    public async Task<long> TransactionsAsync(string database, CancellationToken ct) =>
        await ScalarAsync<long>("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", ct, database);

    /// <summary>
    /// <see cref="TransactionsAsync"/> once a window's counts are all flushed: <see cref="StatisticsFlush"/> after it,
    /// then again every <see cref="SettleInterval"/> until a reading adds no more than the change feeds' heartbeats
    /// would (at most <paramref name="heartbeats"/>), or 5 s have passed.
    /// </summary>
    public async Task<long> SettledTransactionsAsync(string database, int heartbeats, CancellationToken ct)
    {
        await Task.Delay(StatisticsFlush, ct);
        var last = await TransactionsAsync(database, ct);
        for (var waited = StatisticsFlush; waited < TimeSpan.FromSeconds(5); waited += SettleInterval)
        {
            await Task.Delay(SettleInterval, ct);
            var next = await TransactionsAsync(database, ct);
            if (next - last <= heartbeats)
            {
                return next;
            }

            last = next;
        }

        return last;
    }

    /// <summary>One value from the harness's own connection (positional parameters <c>$1</c>, <c>$2</c>, …).</summary>
    public async Task<T> ScalarAsync<T>(string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = _harness.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteScalarAsync(ct) switch
        {
            T value => value,
            var other => throw new InvalidOperationException($"{sql} answered {other ?? "nothing"}, not a {typeof(T).Name}."),
        };
    }

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    private Task PsqlAsync(string sql, CancellationToken ct) =>
        RunAsync([Tool("psql"), "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], ct);

    /// <summary>Runs a command to completion; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        var (code, output) = await ExecAsync(command, ct);
        return code == 0 ? output : throw new InvalidOperationException($"{string.Join(' ', command.Take(6))} … exited with {code}: {output.Trim()}");
    }

    private static async Task<bool> TryRunAsync(IReadOnlyList<string> command, CancellationToken ct) => (await ExecAsync(command, ct)).Code == 0;

    public static async Task<(int Code, string Output)> ExecAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("Could not start " + command[0]);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A database of the run's cluster that a Rekey server uses: what its targets' database figures are read from.</summary>
internal sealed record PostgresDatabase(PostgresCluster Cluster, string Name);

/// <summary>A target that cannot run in this build or on this machine; the message is reported as it is.</summary>
internal sealed class TargetUnavailableException(string message) : Exception(message);
