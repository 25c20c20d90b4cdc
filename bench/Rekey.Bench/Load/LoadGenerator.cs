using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rekey.Bench.Hosts;
using Rekey.Bench.Targets;

namespace Rekey.Bench.Load;

/// <summary>
/// A closed-loop load generator: <see cref="Target.Concurrency"/> callers, each sending its next request as soon as
/// the previous answer has been read in full, over keep-alive connections of one shared
/// <see cref="SocketsHttpHandler"/>. Every latency is recorded (no sampling, no histogram buckets); percentiles are
/// read from the sorted samples. Requests still in flight at the deadline are completed and counted.
/// Closed loop means latency is the service time seen by a caller that waits, not the delay an open arrival
/// stream would see (no coordinated-omission correction applies or is made).
/// </summary>
internal static class LoadGenerator
{
    /// <summary>One handler for the whole run: enough connections per server for the highest concurrency.</summary>
    public static HttpClient CreateClient(int maxConcurrency) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConcurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    public static async Task<Round> RunAsync(HttpClient http, Target target, TimeSpan duration, CancellationToken ct, bool diagnose = true)
    {
        var workers = Enumerable.Range(0, target.Concurrency).Select(_ => new Worker()).ToArray();
        var servers = target.Servers.Select(s => s.Pid).ToArray();
        var database = target.Database;
        var transactionsBefore = database is null ? 0 : await database.Cluster.TransactionsAsync(database.Name, ct);
        var threadsBefore = ThreadStat.ByName(servers);
        var syncs = SyncCounter.Start(diagnose ? servers : [], duration);
        var nodesBefore = NodeTicks(servers);
        var databaseBefore = database?.Cluster.CpuTicks() ?? 0;
        var before = CpuSnapshot.Take(servers);
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunAsync(http, target, deadline, ct), ct)));
        var stop = Stopwatch.GetTimestamp();
        var after = CpuSnapshot.Take(servers);
        var databaseCpu = database is null ? 0 : database.Cluster.CpuTicks() - databaseBefore;
        var nodes = NodeTicks(servers).Zip(nodesBefore, (a, b) => a - b).ToList();
        var threads = ThreadStat.Delta(threadsBefore, ThreadStat.ByName(servers));
        var syncCount = await syncs.StopAsync();

        // The window's transactions are in pg_stat_database once every backend has flushed its counts: read after
        // that, outside the window (and before the next one, so that none of this window's are counted there). Each
        // node's feed adds about 1.5 heartbeats between two readings.
        DatabaseWindow? databaseWindow = null;
        if (database is not null)
        {
            var settled = await database.Cluster.SettledTransactionsAsync(database.Name, heartbeats: 2 * servers.Length, ct);
            databaseWindow = new DatabaseWindow(settled - transactionsBefore, databaseCpu);
        }

        var latencies = new long[workers.Sum(w => w.Latencies.Count)];
        var offset = 0;
        foreach (var worker in workers)
        {
            worker.Latencies.CopyTo(latencies, offset);
            offset += worker.Latencies.Count;
        }

        Array.Sort(latencies);
        return new Round(
            Requests: latencies.Length,
            Errors: workers.Sum(w => w.Errors),
            ErrorSamples: workers.SelectMany(w => w.ErrorSamples).Distinct().Take(3).ToList(),
            Seconds: (stop - start) / (double)Stopwatch.Frequency,
            LatenciesTicks: latencies,
            Cpu: after - before,
            ServerThreads: threads,
            Syncs: syncCount,
            NodeTicks: nodes.Count > 1 ? nodes : [],
            Database: databaseWindow);
    }

    /// <summary>Each server's own CPU ticks (a Rekey node is one process).</summary>
    private static long[] NodeTicks(int[] pids) => pids.Select(pid => ProcStat.ProcessTicks(pid) ?? 0).ToArray();

    private sealed class Worker
    {
        public List<long> Latencies { get; } = new(1 << 14);

        public int Errors { get; private set; }

        public List<string> ErrorSamples { get; } = [];

        public async Task RunAsync(HttpClient http, Target target, long deadline, CancellationToken ct)
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var exchange = target.Create(target.NextSequence());
                var t0 = Stopwatch.GetTimestamp();
                string? error;
                try
                {
                    using var response = await http.SendAsync(exchange.Request, HttpCompletionOption.ResponseContentRead, ct);
                    var body = await response.Content.ReadAsByteArrayAsync(ct);
                    var status = (int)response.StatusCode;
                    error = status is >= 200 and < 300 && body.AsSpan().IndexOf(exchange.Expect) >= 0
                        ? null
                        : $"HTTP {status}: {System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 160))}";
                }
                catch (HttpRequestException ex)
                {
                    error = $"{ex.GetType().Name}: {ex.Message}";
                }
                catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
                {
                    error = $"timeout: {ex.Message}";
                }
                catch (SocketException ex)
                {
                    error = $"{ex.GetType().Name}: {ex.Message}";
                }
                finally
                {
                    exchange.Request.Dispose();
                }

                Latencies.Add(Stopwatch.GetTimestamp() - t0);
                if (error is not null)
                {
                    Errors++;
                    if (ErrorSamples.Count < 3)
                    {
                        ErrorSamples.Add(error);
                    }
                }
            }
        }
    }
}

/// <summary>
/// CPU ticks of the server, of this process (the load generator) and of the whole machine; the server's write
/// traffic from <c>/proc/PID/io</c> (bytes handed to write calls, and the number of those calls).
/// </summary>
internal readonly record struct CpuSnapshot(long Server, long LoadGenerator, long MachineTotal, long MachineIdle, long MachineSteal, long ServerWriteBytes, long ServerWriteCalls, long ServerContextSwitches)
{
    /// <summary>
    /// Readings summed over the servers' whole process trees (a .NET server is one process, PostgreSQL many; two nodes
    /// are two servers).
    /// </summary>
    public static CpuSnapshot Take(IReadOnlyList<int> serverPids)
    {
        var (total, idle, steal) = ProcStat.MachineTicks();
        long ticks = 0, bytes = 0, calls = 0, switches = 0;
        foreach (var pid in serverPids.SelectMany(ProcStat.Tree))
        {
            ticks += ProcStat.ProcessTicks(pid) ?? 0;
            var (b, c) = ProcStat.WriteCounters(pid);
            bytes += b;
            calls += c;
            switches += ProcStat.ContextSwitches(pid);
        }

        return new CpuSnapshot(ticks, ProcStat.ProcessTicks(Environment.ProcessId) ?? 0, total, idle, steal, bytes, calls, switches);
    }

    public static CpuSnapshot operator -(CpuSnapshot a, CpuSnapshot b) =>
        new(a.Server - b.Server, a.LoadGenerator - b.LoadGenerator, a.MachineTotal - b.MachineTotal, a.MachineIdle - b.MachineIdle, a.MachineSteal - b.MachineSteal,
            a.ServerWriteBytes - b.ServerWriteBytes, a.ServerWriteCalls - b.ServerWriteCalls, a.ServerContextSwitches - b.ServerContextSwitches);
}
