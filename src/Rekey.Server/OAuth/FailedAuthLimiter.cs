using System.Globalization;
using Rekey.Server.Clients;

namespace Rekey.Server.OAuth;

/// <summary>
/// Slows down guessing of client secrets. Failures are counted per (service, client, caller) in a fixed window that
/// starts at the first failure; after <see cref="MaxFailures"/> failures in <see cref="Window"/> the triple is
/// refused until the window ends. The caller is the source address at the standard endpoints and the API token at
/// Authlete's <c>/auth/token</c>. Because the key includes the caller, an attacker elsewhere cannot lock the real
/// client out, and no lock-out lasts longer than one window. State is in memory; on PostgreSQL the nodes tell each
/// other the failures of existing clients (<see cref="Share"/>), so the budget holds across the cluster, at no cost to a
/// request that authenticates.
/// </summary>
/// <remarks>
/// The memory is a fixed table of <see cref="Capacity"/> entries, allocated once, whatever the traffic: a
/// set-associative cache of <see cref="Ways"/> entries per set, the set chosen by <see cref="HashCode"/>, whose seed
/// is random per process, so no one can aim a flood at the set that holds a given client. Each call touches one set
/// under that set's lock — O(1), no global count, no scan. An entry expires by age: a set drops its expired entries
/// whenever it is touched, and a new key takes, in this order, a free or expired way, else the one with the fewest
/// failures, else the oldest. So a flood of one-failure identifiers only displaces other one-failure entries and
/// cannot free a blocked client; displacing a blocked entry takes other blocked entries, in the same randomly chosen
/// set, younger than it. Entries hold the exact key (no false sharing between keys that hash alike); the keys are
/// short because identifiers that cannot name a client never get here (<see cref="Attempt"/>).
/// <para>
/// Not System.Threading.RateLimiting's <c>PartitionedRateLimiter</c>: it keeps one limiter per partition key in a
/// dictionary under one lock and frees only idle ones, from a timer that walks them all. A fixed-window limiter
/// that counted one failure is not idle until its window ends, so its memory grows with the number of distinct keys
/// seen in a window (the unbounded growth this class exists to prevent), and each sweep costs O(keys).
/// </para>
/// </remarks>
internal sealed class FailedAuthLimiter
{
    public const int MaxFailures = 10;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>16,384 entries: about 8 MiB at most, even when every key is as long as it can be (a 128-character alias and an IPv6 address).</summary>
    public const int DefaultCapacity = 16_384;

    public const int Ways = 4;

    private readonly TimeProvider _time;
    private readonly Set[] _sets;

    public FailedAuthLimiter(TimeProvider time)
        : this(time, DefaultCapacity)
    {
    }

    /// <summary>A table of <paramref name="capacity"/> entries, rounded up to a power of two, at least one set (tests use small ones).</summary>
    internal FailedAuthLimiter(TimeProvider time, int capacity)
    {
        _time = time;
        _sets = new Set[System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, Ways)) / Ways];
        for (var i = 0; i < _sets.Length; i++)
        {
            _sets[i] = new Set();
        }
    }

    public int Capacity => _sets.Length * Ways;

    /// <summary>
    /// Where a failed client authentication that named an existing client is told to the other nodes (the PostgreSQL
    /// change feed, <see cref="Storage.Postgres.PostgresChangeFeed"/>); null on one node. Their failures come back
    /// through <see cref="RecordSharedFailure"/>, so a budget holds across the cluster instead of once per node.
    /// </summary>
    public Action<SharedFailure>? Share { get; set; }

    /// <summary>A failure another node counted (it already refused the request; here it only uses up the budget).</summary>
    public void RecordSharedFailure(SharedFailure failure)
    {
        if (failure.Client.Length > 0)
        {
            RecordFailure(failure.ServiceId, failure.Client, failure.Caller);
        }
    }

    /// <summary>What one request does with the budget; see <see cref="Attempt"/>.</summary>
    public Attempt Begin(long serviceId, string? identifier, string caller) => new(this, serviceId, KeyOf(identifier), caller);

    /// <summary>
    /// The entries alive now (expired ones not yet dropped are not counted): for tests and diagnostics only. It
    /// walks the whole table, O(<see cref="Capacity"/>), so the request path never calls it.
    /// </summary>
    public int CountEntries()
    {
        var now = _time.GetUtcNow().UtcTicks;
        var count = 0;
        foreach (var set in _sets)
        {
            lock (set)
            {
                count += set.Entries.Count(e => e.Client is not null && now - e.Start < Window.Ticks);
            }
        }

        return count;
    }

    /// <summary>
    /// The limiter's name for a presented identifier, or null for one that cannot name a client (those are refused
    /// without a lookup and never counted). The store reads any digit string as a numeric client ID, leading zeros
    /// included, so "0…0123" counts as "123": otherwise every padding would be a fresh counter.
    /// </summary>
    private static string? KeyOf(string? identifier) =>
        !ClientRules.CouldNameAClient(identifier) ? null
        : long.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric) ? numeric.ToString(CultureInfo.InvariantCulture)
        : identifier;

    /// <summary>Seconds to wait when the key is blocked, otherwise null.</summary>
    private int? RetryAfter(long serviceId, string client, string caller)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var set = SetOf(serviceId, client, caller);
        lock (set)
        {
            var way = set.Find(serviceId, client, caller, now);
            if (way < 0 || set.Entries[way].Failures < MaxFailures)
            {
                return null;
            }

            var left = set.Entries[way].Start + Window.Ticks - now;
            return (int)Math.Ceiling((double)left / TimeSpan.TicksPerSecond);
        }
    }

    private void RecordFailure(long serviceId, string client, string caller)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var set = SetOf(serviceId, client, caller);
        lock (set)
        {
            var way = set.Find(serviceId, client, caller, now);
            if (way >= 0)
            {
                // Capped: past the limit every blocked entry is equal, and the oldest of them is displaced first.
                set.Entries[way].Failures = Math.Min(set.Entries[way].Failures + 1, MaxFailures);
                return;
            }

            set.Entries[set.Victim()] = new Entry(serviceId, client, caller, now, 1);
        }
    }

    private Set SetOf(long serviceId, string client, string caller) =>
        _sets[(uint)HashCode.Combine(serviceId, client, caller) & (uint)(_sets.Length - 1)];

    /// <summary>An entry; <see cref="Client"/> null = free. <see cref="Start"/> is the window's start, in UTC ticks.</summary>
    private record struct Entry(long Service, string? Client, string? Caller, long Start, int Failures);

    /// <summary>One set of the table and its lock.</summary>
    private sealed class Set
    {
        public readonly Entry[] Entries = new Entry[Ways];

        /// <summary>The way holding the key, or -1; frees every expired way on the way.</summary>
        public int Find(long serviceId, string client, string caller, long now)
        {
            var found = -1;
            for (var i = 0; i < Entries.Length; i++)
            {
                ref var entry = ref Entries[i];
                if (entry.Client is null)
                {
                    continue;
                }

                if (now - entry.Start >= Window.Ticks)
                {
                    entry = default;
                }
                else if (entry.Service == serviceId && entry.Client == client && entry.Caller == caller)
                {
                    found = i;
                }
            }

            return found;
        }

        /// <summary>The way a new key takes: a free one (expired ones were freed by <see cref="Find"/>), else the fewest failures, else the oldest.</summary>
        public int Victim()
        {
            var victim = 0;
            for (var i = 0; i < Entries.Length; i++)
            {
                if (Entries[i].Client is null)
                {
                    return i;
                }

                var (candidate, best) = (Entries[i], Entries[victim]);
                if (candidate.Failures < best.Failures || (candidate.Failures == best.Failures && candidate.Start < best.Start))
                {
                    victim = i;
                }
            }

            return victim;
        }
    }

    /// <summary>
    /// The budget as one request at a token or introspection endpoint uses it. <see cref="RetryAfter()"/> before the
    /// lookup (a numeric ID is its own key); <see cref="RetryAfter(long?)"/> after it, because the key is the numeric
    /// ID of the client the identifier named, so that an alias and the ID share one budget (a name that matched no
    /// client keeps its own); <see cref="RecordFailure"/> when client authentication failed. An identifier that cannot
    /// name a client has no key: it is never blocked and never counted — it is refused anyway, before any lookup.
    /// </summary>
    internal readonly record struct Attempt(FailedAuthLimiter Limiter, long ServiceId, string? IdentifierKey, string Caller)
    {
        public int? RetryAfter() => Counted(IdentifierKey is null ? null : Limiter.RetryAfter(ServiceId, IdentifierKey, Caller));

        /// <summary>Seconds to wait when the client the lookup found is blocked and was not checked before the lookup.</summary>
        public int? RetryAfter(long? clientId) =>
            Counted(KeyAfterLookup(clientId) is { } key && key != IdentifierKey ? Limiter.RetryAfter(ServiceId, key, Caller) : null);

        /// <summary>Every caller answers a wait with its refusal (429, or A127105 at /auth/token): counted here, once.</summary>
        private static int? Counted(int? retryAfter)
        {
            if (retryAfter is not null)
            {
                Telemetry.RekeyMetrics.LimiterRefused();
            }

            return retryAfter;
        }

        /// <summary>
        /// Counts a failure. One of a client that exists (<paramref name="clientId"/> known) is also shared with the other
        /// nodes: that is the budget an attacker guessing a real client's secret spends. A name that matched no client
        /// has no secret to guess, and its count stays on the node (nothing for a flood of made-up names to broadcast).
        /// </summary>
        public void RecordFailure(long? clientId)
        {
            if (KeyAfterLookup(clientId) is { } key)
            {
                Limiter.RecordFailure(ServiceId, key, Caller);
                if (clientId is not null)
                {
                    Limiter.Share?.Invoke(new SharedFailure(ServiceId, key, Caller));
                }
            }
        }

        private string? KeyAfterLookup(long? clientId) => clientId is { } id ? id.ToString(CultureInfo.InvariantCulture) : IdentifierKey;
    }
}

/// <summary>A failed client authentication as nodes tell each other: the limiter's key (service, client ID, caller: an address or an API token's ID, never a secret).</summary>
internal readonly record struct SharedFailure(long ServiceId, string Client, string Caller);
