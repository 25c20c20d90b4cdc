using System.Diagnostics;
using System.Globalization;

namespace Rekey.Bench.Hosts;

/// <summary>
/// A throwaway PostgreSQL cluster for one run: <c>initdb</c> into the run's work directory, <c>postgres</c> in the
/// foreground under the same guard as every other server, listening on a free loopback port, default durability
/// (<c>fsync=on</c>, <c>synchronous_commit=on</c>). Two databases: <c>pgbench</c> (initialised at scale 1) and
/// <c>rekey</c> (empty, for the server's own migrations). As root, every PostgreSQL program runs as the
/// <c>postgres</c> user through <c>setpriv</c>, since PostgreSQL refuses to run as root.
/// </summary>
internal sealed class PostgresCluster
{
    private PostgresCluster(ChildProcess process, string bin, int port, IReadOnlyList<string> runAs)
    {
        Process = process;
        Bin = bin;
        Port = port;
        RunAs = runAs;
    }

    public ChildProcess Process { get; }

    public string Bin { get; }

    public int Port { get; }

    private IReadOnlyList<string> RunAs { get; }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=100";

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
        var process = await fixtures.StartCommandAsync("postgres",
            [.. runAs, Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-k", directory,
             "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
            new Uri($"postgres://127.0.0.1:{port}/"),
            async token => await TryRunAsync([Path.Combine(bin, "pg_isready"), "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-q"], token),
            ct);
        var cluster = new PostgresCluster(process, bin, port, runAs);
        await cluster.PsqlAsync("CREATE DATABASE pgbench", ct);
        await cluster.PsqlAsync("CREATE DATABASE rekey", ct);
        await RunAsync([cluster.Tool("pgbench"), "-i", "-q", "-s", "1", "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "pgbench"], ct);
        return cluster;
    }

    public string Tool(string name) => File.Exists(Path.Combine(Bin, name)) ? Path.Combine(Bin, name) : name;

    /// <summary>An empty database on the cluster, for a server's own migrations.</summary>
    public Task CreateDatabaseAsync(string name, CancellationToken ct) => PsqlAsync($"CREATE DATABASE {name}", ct);

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

/// <summary>A target that cannot run in this build or on this machine; the message is reported as it is.</summary>
internal sealed class TargetUnavailableException(string message) : Exception(message);
