using System.Diagnostics;
using Rekey.Bench.Hosts;

namespace Rekey.Bench.Load;

/// <summary>
/// What the PostgreSQL database did during a window: its transactions (<c>pg_stat_database</c>, read outside the window
/// once the backends flushed their counts; the change feeds' heartbeats included) and the CPU ticks of the whole cluster.
/// </summary>
internal sealed record DatabaseWindow(long Transactions, long CpuTicks);

/// <summary>
/// One measured window of one target; <paramref name="NodeTicks"/> holds each server's CPU ticks when the requests went
/// to more than one (empty otherwise), <paramref name="Database"/> the database's figures for a target on PostgreSQL.
/// </summary>
internal sealed record Round(int Requests, int Errors, IReadOnlyList<string> ErrorSamples, double Seconds, long[] LatenciesTicks, CpuSnapshot Cpu,
    IReadOnlyList<(string Name, long Ticks)> ServerThreads, long? Syncs, IReadOnlyList<long>? NodeTicks = null, DatabaseWindow? Database = null)
{
    /// <summary>The server's busiest thread (by name) and its CPU in cores (1.0 = one core all the time).</summary>
    public (string Name, double Cores)? BusiestThread =>
        ServerThreads.Count == 0 ? null : (ServerThreads[0].Name, ServerThreads[0].Ticks / ProcStat.TicksPerSecond / Seconds);

    /// <summary>fsync + fdatasync calls of the server per second (perf), null when not counted.</summary>
    public double? SyncsPerSecond => Syncs is { } s ? s / Seconds : null;

    /// <summary>Requests per sync: under synchronous=FULL, the writer's average batch size.</summary>
    public double? RequestsPerSync => Syncs is > 0 and { } s ? Requests / (double)s : null;

    public double Rps => Requests / Seconds;

    public double P50Ms => Percentile(0.50);

    public double P99Ms => Percentile(0.99);

    public double MaxMs => LatenciesTicks.Length == 0 ? double.NaN : ToMs(LatenciesTicks[^1]);

    /// <summary>Server CPU per request in microseconds (all its threads, user + system).</summary>
    public double ServerCpuUsPerRequest => Requests == 0 ? double.NaN : Cpu.Server / ProcStat.TicksPerSecond * 1e6 / Requests;

    /// <summary>Each server's CPU per request in microseconds, when the requests went to more than one (their sum is <see cref="ServerCpuUsPerRequest"/>).</summary>
    public IReadOnlyList<double> NodeCpuUsPerRequest => (NodeTicks ?? []).Select(t => Requests == 0 ? double.NaN : t / ProcStat.TicksPerSecond * 1e6 / Requests).ToList();

    /// <summary>Transactions of the target's database per request: its round trips, as far as the database counts them.</summary>
    public double? DatabaseRoundTripsPerRequest => Database is { } d && Requests > 0 ? d.Transactions / (double)Requests : null;

    /// <summary>CPU of the whole PostgreSQL cluster per request, in microseconds.</summary>
    public double? DatabaseCpuUsPerRequest => Database is { } d && Requests > 0 ? d.CpuTicks / ProcStat.TicksPerSecond * 1e6 / Requests : null;

    /// <summary>Load generator CPU per request in microseconds.</summary>
    public double LoadCpuUsPerRequest => Requests == 0 || Cpu.LoadGenerator < 0 ? double.NaN : Cpu.LoadGenerator / ProcStat.TicksPerSecond * 1e6 / Requests;

    /// <summary>Bytes the server handed to write calls per request (responses on sockets, WAL frames, logs).</summary>
    public double ServerWriteBytesPerRequest => Requests == 0 ? double.NaN : Cpu.ServerWriteBytes / (double)Requests;

    /// <summary>Context switches of the server's threads per request.</summary>
    public double ServerContextSwitchesPerRequest => Requests == 0 ? double.NaN : Cpu.ServerContextSwitches / (double)Requests;

    /// <summary>Write calls of the server per request.</summary>
    public double ServerWriteCallsPerRequest => Requests == 0 ? double.NaN : Cpu.ServerWriteCalls / (double)Requests;

    /// <summary>Share of the machine's CPU time that was busy during the round (all processes, not just ours).</summary>
    public double MachineBusy => Cpu.MachineTotal == 0 ? double.NaN : 1 - (double)Cpu.MachineIdle / Cpu.MachineTotal;

    /// <summary>Share of CPU time the hypervisor gave to someone else.</summary>
    public double Steal => Cpu.MachineTotal == 0 ? double.NaN : (double)Cpu.MachineSteal / Cpu.MachineTotal;

    /// <summary>Nearest-rank percentile of the sorted samples, in milliseconds.</summary>
    public double Percentile(double p) => LatenciesTicks.Length == 0 ? double.NaN : ToMs(NearestRank(LatenciesTicks, p));

    /// <summary>The nearest-rank <paramref name="p"/> quantile of <paramref name="sorted"/> (not empty, ascending).</summary>
    public static T NearestRank<T>(IReadOnlyList<T> sorted, double p)
    {
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>Every round of one target, and the figures reported for it (medians of rounds; max of maxima).</summary>
internal sealed class TargetResult(Targets.Target target)
{
    public Targets.Target Target { get; } = target;

    public List<Round> Rounds { get; } = [];

    public Round? WarmUp { get; set; }

    public int Errors => Rounds.Sum(r => r.Errors);

    public bool Measured => Rounds.Count > 0;

    /// <summary>Any error in any measured round invalidates the figures.</summary>
    public bool Valid => Measured && Errors == 0;

    public double Rps => Median(Rounds.Select(r => r.Rps));

    public double P50Ms => Median(Rounds.Select(r => r.P50Ms));

    public double P99Ms => Median(Rounds.Select(r => r.P99Ms));

    public double MaxMs => Rounds.Count == 0 ? double.NaN : Rounds.Max(r => r.MaxMs);

    public double ServerCpuUs => Median(Rounds.Select(r => r.ServerCpuUsPerRequest));

    public double LoadCpuUs => Median(Rounds.Select(r => r.LoadCpuUsPerRequest));

    public double MachineBusy => Median(Rounds.Select(r => r.MachineBusy));

    public double Steal => Median(Rounds.Select(r => r.Steal));

    public double WriteBytesPerRequest => Median(Rounds.Select(r => r.ServerWriteBytesPerRequest));

    public double ContextSwitchesPerRequest => Median(Rounds.Select(r => r.ServerContextSwitchesPerRequest));

    public double WriteCallsPerRequest => Median(Rounds.Select(r => r.ServerWriteCallsPerRequest));

    public double SyncsPerSecond => Median(Rounds.Select(r => r.SyncsPerSecond ?? double.NaN));

    public double RequestsPerSync => Median(Rounds.Select(r => r.RequestsPerSync ?? double.NaN));

    /// <summary>True when the rounds carry database figures (a target on PostgreSQL).</summary>
    public bool HasDatabase => Rounds.Any(r => r.Database is not null);

    public double DatabaseRoundTrips => Median(Rounds.Select(r => r.DatabaseRoundTripsPerRequest ?? double.NaN));

    public double DatabaseCpuUs => Median(Rounds.Select(r => r.DatabaseCpuUsPerRequest ?? double.NaN));

    /// <summary>Each server's CPU per request (median of rounds, node by node), when the requests went to more than one.</summary>
    public IReadOnlyList<double> NodeCpuUs =>
        Enumerable.Range(0, Rounds.Count == 0 ? 0 : Rounds.Min(r => r.NodeTicks?.Count ?? 0)).Select(i => Median(Rounds.Select(r => r.NodeCpuUsPerRequest[i]))).ToList();

    /// <summary>The thread name that was busiest in most rounds, with its median load in cores.</summary>
    public (string Name, double Cores)? BusiestThread
    {
        get
        {
            var named = Rounds.Select(r => r.BusiestThread).OfType<(string Name, double Cores)>().ToList();
            if (named.Count == 0)
            {
                return null;
            }

            var name = named.GroupBy(t => t.Name).OrderByDescending(g => g.Count()).First().Key;
            return (name, Median(Rounds.Select(r => r.ServerThreads.FirstOrDefault(t => t.Name == name).Ticks / ProcStat.TicksPerSecond / r.Seconds)));
        }
    }

    public double RpsMin => Rounds.Count == 0 ? double.NaN : Rounds.Min(r => r.Rps);

    public double RpsMax => Rounds.Count == 0 ? double.NaN : Rounds.Max(r => r.Rps);

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
