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
        var serverPid = target.Server?.Pid ?? 0;
        var threadsBefore = serverPid == 0 ? [] : ThreadStat.ByName(serverPid);
        var syncs = diagnose ? SyncCounter.Start(serverPid, duration) : SyncCounter.Start(0, duration);
        var before = CpuSnapshot.Take(serverPid);
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(workers.Select(w => Task.Run(() => w.RunAsync(http, target, deadline, ct), ct)));
        var stop = Stopwatch.GetTimestamp();
        var after = CpuSnapshot.Take(serverPid);
        var threads = serverPid == 0 ? [] : ThreadStat.Delta(threadsBefore, ThreadStat.ByName(serverPid));
        var syncCount = await syncs.StopAsync();

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
            Syncs: syncCount);
    }

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

/// <summary>CPU ticks of the server, of this process (the load generator) and of the whole machine.</summary>
/// <summary>
/// CPU ticks of the server, of this process (the load generator) and of the whole machine; the server's write
/// traffic from <c>/proc/PID/io</c> (bytes handed to write calls, and the number of those calls).
/// </summary>
internal readonly record struct CpuSnapshot(long Server, long LoadGenerator, long MachineTotal, long MachineIdle, long MachineSteal, long ServerWriteBytes, long ServerWriteCalls, long ServerContextSwitches)
{
    /// <summary>Readings of the server's whole process tree (a .NET server is one process; PostgreSQL is many).</summary>
    public static CpuSnapshot Take(int serverPid)
    {
        var (total, idle, steal) = ProcStat.MachineTicks();
        long ticks = 0, bytes = 0, calls = 0, switches = 0;
        foreach (var pid in serverPid == 0 ? [] : ProcStat.Tree(serverPid))
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
