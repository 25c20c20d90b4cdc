using System.Diagnostics;
using System.Runtime.InteropServices;
using Rekey.Bench.Hosts;

namespace Rekey.Bench;

/// <summary>What the figures depend on besides the code: the machine, the runtime, the disk, the commit.</summary>
internal sealed record RunEnvironment(string Machine, int ProcessorCount, string Cpu, string Kernel, string Runtime, string Configuration,
    string DataFileSystem, string Commit)
{
    public static RunEnvironment Capture(BenchOptions options, string dataDirectory) => new(
        Environment.MachineName,
        Environment.ProcessorCount,
        ReadFirst("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        Repo.Configuration,
        ProcStat.FileSystemOf(dataDirectory),
        Git("rev-parse --short HEAD") + (Git("status --porcelain --untracked-files=no") is { Length: > 0 } ? " (with uncommitted changes)" : ""));

    private static string? ReadFirst(string path, string key) =>
        File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() : null;

    private static string Git(string arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
            using var git = Process.Start(start);
            if (git is null)
            {
                return "unknown";
            }

            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
