using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Rekey.Bench.Hosts;

/// <summary>
/// A server the benchmark starts and must not leave behind. It runs under a small <c>sh</c> guard whose standard
/// input is a pipe from this process: when the pipe closes — on <see cref="DisposeAsync"/>, or because the benchmark
/// itself died, even by <c>kill -9</c> — the guard sends the server SIGTERM and waits for it. Disposal then kills
/// whatever is left of the process tree. The server's output goes to a log file beside its data, not through a pipe
/// that the load generator would have to drain while it measures.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    // Background jobs of a non-interactive shell ignore SIGINT, so a Ctrl+C reaches only the benchmark, which then
    // stops its children in order. `cat` returns at end of input: that is the "parent is gone" signal.
    private const string Guard = """
        "$@" >"$REKEY_BENCH_LOG" 2>&1 </dev/null &
        child=$!
        echo "$child" >"$REKEY_BENCH_PIDFILE"
        cat >/dev/null
        kill -TERM "$child" 2>/dev/null
        wait "$child"
        """;

    private readonly Process _guard;
    private bool _disposed;

    private ChildProcess(string name, Process guard, int pid, Uri baseAddress, string logPath)
    {
        Name = name;
        _guard = guard;
        Pid = pid;
        BaseAddress = baseAddress;
        LogPath = logPath;
    }

    public string Name { get; }

    /// <summary>The server's own process ID (not the guard's), for CPU and memory readings.</summary>
    public int Pid { get; }

    public Uri BaseAddress { get; }

    public string LogPath { get; }

    public bool IsRunning => Directory.Exists($"/proc/{Pid}") && !_guard.HasExited;

    /// <summary>Starts <paramref name="executable"/> on a free loopback port and waits until <paramref name="readyPath"/> answers 200.</summary>
    public static async Task<ChildProcess> StartAsync(string name, string executable, IEnumerable<string> arguments, string workDirectory,
        string readyPath, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var port = FreeLoopbackPort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        List<string> command = executable.EndsWith(".dll", StringComparison.Ordinal) ? ["dotnet", executable] : [executable];
        command.AddRange(["--urls", baseAddress.ToString().TrimEnd('/')]);
        command.AddRange(arguments);
        return await LaunchAsync(name, command, workDirectory, environment, baseAddress, child => child.WaitReadyAsync(readyPath, ct), ct);
    }

    /// <summary>
    /// Starts any command under the guard (a database server, say) and waits for <paramref name="ready"/>, which is
    /// polled every 100 ms for up to a minute.
    /// </summary>
    public static Task<ChildProcess> StartCommandAsync(string name, IReadOnlyList<string> command, string workDirectory, Uri address,
        Func<CancellationToken, Task<bool>> ready, CancellationToken ct) =>
        LaunchAsync(name, command, workDirectory, new Dictionary<string, string>(), address, child => child.PollAsync(ready, ct), ct);

    private static async Task<ChildProcess> LaunchAsync(string name, IReadOnlyList<string> command, string workDirectory,
        IReadOnlyDictionary<string, string> environment, Uri baseAddress, Func<ChildProcess, Task> waitReady, CancellationToken ct)
    {
        Directory.CreateDirectory(workDirectory);
        var logPath = Path.Combine(workDirectory, name + ".log");
        var pidFile = Path.Combine(workDirectory, name + ".pid");
        File.Delete(pidFile);

        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Guard);
        start.ArgumentList.Add("rekey-bench-guard");
        foreach (var part in command)
        {
            start.ArgumentList.Add(part);
        }

        start.Environment["REKEY_BENCH_LOG"] = logPath;
        start.Environment["REKEY_BENCH_PIDFILE"] = pidFile;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var guard = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}.");
        var pid = await ReadPidAsync(pidFile, guard, ct);
        var child = new ChildProcess(name, guard, pid, baseAddress, logPath);
        try
        {
            await waitReady(child);
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }

        return child;
    }

    private async Task PollAsync(Func<CancellationToken, Task<bool>> ready, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            if (!IsRunning)
            {
                throw new InvalidOperationException($"{Name} exited during start-up. Last lines of {LogPath}:\n{Tail(20)}");
            }

            if (await ready(ct))
            {
                return;
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"{Name} was not ready within a minute. Last lines of {LogPath}:\n{Tail(20)}");
    }

    private static async Task<int> ReadPidAsync(string pidFile, Process guard, CancellationToken ct)
    {
        for (var i = 0; i < 200; i++)
        {
            if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile, ct)).Trim(), out var pid))
            {
                return pid;
            }

            if (guard.HasExited)
            {
                break;
            }

            await Task.Delay(25, ct);
        }

        throw new InvalidOperationException("The child process did not start.");
    }

    private async Task WaitReadyAsync(string readyPath, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(60);
        await WaitReadyCoreAsync(readyPath, timeout, ct);
    }

    private async Task WaitReadyCoreAsync(string readyPath, TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (!IsRunning)
            {
                throw new InvalidOperationException($"{Name} exited during start-up. Last lines of {LogPath}:\n{Tail(20)}");
            }

            try
            {
                using var response = await http.GetAsync(readyPath, ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Listening but not answering yet (start-up work before the first request is served).
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds:0} s. Last lines of {LogPath}:\n{Tail(20)}");
    }

    public string Tail(int lines) =>
        File.Exists(LogPath) ? string.Join('\n', File.ReadLines(LogPath).TakeLast(lines)) : "(no log)";

    /// <summary>Peak resident memory (VmHWM) of the server so far, in bytes; null once it has gone.</summary>
    public long? PeakResidentBytes() => ProcStat.ReadStatusKilobytes(Pid, "VmHWM:") * 1024;

    /// <summary>Current resident memory (VmRSS), in bytes.</summary>
    public long? ResidentBytes() => ProcStat.ReadStatusKilobytes(Pid, "VmRSS:") * 1024;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            // End of input: the guard sends SIGTERM and waits for a graceful stop.
            _guard.StandardInput.Close();
        }
        catch (IOException)
        {
            // The guard is gone already.
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _guard.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _guard.Kill(entireProcessTree: true);
        }

        if (Directory.Exists($"/proc/{Pid}"))
        {
            try
            {
                Process.GetProcessById(Pid).Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Exited between the check and the kill.
            }
        }

        _guard.Dispose();
    }

    /// <summary>Synchronous last resort for process exit: kill without waiting.</summary>
    public void KillNow()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            _guard.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
