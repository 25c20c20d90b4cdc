using System.Collections.Concurrent;

namespace Rekey.Server.OAuth;

/// <summary>
/// Slows down guessing of client secrets at the standard endpoints. Failures are counted per client identifier AND
/// source address in a fixed window; after <see cref="MaxFailures"/> failures in <see cref="Window"/> that pair is
/// answered 429 with <c>Retry-After</c> until the window ends. Because the key includes the source address, an
/// attacker elsewhere cannot lock the real client out, and no lock-out lasts longer than one window. State is in
/// memory, per node.
/// </summary>
internal sealed class FailedAuthLimiter(TimeProvider time)
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<(long Service, string Client, string Address), Counter> _counters = new();

    private sealed class Counter(DateTimeOffset windowStart)
    {
        public DateTimeOffset WindowStart { get; } = windowStart;

        public int Failures;
    }

    /// <summary>Seconds to wait when the pair is blocked, otherwise null.</summary>
    public int? RetryAfter(long serviceId, string clientId, string address)
    {
        if (!_counters.TryGetValue((serviceId, clientId, address), out var counter))
        {
            return null;
        }

        var left = counter.WindowStart + Window - time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            _counters.TryRemove((serviceId, clientId, address), out _);
            return null;
        }

        return Volatile.Read(ref counter.Failures) >= MaxFailures ? (int)Math.Ceiling(left.TotalSeconds) : null;
    }

    public void RecordFailure(long serviceId, string clientId, string address)
    {
        var now = time.GetUtcNow();
        var key = (serviceId, clientId, address);
        var counter = _counters.AddOrUpdate(key, _ => new Counter(now), (_, existing) => now - existing.WindowStart >= Window ? new Counter(now) : existing);
        Interlocked.Increment(ref counter.Failures);
        if (_counters.Count > SweepAbove)
        {
            foreach (var (k, c) in _counters)
            {
                if (now - c.WindowStart >= Window)
                {
                    _counters.TryRemove(k, out _);
                }
            }
        }
    }
}
