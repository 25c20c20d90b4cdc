using System.Diagnostics;
using Rekey.Server.Storage;

namespace Rekey.Server.Hosting;

/// <summary>
/// Turns a store outage into two log lines instead of one per request: the first request that fails logs a warning
/// (event 7), the others only at debug (event 70); then a probe pings the store every <see cref="ProbeInterval"/> and,
/// once an interval passed without a failed request and the store answers, logs one information line (event 71) with
/// the outage's length and how many requests failed in it. A store that answers the ping but still fails requests
/// (a full disk refuses writes, not reads) keeps the outage open while requests keep failing.
/// </summary>
internal sealed class StoreAvailability(IServiceProvider services, ILogger<StoreAvailability> logger) : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private int _down;
    private long _failures;

    /// <summary>How often the open outage is checked. Settable for tests.</summary>
    internal TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    public bool IsDown => Volatile.Read(ref _down) == 1;

    /// <summary>A request failed because the store is unavailable.</summary>
    public void Failed(string requestId, string reason)
    {
        var failures = Interlocked.Increment(ref _failures);
        if (Interlocked.CompareExchange(ref _down, 1, 0) != 0)
        {
            Log.StoreStillUnavailable(logger, requestId, reason);
            return;
        }

        Log.StoreUnavailable(logger, requestId, reason);
        _ = ProbeAsync(failures - 1, Stopwatch.GetTimestamp());
    }

    private async Task ProbeAsync(long failuresBefore, long since)
    {
        // Resolved here, not in the constructor: the error handler that reports failures is built when the pipeline
        // is, and the store must not be built before the hosted services start (RekeyHosting).
        var store = services.GetRequiredService<IRekeyStore>();
        try
        {
            var seen = Volatile.Read(ref _failures);
            while (true)
            {
                await Task.Delay(ProbeInterval, _stopping.Token);
                var now = Volatile.Read(ref _failures);
                var quiet = now == seen;
                seen = now;
                if (quiet && await store.PingAsync(_stopping.Token))
                {
                    Volatile.Write(ref _down, 0);
                    Log.StoreAvailableAgain(logger, (long)Stopwatch.GetElapsedTime(since).TotalSeconds, now - failuresBefore);
                    return;
                }
            }
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // Shutting down during an outage (the store may be closed under the ping): nothing more to say.
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
