using System.Collections.Concurrent;

namespace Rekey.Bench.Hosts;

/// <summary>
/// The servers of one run, started on first use and all stopped at the end — including when the run is cancelled
/// (Ctrl+C) or the process is asked to exit (SIGTERM). A hard kill of the benchmark is covered by each child's guard.
/// </summary>
internal sealed class Fixtures : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<object>>> _hosts = new(StringComparer.Ordinal);
    private readonly List<ChildProcess> _processes = [];
    private readonly Lock _gate = new();

    public Fixtures(BenchOptions options)
    {
        Options = options;
        WorkDirectory = Path.Combine(options.DataRoot, $"rekey-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(WorkDirectory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public BenchOptions Options { get; }

    public string WorkDirectory { get; }

    /// <summary>Every server started so far, for memory readings and the report.</summary>
    public IReadOnlyList<ChildProcess> Processes
    {
        get
        {
            lock (_gate)
            {
                return [.. _processes];
            }
        }
    }

    /// <summary>The host named <paramref name="key"/>, started once by <paramref name="start"/>.</summary>
    public async Task<T> GetAsync<T>(string key, Func<Fixtures, CancellationToken, Task<T>> start, CancellationToken ct)
        where T : class
    {
        var lazy = _hosts.GetOrAdd(key, _ => new Lazy<Task<object>>(async () => await start(this, ct)));
        return (T)await lazy.Value;
    }

    public async Task<ChildProcess> StartProcessAsync(string name, string executable, IEnumerable<string> arguments, string readyPath, CancellationToken ct)
    {
        var directory = Path.Combine(WorkDirectory, name);
        // With --profile, the JIT writes /tmp/perf-PID.map so that perf can name managed frames.
        var environment = Options.Profile ? new Dictionary<string, string> { ["DOTNET_PerfMapEnabled"] = "1" } : [];
        var process = await ChildProcess.StartAsync(name, executable, [.. arguments, $"--Logging:LogLevel:Default={Options.ServerLogLevel}"], directory, readyPath,
            environment, ct);
        lock (_gate)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>Starts a non-HTTP server (PostgreSQL) under the same guard and bookkeeping.</summary>
    public async Task<ChildProcess> StartCommandAsync(string name, IReadOnlyList<string> command, Uri address, Func<CancellationToken, Task<bool>> ready, CancellationToken ct)
    {
        var process = await ChildProcess.StartCommandAsync(name, command, Path.Combine(WorkDirectory, name), address, ready, ct);
        lock (_gate)
        {
            _processes.Add(process);
        }

        return process;
    }

    private void KillAll()
    {
        foreach (var process in Processes)
        {
            process.KillNow();
        }

        if (!Options.KeepData)
        {
            try
            {
                Directory.Delete(WorkDirectory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exiting anyway; the directory is under the data root the user chose.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Hosts in this process (the webhook sink) first, then every child process.
        foreach (var host in _hosts.Values.Where(h => h.IsValueCreated && h.Value.IsCompletedSuccessfully))
        {
            if (await host.Value is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }

        await Task.WhenAll(Processes.Select(p => p.DisposeAsync().AsTask()));
        if (!Options.KeepData)
        {
            try
            {
                Directory.Delete(WorkDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open: leave the directory; it is under the data root the user chose.
            }
        }
    }
}
