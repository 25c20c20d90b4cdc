using System.Diagnostics;
using Rekey.Bench.Hosts;

namespace Rekey.Bench.Load;

/// <summary>One measured window of one target.</summary>
internal sealed record Round(int Requests, int Errors, IReadOnlyList<string> ErrorSamples, double Seconds, long[] LatenciesTicks, CpuSnapshot Cpu,
    IReadOnlyList<(string Name, long Ticks)> ServerThreads, long? Syncs)
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
    public double Percentile(double p)
    {
        if (LatenciesTicks.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p * LatenciesTicks.Length);
        return ToMs(LatenciesTicks[Math.Clamp(rank - 1, 0, LatenciesTicks.Length - 1)]);
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
