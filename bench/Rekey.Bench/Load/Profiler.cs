using System.Diagnostics;
using System.Globalization;

namespace Rekey.Bench.Load;

/// <summary>
/// <c>perf record</c> of one server for one round (call graphs, ~1 kHz), then <c>perf report</c> of the hottest
/// symbols to a text file. Managed frames are named through the perf map the server's JIT writes when it runs with
/// <c>DOTNET_PerfMapEnabled=1</c> (the harness sets it with --profile).
/// </summary>
internal sealed class Profiler
{
    private readonly Process? _perf;
    private readonly string _data;

    private Profiler(Process? perf, string data)
    {
        _perf = perf;
        _data = data;
    }

    public static Profiler Start(int pid, TimeSpan duration, string dataFile)
    {
        var start = new ProcessStartInfo("perf") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "record", "-F", "997", "-g", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", dataFile, "--", "sleep",
                     duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            return new Profiler(Process.Start(start), dataFile);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new Profiler(null, dataFile);
        }
    }

    /// <summary>Waits for the recording and writes the report to <paramref name="reportFile"/>.</summary>
    public async Task FinishAsync(string reportFile)
    {
        if (_perf is null)
        {
            return;
        }

        using (_perf)
        {
            await _perf.StandardError.ReadToEndAsync();
            await _perf.WaitForExitAsync();
        }

        // By library first (where the time goes: kernel, SQLite, the runtime, JIT-compiled code), then by symbol.
        var byDso = await ReportAsync("dso", "0.5");
        var bySymbol = await ReportAsync("dso,sym", "0.4");
        await File.WriteAllTextAsync(reportFile, byDso + "\n" + bySymbol);
    }

    private async Task<string> ReportAsync(string sort, string percentLimit)
    {
        var report = new ProcessStartInfo("perf") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "report", "-i", _data, "--stdio", "--no-children", "--sort", sort, "--percent-limit", percentLimit, "-g", "none" })
        {
            report.ArgumentList.Add(arg);
        }

        using var perf = Process.Start(report);
        if (perf is null)
        {
            return "";
        }

        var text = await perf.StandardOutput.ReadToEndAsync();
        await perf.StandardError.ReadToEndAsync();
        await perf.WaitForExitAsync();
        return text;
    }
}
