using System.Globalization;

namespace Rekey.Bench.Hosts;

/// <summary>Readings from <c>/proc</c>: CPU time of a process, of the whole machine, and resident memory.</summary>
internal static class ProcStat
{
    /// <summary>USER_HZ: the unit of every CPU time in <c>/proc</c>, 100 on Linux whatever the kernel's HZ.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>User + system CPU time of <paramref name="pid"/> in ticks, or null when it is gone.</summary>
    public static long? ProcessTicks(int pid, int? thread = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(thread is null ? $"/proc/{pid}/stat" : $"/proc/{pid}/task/{thread}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary><paramref name="pid"/> and all its descendants (a PostgreSQL postmaster's backends, for instance).</summary>
    public static List<int> Tree(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            {
                continue;
            }

            try
            {
                var text = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }

                list.Add(p);
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }

        var tree = new List<int>();
        var pending = new Stack<int>([pid]);
        while (pending.TryPop(out var next))
        {
            tree.Add(next);
            foreach (var child in children.GetValueOrDefault(next) ?? [])
            {
                pending.Push(child);
            }
        }

        return tree;
    }

    /// <summary>Machine-wide CPU ticks: (total, idle + iowait, steal).</summary>
    public static (long Total, long Idle, long Steal) MachineTicks()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already inside user.
        var total = values.Take(8).Sum();
        var idle = values[3] + values[4];
        var steal = values.Length > 7 ? values[7] : 0;
        return (total, idle, steal);
    }

    /// <summary>(wchar, syscw) of <c>/proc/PID/io</c>: bytes passed to write calls (sockets included) and their count.</summary>
    public static (long Bytes, long Calls) WriteCounters(int pid)
    {
        try
        {
            long bytes = 0, calls = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/io"))
            {
                if (line.StartsWith("wchar:", StringComparison.Ordinal))
                {
                    bytes = long.Parse(line[6..].Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("syscw:", StringComparison.Ordinal))
                {
                    calls = long.Parse(line[6..].Trim(), CultureInfo.InvariantCulture);
                }
            }

            return (bytes, calls);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    /// <summary>Context switches (voluntary + involuntary) summed over every thread of <paramref name="pid"/>.</summary>
    public static long ContextSwitches(int pid)
    {
        long total = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                        }
                    }
                }
                catch (IOException)
                {
                    // The thread ended while we looked.
                }
            }
        }
        catch (IOException)
        {
            return total;
        }

        return total;
    }

    public static long? ReadStatusKilobytes(int pid, string key)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            return line is null ? null : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The file system type under <paramref name="path"/> (longest matching mount point).</summary>
    public static string FileSystemOf(string path)
    {
        var full = Path.GetFullPath(path);
        var best = ("", "unknown");
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var parts = line.Split(' ');
            if (parts.Length < 3)
            {
                continue;
            }

            var mount = parts[1];
            if ((full == mount || full.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal)) && mount.Length >= best.Item1.Length)
            {
                best = (mount, $"{parts[2]} on {parts[0]} ({mount})");
            }
        }

        return best.Item2;
    }
}

/// <summary>CPU ticks of processes' threads, summed by thread name (pool threads share one name; so do two nodes' threads).</summary>
internal static class ThreadStat
{
    public static Dictionary<string, long> ByName(IEnumerable<int> pids)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pid in pids)
        {
            AddThreads(pid, result);
        }

        return result;
    }

    private static void AddThreads(int pid, Dictionary<string, long> result)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (IOException)
        {
            return;
        }

        foreach (var task in tasks)
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                var tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                var ticks = ProcStat.ProcessTicks(pid, tid);
                if (ticks is { } t)
                {
                    result[name] = result.GetValueOrDefault(name) + t;
                }
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }
    }

    /// <summary>Per-name tick deltas, largest first.</summary>
    public static List<(string Name, long Ticks)> Delta(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.Select(kv => (kv.Key, kv.Value - before.GetValueOrDefault(kv.Key))).Where(x => x.Item2 > 0).OrderByDescending(x => x.Item2).ToList();
}
