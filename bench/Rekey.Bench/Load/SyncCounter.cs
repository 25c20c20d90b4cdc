using System.Diagnostics;
using System.Globalization;

namespace Rekey.Bench.Load;

/// <summary>
/// Counts a server's <c>fsync</c>/<c>fdatasync</c> calls during a round with <c>perf stat</c> on the syscall
/// tracepoints (counting only: no per-event records, negligible overhead). Under <c>synchronous=FULL</c> in WAL mode,
/// SQLite syncs the WAL once per commit, so requests per sync is the writer's average batch size, read from outside.
/// Unavailable without perf or without permission; then the columns stay empty.
/// </summary>
internal sealed class SyncCounter
{
    private static readonly Lazy<bool> Available = new(() => File.Exists("/usr/bin/perf") && Environment.UserName == "root");
    private readonly Process? _perf;

    private SyncCounter(Process? perf) => _perf = perf;

    /// <summary>Counts over <paramref name="pid"/> and its current descendants (PostgreSQL's backends, WAL writer, checkpointer).</summary>
    public static SyncCounter StartTree(int pid, TimeSpan duration) => Start(Hosts.ProcStat.Tree(pid), duration);

    /// <summary>Counts over these processes (none: counts nothing).</summary>
    public static SyncCounter Start(IReadOnlyList<int> pids, TimeSpan duration)
    {
        if (pids.Count == 0 || !Available.Value)
        {
            return new SyncCounter(null);
        }

        var pid = string.Join(',', pids);

        var start = new ProcessStartInfo("perf")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "stat", "-x", ",", "-e", "syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync", "-p", pid,
                     "--", "sleep", duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            return new SyncCounter(Process.Start(start));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new SyncCounter(null);
        }
    }

    /// <summary>Total syncs counted, or null when perf was not available or said nothing useful.</summary>
    public async Task<long?> StopAsync()
    {
        if (_perf is null)
        {
            return null;
        }

        using (_perf)
        {
            var output = await _perf.StandardError.ReadToEndAsync();
            await _perf.WaitForExitAsync();
            long total = 0;
            var any = false;
            foreach (var line in output.Split('\n'))
            {
                var fields = line.Split(',');
                if (fields.Length > 2 && fields[2].StartsWith("syscalls:", StringComparison.Ordinal) && long.TryParse(fields[0], CultureInfo.InvariantCulture, out var count))
                {
                    total += count;
                    any = true;
                }
            }

            return any ? total : null;
        }
    }
}
