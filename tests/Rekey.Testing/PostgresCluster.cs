using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace Rekey.Testing;

/// <summary>
/// A PostgreSQL server for the tests. By default a throwaway cluster: <c>initdb</c> into a temporary directory,
/// <c>pg_ctl start</c> on a free loopback port (TCP on 127.0.0.1 only, the unix socket inside that directory,
/// SCRAM with a random password), run as an unprivileged user when the tests run as root (initdb refuses root),
/// stopped and deleted when the test process exits — or, should the process be killed, by a small watchdog.
/// When <c>REKEY_TEST_POSTGRES</c> holds a connection string, the shared cluster is that server instead
/// (its user needs CREATEDB); outage tests still start their own cluster, since they stop it.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    public const string ConnectionStringVariable = "REKEY_TEST_POSTGRES";
    public const string BinDirectoryVariable = "REKEY_TEST_POSTGRES_BIN";

    private static readonly Lazy<Task<PostgresCluster>> Shared = new(() => Environment.GetEnvironmentVariable(ConnectionStringVariable) is { Length: > 0 } external
        ? Task.FromResult(new PostgresCluster(external))
        : StartNewAsync());

    private static readonly Lazy<string?> Bin = new(FindBinDirectory);

    private readonly string? _directory;
    private readonly string? _bin;
    private readonly RunAs? _runAs;
    private readonly NpgsqlConnectionStringBuilder _admin;
    private int _disposed;

    private PostgresCluster(string connectionString)
    {
        _admin = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
    }

    private PostgresCluster(string directory, string bin, RunAs? runAs, string password)
    {
        _directory = directory;
        _bin = bin;
        _runAs = runAs;
        _admin = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Username = "postgres",
            Password = password,
            Database = "postgres",
            Pooling = false,
            Timeout = 5,
        };
    }

    /// <summary>
    /// Why PostgreSQL tests cannot run here, or null when they can. Under <c>CI=true</c> always null: there a missing
    /// PostgreSQL must fail the run, not quietly skip half of it.
    /// </summary>
    public static string? SkipReason =>
        Bin.Value is not null || Environment.GetEnvironmentVariable(ConnectionStringVariable) is { Length: > 0 } || IsCi
            ? null
            : $"PostgreSQL binaries (initdb, pg_ctl) not found in ${BinDirectoryVariable}, /usr/lib/postgresql/*/bin or PATH, and ${ConnectionStringVariable} is not set. "
              + "Install PostgreSQL (Debian: apt-get install postgresql) or point the variable at a server; under CI=true these tests fail instead.";

    /// <summary>Why tests that start and stop their own cluster cannot run here, or null.</summary>
    public static string? OwnClusterSkipReason =>
        Bin.Value is not null || IsCi ? null : SkipReason ?? $"PostgreSQL binaries (initdb, pg_ctl) not found; this test stops its own cluster, so ${ConnectionStringVariable} cannot stand in.";

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A connection string for the <c>postgres</c> database as superuser (no pooling: the cluster may stop).</summary>
    public string AdminConnectionString => _admin.ConnectionString;

    /// <summary>True for a cluster this process started, which it can stop and start again.</summary>
    public bool CanStop => _directory is not null;

    /// <summary>Where initdb, pg_ctl (and normally pg_dump) were found, or null.</summary>
    public static string? BinDirectory => Bin.Value;

    /// <summary>The data directory of a cluster this process started; null for a server given by <c>REKEY_TEST_POSTGRES</c>.</summary>
    public string? DataDirectoryPath => _directory is null ? null : DataDirectory;

    /// <summary>The cluster every PostgreSQL test shares (one per test run).</summary>
    public static Task<PostgresCluster> SharedAsync() => Shared.Value;

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = true }.ConnectionString;

    /// <summary>Runs one statement on the <c>postgres</c> database.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Starts a new cluster of its own (outage tests stop it). <paramref name="configuration"/> adds lines to its
    /// postgresql.conf (crash tests turn off what would flush the WAL behind their back).
    /// </summary>
    public static async Task<PostgresCluster> StartNewAsync(string? configuration = null)
    {
        var bin = Bin.Value ?? throw new InvalidOperationException(
            $"Cannot start a PostgreSQL cluster: initdb and pg_ctl were not found (set ${BinDirectoryVariable}, install PostgreSQL, or set ${ConnectionStringVariable}).");
        var runAs = Environment.IsPrivilegedProcess ? await RunAs.FindAsync() : null;
        var directory = Directory.CreateTempSubdirectory("rekey-pg-").FullName;
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var cluster = new PostgresCluster(directory, bin, runAs, password);
        try
        {
            await cluster.InitAsync(password, configuration);
            for (var attempt = 1; ; attempt++)
            {
                // A port found free a moment ago may be taken by now (other test processes bind port 0 too): try another.
                cluster._admin.Port = Ports.Unused();
                try
                {
                    await cluster.StartAsync();
                    break;
                }
                catch (InvalidOperationException ex) when (attempt < 5 && ex.Message.Contains("could not bind", StringComparison.Ordinal))
                {
                    File.Delete(cluster.LogFile);
                }
            }

            cluster.StartWatchdog();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Destroy();
            return cluster;
        }
        catch
        {
            cluster.Destroy();
            throw;
        }
    }

    private string DataDirectory => Path.Combine(_directory ?? throw NotOwned(), "data");

    private string LogFile => Path.Combine(_directory ?? throw NotOwned(), "postgres.log");


    private async Task InitAsync(string password, string? configuration)
    {
        var directory = _directory ?? throw NotOwned();
        var passwordFile = Path.Combine(directory, "pwfile");
        await File.WriteAllTextAsync(passwordFile, password + "\n");
        if (_runAs is { } user)
        {
            await RunAsync("chown", ["-R", $"{user.Uid}:{user.Gid}", directory], asUser: false);
        }

        await RunAsync(Path.Combine(_bin ?? throw NotOwned(), "initdb"),
            ["-D", DataDirectory, "-U", "postgres", "--pwfile", passwordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"], asUser: true);
        File.Delete(passwordFile);

        // Loopback TCP only, the socket in our own directory; enough connections for several test servers at once.
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), $"""

            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{directory}'
            max_connections = 200
            fsync = on
            synchronous_commit = on
            {configuration}

            """);
    }

    /// <summary>
    /// Starts the (stopped) cluster on its port and waits until it accepts connections. Without <paramref name="tcp"/>
    /// it listens on its unix socket only (<see cref="SocketConnectionStringFor"/>): the servers under test, which
    /// connect over TCP, find it still down.
    /// </summary>
    public async Task StartAsync(bool tcp = true)
    {
        var port = _admin.Port.ToString(CultureInfo.InvariantCulture);
        var options = tcp ? $"-p {port}" : $"-p {port} -c listen_addresses=''";
        await RunAsync(Path.Combine(_bin ?? throw NotOwned(), "pg_ctl"), ["-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60", "start"], asUser: true);
    }

    /// <summary>Crashes the cluster (<c>pg_ctl stop -m immediate</c>): no checkpoint; the next start runs crash recovery.</summary>
    public async Task CrashAsync()
    {
        await RunAsync(Path.Combine(_bin ?? throw NotOwned(), "pg_ctl"), ["-D", DataDirectory, "-w", "-t", "60", "-m", "immediate", "stop"], asUser: true);
    }

    /// <summary>A superuser connection string for <paramref name="database"/> over the cluster's unix socket (no pooling).</summary>
    public string SocketConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Host = _directory ?? throw NotOwned(), Database = database, Pooling = false }.ConnectionString;

    /// <summary>Stops the cluster like an operator would (<c>pg_ctl stop -m fast</c>): sessions are terminated, then a checkpoint.</summary>
    public async Task StopAsync()
    {
        await RunAsync(Path.Combine(_bin ?? throw NotOwned(), "pg_ctl"), ["-D", DataDirectory, "-w", "-t", "60", "-m", "fast", "stop"], asUser: true);
    }

    public ValueTask DisposeAsync()
    {
        Destroy();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops the server at once and deletes its directory; synchronous, so that it also works at process exit.</summary>
    private void Destroy()
    {
        if (_directory is null || Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            RunAsync(Path.Combine(_bin ?? throw NotOwned(), "pg_ctl"), ["-D", DataDirectory, "-w", "-m", "immediate", "stop"], asUser: true, check: false).GetAwaiter().GetResult();
        }
        finally
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Files still being written by a server on its way down: the watchdog removes the directory later.
            }
        }
    }

    /// <summary>If this process dies without running its exit handlers (kill -9), a shell stops the cluster for it.</summary>
    private void StartWatchdog()
    {
        var pgCtl = Path.Combine(_bin ?? throw NotOwned(), "pg_ctl");
        var stop = _runAs is { } user ? $"setpriv --reuid={user.Uid} --regid={user.Gid} --clear-groups {Quote(pgCtl)}" : Quote(pgCtl);
        var script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 2; done; "
            + $"{stop} -D {Quote(DataDirectory)} -m immediate stop; rm -rf {Quote(_directory ?? throw NotOwned())}";
        var start = new ProcessStartInfo("sh", ["-c", script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start);
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private async Task RunAsync(string file, IReadOnlyList<string> arguments, bool asUser, bool check = true)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory ?? Path.GetTempPath(),
        };
        if (asUser && _runAs is { } user)
        {
            start.FileName = "setpriv";
            foreach (var arg in (string[])[$"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", file])
            {
                start.ArgumentList.Add(arg);
            }
        }
        else
        {
            start.FileName = file;
        }

        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (check && process.ExitCode != 0)
        {
            var log = File.Exists(LogFileOrNull) ? await File.ReadAllTextAsync(LogFileOrNull) : "";
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await output}\n{await error}\nserver log:\n{log}");
        }
    }

    private string LogFileOrNull => _directory is null ? "" : Path.Combine(_directory, "postgres.log");

    private static InvalidOperationException NotOwned() =>
        new("This PostgreSQL server was not started by the tests (REKEY_TEST_POSTGRES): it cannot be stopped or started here.");

    /// <summary>Where initdb and pg_ctl live: the variable, Debian's versioned directories (newest first), other usual places, PATH.</summary>
    private static string? FindBinDirectory()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(BinDirectoryVariable) is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        foreach (var root in (string[])["/usr/lib/postgresql", "/usr/pgsql"])
        {
            if (Directory.Exists(root))
            {
                candidates.AddRange(Directory.GetDirectories(root)
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(d).Split('.')[0], out var v) ? v : 0)
                    .Select(d => Path.Combine(d, "bin")));
            }
        }

        candidates.AddRange(Directory.Exists("/usr") ? Directory.GetDirectories("/usr", "pgsql-*").OrderDescending().Select(d => Path.Combine(d, "bin")) : []);
        candidates.Add("/usr/local/pgsql/bin");
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>The unprivileged account the cluster runs as when the tests run as root.</summary>
    private sealed record RunAs(string Uid, string Gid)
    {
        public static async Task<RunAs> FindAsync()
        {
            foreach (var name in (string[])["postgres", "nobody"])
            {
                var uid = await IdAsync("-u", name);
                var gid = await IdAsync("-g", name);
                if (uid is not null && gid is not null)
                {
                    return new RunAs(uid, gid);
                }
            }

            throw new InvalidOperationException("Running as root, and neither a 'postgres' nor a 'nobody' account exists to run PostgreSQL as (initdb refuses root).");
        }

        private static async Task<string?> IdAsync(string flag, string name)
        {
            var start = new ProcessStartInfo("id", [flag, name]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var output = (await process.StandardOutput.ReadToEndAsync()).Trim();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
    }
}
