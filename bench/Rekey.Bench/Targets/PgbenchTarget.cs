using System.Diagnostics;
using System.Globalization;
using Rekey.Bench.Hosts;
using Rekey.Bench.Load;

namespace Rekey.Bench.Targets;

/// <summary>
/// <c>pgbench -N</c> (the built-in "simple update" script: one UPDATE of pgbench_accounts, one SELECT, one INSERT
/// into pgbench_history per transaction) at the same number of clients, on the run's cluster at scale 1. pgbench
/// drives its own load, so the load-generator CPU column does not apply; its per-transaction log (<c>-l</c>) gives
/// every latency, so percentiles are read the same way as for HTTP targets.
/// </summary>
internal sealed class PgbenchTarget(int concurrency) : Target($"pgbench-N@{concurrency}", "pgbench -N (simple update), scale 1, same cluster", concurrency)
{
    private PostgresCluster? _cluster;
    private int _runs;

    public override async Task PrepareAsync(Fixtures fixtures, HttpClient http, CancellationToken ct)
    {
        _cluster = await fixtures.GetAsync("postgres", PostgresCluster.StartAsync, ct);
        Server = _cluster.Process;
    }

    // pgbench builds its own transactions; there is no HTTP request to create.
    public override Exchange Create(long sequence) => throw new InvalidOperationException("pgbench drives its own load.");

    public override async Task<Round> MeasureAsync(HttpClient http, TimeSpan duration, bool diagnose, CancellationToken ct)
    {
        var cluster = _cluster ?? throw new InvalidOperationException("PrepareAsync first.");
        var logDirectory = Path.Combine(Path.GetDirectoryName(cluster.Process.LogPath) ?? ".", "pgbench-logs", (++_runs).ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(logDirectory);
        var prefix = Path.Combine(logDirectory, "tx");
        var seconds = Math.Max(1, (int)Math.Round(duration.TotalSeconds));
        var threads = Math.Min(Concurrency, Environment.ProcessorCount);
        var before = CpuSnapshot.Take([cluster.Process.Pid]);
        var syncs = diagnose ? SyncCounter.StartTree(cluster.Process.Pid, TimeSpan.FromSeconds(seconds)) : SyncCounter.Start([], duration);
        var clock = Stopwatch.StartNew();
        var (code, output) = await PostgresCluster.ExecAsync(
            [cluster.Tool("pgbench"), "-N", "-n", "-c", Concurrency.ToString(CultureInfo.InvariantCulture), "-j", threads.ToString(CultureInfo.InvariantCulture),
             "-T", seconds.ToString(CultureInfo.InvariantCulture), "-l", "--log-prefix", prefix,
             "-h", "127.0.0.1", "-p", cluster.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "pgbench"], ct);
        clock.Stop();
        var after = CpuSnapshot.Take([cluster.Process.Pid]);
        var syncCount = await syncs.StopAsync();

        // Log lines: client_id transaction_no latency_us script_no epoch_s epoch_us.
        var latencies = Directory.EnumerateFiles(logDirectory, "tx.*")
            .SelectMany(File.ReadLines)
            .Select(line => line.Split(' '))
            .Where(f => f.Length >= 3)
            .Select(f => long.Parse(f[2], CultureInfo.InvariantCulture) * Stopwatch.Frequency / 1_000_000)
            .Order()
            .ToArray();
        var tps = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("tps = ", StringComparison.Ordinal)) is { } line
            ? double.Parse(line[6..].Split(' ')[0], CultureInfo.InvariantCulture)
            : double.NaN;
        var failed = code != 0 || latencies.Length == 0 || double.IsNaN(tps);
        return new Round(
            Requests: latencies.Length,
            Errors: failed ? Math.Max(1, latencies.Length) : 0,
            ErrorSamples: failed ? [$"pgbench exited {code}: {output.Trim().Split('\n').LastOrDefault()}"] : [],
            // pgbench's own tps excludes connection set-up; the window is sized so that requests / seconds = tps.
            Seconds: failed || tps <= 0 ? clock.Elapsed.TotalSeconds : latencies.Length / tps,
            LatenciesTicks: latencies,
            Cpu: (after - before) with { LoadGenerator = -1 },
            ServerThreads: [],
            Syncs: syncCount);
    }
}
