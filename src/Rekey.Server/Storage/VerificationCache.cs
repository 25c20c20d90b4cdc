using System.Diagnostics;
using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.Telemetry;

namespace Rekey.Server.Storage;

/// <summary>
/// Each node's cache of what client authentication reads: services (the token, discovery and registration endpoints
/// look them up on every request) and clients with their secrets' digests, lock state and validity times
/// (<see cref="ClientCredentials"/>). Populated on demand, bounded in memory, forgotten when a change reaches it.
/// </summary>
/// <remarks>
/// <para><b>Correctness.</b> A change is never served stale for longer than <see cref="Staleness"/> after it committed:</para>
/// <list type="bullet">
/// <item>The node that made a change forgets what it reached right after COMMIT, before it answers
/// (<see cref="RekeyStore.Changed"/>); a read that began before the change and ends after it is not kept (every
/// forgetting advances <c>_changes</c>, and an entry is kept only if no forgetting happened while it was read).</item>
/// <item>Other nodes learn of it from the change feed (PostgreSQL <c>NOTIFY</c>, sent in the change's transaction, so
/// only when it commits). Notifications arrive in commit order; the feed also sends itself a heartbeat every
/// <see cref="HeartbeatInterval"/> and, when it arrives, <see cref="FeedProved"/> records when it was sent. A change
/// that committed before that moment has been delivered before the heartbeat, and forgotten. The cache is used only
/// while the last proof is younger than <see cref="Staleness"/>; a lost connection, a slow database or a stalled
/// listener therefore turns it off within that time, and every read goes to the database until the feed proves
/// itself again (after a reconnection the cache starts empty: what was missed meanwhile is not known).</item>
/// <item>Without a feed (SQLite) there is one node, and its own changes are all there are: a SQLite file has one Rekey
/// process (docs/deployment.md), and the backup command only reads it.</item>
/// </list>
/// <para>Expiry and grace periods need nothing: the validity times are cached and compared with the clock on every
/// verification. An unknown client is never cached (a guess costs a read, as before), nor is anything that failed.</para>
/// <para><b>Memory.</b> Every entry is charged an estimate of what it holds (<see cref="SizeOf"/>); past
/// <see cref="MaxBytes"/> entries are dropped in CLOCK order (a hit since the hand last passed spares an entry once).
/// Hits take no lock; misses and changes take one short lock.</para>
/// </remarks>
internal sealed class VerificationCache
{
    /// <summary>How often the change feed proves itself (a heartbeat through the database to itself).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest an entry is served without being read again, whatever else happens.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    /// <summary>What an entry costs beyond its strings and byte arrays: the entry, its key, the dictionary's node, the record, the list.</summary>
    private const int EntryOverhead = 520;

    /// <summary>What each cached secret costs beyond its byte arrays and key name.</summary>
    private const int SecretOverhead = 140;

    private readonly IRekeyStore _store;
    private readonly bool _enabled;
    private readonly long _stalenessTicks;
    private readonly long _maxAgeTicks;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(long ServiceId, string? Identifier), Entry> _entries = new();
    private readonly Lock _gate = new();

    /// <summary>Advanced when a change reaches a service: its entries and its clients' entries read before it are stale. Written under <c>_gate</c>.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, long> _serviceEpochs = new();

    // Under _gate:
    private readonly Queue<Entry> _clock = new();
    private readonly Dictionary<long, List<(long ServiceId, string Identifier)>> _byClient = [];
    private long _bytes;
    private int _live;

    private long _changes;
    private long _hits;
    private long _misses;
    private long _bypasses;

    /// <summary>Stopwatch timestamp when the newest heartbeat that came back was sent; 0 until one has (feed mode only).</summary>
    private long _provedAt;

    public VerificationCache(IRekeyStore store, IOptions<RekeyOptions> options)
    {
        var cache = options.Value.Cache;
        _store = store;
        _enabled = cache.Enabled;
        MaxBytes = cache.MaxMegabytes * 1024L * 1024L;
        Staleness = TimeSpan.FromMilliseconds(cache.StalenessMilliseconds);
        _stalenessTicks = (long)(Staleness.TotalSeconds * Stopwatch.Frequency);
        UsesFeed = store is RekeyStore { Engine: Postgres.PostgresEngine };

        // An entry stays until a change reaches it; a minute at most, a net under a change ever written without naming
        // its reach (a reload a minute per client and node costs nothing measurable).
        _maxAgeTicks = (long)(MaxAge.TotalSeconds * Stopwatch.Frequency);
        if (store is RekeyStore rekey)
        {
            rekey.Changed += Forget;
        }

        RekeyMetrics.ObserveCache(this);
    }

    /// <summary>The propagation bound (<c>Rekey:Cache:StalenessMilliseconds</c>).</summary>
    public TimeSpan Staleness { get; }

    public long MaxBytes { get; }

    /// <summary>True where a change feed must prove itself before the cache is used (PostgreSQL).</summary>
    public bool UsesFeed { get; }

    /// <summary>The estimated bytes the entries hold now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public int Count => Volatile.Read(ref _live);

    /// <summary>True when entries may be served now.</summary>
    public bool IsServing => _enabled && (!UsesFeed || Fresh(Stopwatch.GetTimestamp()));

    /// <summary>The client named by <paramref name="identifier"/> (numeric ID or alias) with its secrets, from the cache or the store.</summary>
    public Task<Outcome<ClientCredentials>> CredentialsAsync(long serviceId, string identifier, CancellationToken ct) =>
        TryHit((serviceId, identifier), out var hit) ? Task.FromResult<Outcome<ClientCredentials>>((ClientCredentials)hit) : ReadCredentialsAsync(serviceId, identifier, ct);

    /// <summary>The service, from the cache or the store.</summary>
    public Task<StoredService?> ServiceAsync(long serviceId, CancellationToken ct) =>
        TryHit((serviceId, null), out var hit) ? Task.FromResult<StoredService?>((StoredService)hit) : ReadServiceAsync(serviceId, ct);

    private async Task<Outcome<ClientCredentials>> ReadCredentialsAsync(long serviceId, string identifier, CancellationToken ct)
    {
        Outcome<ClientCredentials> found = default!;
        await MissAsync((serviceId, identifier), async () =>
        {
            found = await _store.FindCredentialsAsync(serviceId, identifier, ct);
            return found.IsOk(out var credentials, out _) ? (credentials, credentials.ClientId, SizeOf(identifier, credentials)) : null;
        });
        return found;
    }

    private async Task<StoredService?> ReadServiceAsync(long serviceId, CancellationToken ct)
    {
        StoredService? found = null;
        await MissAsync((serviceId, null), async () =>
        {
            found = await _store.GetServiceAsync(serviceId, ct);
            return found is null ? null : (found, 0L, EntryOverhead + 2 * found.Document.Length);
        });
        return found;
    }

    /// <summary>
    /// The lookup both kinds share, for tests that bring their own values: a hit hands the cached value to
    /// <paramref name="hit"/>; otherwise <see cref="MissAsync"/>.
    /// </summary>
    internal async Task GetAsync((long ServiceId, string? Identifier) key, Func<Task<(object Value, long ClientId, int Size)?>> load, Action<object> hit)
    {
        if (TryHit(key, out var value))
        {
            hit(value);
            return;
        }

        await MissAsync(key, load);
    }

    /// <summary>
    /// Not in the cache: <paramref name="load"/> reads the store (and hands back what to keep, or null for nothing: an
    /// unknown or failed read), and the value is kept when the cache is serving and no change was forgotten meanwhile.
    /// </summary>
    private async Task MissAsync((long ServiceId, string? Identifier) key, Func<Task<(object Value, long ClientId, int Size)?>> load)
    {
        if (!IsServing)
        {
            Interlocked.Increment(ref _bypasses);
            await load();
            return;
        }

        Interlocked.Increment(ref _misses);
        var (changes, serviceEpoch) = Snapshot(key.ServiceId);
        if (await load() is { } loaded)
        {
            Keep(key, loaded.Value, loaded.ClientId, loaded.Size, changes, serviceEpoch);
        }
    }

    /// <summary>Lookups answered from the cache, from the store and kept, and from the store while the cache was not serving.</summary>
    public (long Hits, long Misses, long Bypasses) Lookups => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Interlocked.Read(ref _bypasses));

    /// <summary>Forgets what a committed change reached (this node's own changes, and the feed's notifications).</summary>
    public void Forget(ChangeScope scope)
    {
        lock (_gate)
        {
            _changes++;
            switch (scope.Reach)
            {
                case ChangeReach.Client:
                    if (_byClient.Remove(scope.Id, out var keys))
                    {
                        foreach (var (serviceId, identifier) in keys)
                        {
                            if (_entries.TryGetValue((serviceId, identifier), out var entry) && entry.ClientId == scope.Id)
                            {
                                Drop(entry);
                            }
                        }
                    }

                    break;
                case ChangeReach.Service:
                    // The service's entry goes now; its clients' entries are stale from here on (their epoch no longer
                    // matches) and go when the clock hand or a lookup finds them.
                    _serviceEpochs[scope.Id] = _serviceEpochs.GetValueOrDefault(scope.Id) + 1;
                    if (_entries.TryGetValue((scope.Id, null), out var service))
                    {
                        Drop(service);
                    }

                    break;
                default:
                    ForgetEverything();
                    break;
            }
        }
    }

    /// <summary>The feed's heartbeat sent at <paramref name="sentAt"/> (a <see cref="Stopwatch"/> timestamp) came back.</summary>
    public void FeedProved(long sentAt)
    {
        long seen;
        do
        {
            seen = Interlocked.Read(ref _provedAt);
        }
        while (sentAt > seen && Interlocked.CompareExchange(ref _provedAt, sentAt, seen) != seen);
    }

    /// <summary>
    /// The feed's connection is new (or lost): notifications may have been missed, so everything goes, and the cache
    /// serves nothing until a heartbeat sent from now on comes back.
    /// </summary>
    public void FeedRestarted()
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _provedAt, 0);
            _changes++;
            ForgetEverything();
        }
    }

    private bool Fresh(long now)
    {
        var proved = Interlocked.Read(ref _provedAt);
        return proved != 0 && now - proved <= _stalenessTicks;
    }

    private bool TryHit((long ServiceId, string? Identifier) key, out object value)
    {
        value = null!;
        if (!_enabled)
        {
            return false;
        }

        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        // The clock and the entry's state are read after the entry was found: a thread held up in between must not
        // judge it by an older moment, or serve an entry forgotten meanwhile.
        var now = Stopwatch.GetTimestamp();
        if (entry.Dropped || (UsesFeed && !Fresh(now)))
        {
            return false;
        }

        if (now - entry.LoadedAt > _maxAgeTicks || entry.ServiceEpoch != ServiceEpoch(key.ServiceId))
        {
            lock (_gate)
            {
                Drop(entry);
            }

            return false;
        }

        entry.Referenced = true;
        value = entry.Value;
        Interlocked.Increment(ref _hits);
        return true;
    }

    private (long Changes, long ServiceEpoch) Snapshot(long serviceId)
    {
        lock (_gate)
        {
            return (_changes, _serviceEpochs.GetValueOrDefault(serviceId));
        }
    }

    private long ServiceEpoch(long serviceId) => _serviceEpochs.GetValueOrDefault(serviceId);

    /// <summary>Keeps what was read, unless a change was forgotten while it was read (it might be older than that change).</summary>
    private void Keep((long ServiceId, string? Identifier) key, object value, long clientId, int size, long changes, long serviceEpoch)
    {
        lock (_gate)
        {
            if (_changes != changes || size > MaxBytes)
            {
                return;
            }

            var entry = new Entry(key, value, clientId, size, Stopwatch.GetTimestamp(), serviceEpoch);
            if (_entries.TryGetValue(key, out var old))
            {
                Drop(old);
            }

            _entries[key] = entry;
            _bytes += size;
            _live++;
            _clock.Enqueue(entry);
            if (clientId != 0 && key.Identifier is { } identifier)
            {
                if (!_byClient.TryGetValue(clientId, out var keys))
                {
                    _byClient[clientId] = keys = [];
                }

                keys.Add((key.ServiceId, identifier));
            }

            Sweep();
        }
    }

    /// <summary>
    /// The CLOCK hand (under <c>_gate</c>): while over the byte budget, or while the queue holds many entries already
    /// dropped, it takes the oldest; a live entry hit since the last pass goes to the back once, any other is dropped.
    /// </summary>
    private void Sweep()
    {
        while (_clock.Count > 0 && (_bytes > MaxBytes || _clock.Count > 2 * _live + 1024))
        {
            var entry = _clock.Dequeue();
            if (entry.Dropped)
            {
                continue;
            }

            // A live entry hit since the hand last passed goes to the back once; so does every live entry while only
            // dropped ones are being cleared out of the queue.
            if (entry.Referenced || _bytes <= MaxBytes)
            {
                entry.Referenced = false;
                _clock.Enqueue(entry);
                continue;
            }

            Drop(entry);
        }
    }

    /// <summary>Removes an entry (under <c>_gate</c>); its bytes are given back once.</summary>
    private void Drop(Entry entry)
    {
        if (entry.Dropped)
        {
            return;
        }

        entry.Dropped = true;
        _entries.TryRemove(new KeyValuePair<(long, string?), Entry>(entry.Key, entry));
        _bytes -= entry.Size;
        _live--;
        if (entry.ClientId != 0 && _byClient.TryGetValue(entry.ClientId, out var keys))
        {
            keys.Remove((entry.Key.ServiceId, entry.Key.Identifier!));
            if (keys.Count == 0)
            {
                _byClient.Remove(entry.ClientId);
            }
        }
    }

    /// <summary>Drops every entry (under <c>_gate</c>, with <c>_changes</c> advanced: nothing read before is kept after).</summary>
    private void ForgetEverything()
    {
        foreach (var entry in _entries.Values)
        {
            Drop(entry);
        }

        _clock.Clear();
        _byClient.Clear();
    }

    /// <summary>
    /// What an entry is charged: its key and values as .NET holds them (UTF-16 strings, byte arrays with their headers)
    /// and a fixed part for the objects around them, an over-estimate checked by a test that fills the cache with a
    /// million clients and weighs the heap.
    /// </summary>
    internal static int SizeOf(string identifier, ClientCredentials client)
    {
        var size = EntryOverhead + 2 * (identifier.Length + client.Document.Length + (client.Alias?.Length ?? 0));
        foreach (var secret in client.Secrets)
        {
            size += SecretOverhead + 2 * secret.KeyId.Length + secret.Digest.Length + (secret.Ciphertext?.Length ?? 0);
        }

        return size;
    }

    private sealed class Entry((long ServiceId, string? Identifier) key, object value, long clientId, int size, long loadedAt, long serviceEpoch)
    {
        public (long ServiceId, string? Identifier) Key { get; } = key;

        public object Value { get; } = value;

        /// <summary>0 for a service's entry.</summary>
        public long ClientId { get; } = clientId;

        public int Size { get; } = size;

        public long LoadedAt { get; } = loadedAt;

        public long ServiceEpoch { get; } = serviceEpoch;

        /// <summary>Hit since the clock hand last passed (written without a lock: a lost write only spares or drops an entry early).</summary>
        public bool Referenced { get; set; }

        /// <summary>Removed; set under the cache's lock, read without it by a lookup.</summary>
        public bool Dropped
        {
            get => Volatile.Read(ref _dropped);
            set => Volatile.Write(ref _dropped, value);
        }

        private bool _dropped;
    }
}
