using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Rekey.Server.Hosting;

namespace Rekey.Server.Storage.Postgres;

/// <summary>
/// How a node hears of the changes other nodes commit: a connection of its own that <c>LISTEN</c>s on
/// <see cref="Channel"/>, where every change's transaction sends what it reached (<see cref="RekeyStore.Changed"/>),
/// and that proves itself with a heartbeat: every <see cref="VerificationCache.HeartbeatInterval"/> it sends a
/// notification to a channel only this node listens on, through the same database, and records when it sent it.
/// PostgreSQL delivers notifications in commit order, so when a heartbeat comes back every change committed before it
/// was sent has been heard (and forgotten); <see cref="VerificationCache.FeedProved"/> takes that moment. A connection
/// that fails, is killed or stops answering (a heartbeat that takes longer than the staleness bound) is replaced, and the
/// cache starts empty with it. The same connection carries the failed client authentications nodes tell each other
/// (<see cref="FailureChannel"/>), so that the failure budget holds across the cluster.
/// </summary>
internal sealed class PostgresChangeFeed(IRekeyStore store, VerificationCache cache, OAuth.FailedAuthLimiter limiter, Microsoft.Extensions.Options.IOptions<RekeyOptions> options,
    ILogger<PostgresChangeFeed> logger) : BackgroundService
{
    /// <summary>Where changes are announced, by every node.</summary>
    public const string Channel = "rekey_changes";

    /// <summary>Where nodes tell each other of failed client authentications (<see cref="OAuth.FailedAuthLimiter.Share"/>).</summary>
    public const string FailureChannel = "rekey_failures";

    /// <summary>Failures waiting to be told; past this many (a flood) the rest stay counted on this node only.</summary>
    private const int MaxPendingFailures = 1_000;

    /// <summary>How long the feed blocks at most before it sends the failures that came meanwhile.</summary>
    private static readonly TimeSpan FailureDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// What the feed's connection adds to the configured <c>application_name</c> (default <c>rekey</c>): an operator, or a
    /// test, finds it in <c>pg_stat_activity</c> as <c>rekey:change-feed</c>, or <c>node-b:change-feed</c> for a node whose
    /// connection string names itself <c>node-b</c>.
    /// </summary>
    public const string ApplicationSuffix = ":change-feed";

    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>This node's name: in the failures it tells (so that it does not count its own twice), and in its heartbeat channel.</summary>
    private readonly string _node = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _failures = new();
    private long _failureNumber;

    /// <summary>The longest caller a shared failure may name (an IPv6 address with its scope, "api-token N", "organisation@…").</summary>
    private const int MaxCaller = 100;

    /// <summary>This connection's heartbeat nonce, and when its newest heartbeat that came back was sent (the feed's thread only).</summary>
    private string _nonce = "";
    private long _lastProof;

    /// <summary>A notification that could not be handled: the connection is replaced.</summary>
    private volatile Exception? _fault;

    /// <summary>A heartbeat came back since the connection was opened (the feed's thread only).</summary>
    private bool _current;

    /// <summary>Connections opened so far (a test waits for a new one after killing the last).</summary>
    public int Connections => Volatile.Read(ref _connections);

    private int _connections;

    /// <summary>
    /// The database's process serving the feed's connection now, if any (<c>pg_stat_activity.pid</c>): the one that
    /// listens, and the only one whose heartbeats prove anything.
    /// </summary>
    public int? BackendPid { get; private set; }

    /// <summary>This node's heartbeat channel: no other node listens on it.</summary>
    private string Heartbeats => "rekey_heartbeat_" + _node;

    /// <summary>
    /// Runs on a thread of its own, with blocking calls: under a saturated thread pool a heartbeat's continuation could wait
    /// in the queue long enough to stop the cache (the bound counts from when a heartbeat was sent).
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not RekeyStore { Engine: PostgresEngine engine })
        {
            return Task.CompletedTask;
        }

        limiter.Share = Offer;
        var connectionString = options.Value.Cache.FeedConnectionString is { Length: > 0 } feed ? feed : engine.ConnectionString;
        return Task.Factory.StartNew(() => Run(connectionString, stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Queues a failure for the other nodes (sent by the feed's thread within <see cref="FailureDelay"/>).</summary>
    private void Offer(OAuth.SharedFailure failure)
    {
        if (_failures.Count < MaxPendingFailures)
        {
            // Numbered: PostgreSQL folds notifications of one transaction that are identical, and each failure counts.
            var number = Interlocked.Increment(ref _failureNumber).ToString(CultureInfo.InvariantCulture);
            _failures.Enqueue(string.Join('|', _node, number, failure.ServiceId.ToString(CultureInfo.InvariantCulture), failure.Client, failure.Caller));
        }
    }

    private void Run(string connectionString, CancellationToken stoppingToken)
    {
        Thread.CurrentThread.Name = "rekey change feed";
        Thread.CurrentThread.Priority = ThreadPriority.AboveNormal;
        var backoff = InitialBackoff;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Listen(connectionString, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping closes the connection under the blocked call, whatever that call throws then.
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or IOException or System.Net.Sockets.SocketException)
            {
                // A feed that had been listening starts over from the shortest wait: the backoff is for a database that
                // keeps refusing, not for the occasional lost connection (measured: after a few losses a node otherwise
                // waited 5 s, its cache off, after every later one).
                if (BackendPid is not null)
                {
                    backoff = InitialBackoff;
                }

                BackendPid = null;
                cache.FeedRestarted();
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                Log.ChangeFeedLost(logger, PostgresErrors.Describe(ex), backoff.TotalSeconds);
                stoppingToken.WaitHandle.WaitOne(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    private void Listen(string connectionString, CancellationToken ct)
    {
        var timeout = Math.Max(1, (int)Math.Ceiling(cache.Staleness.TotalSeconds * 2));
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // Its own connection, never pooled: LISTEN is session state, and a pooled connection would carry it to others.
            Pooling = false,
            ApplicationName = (new NpgsqlConnectionStringBuilder(connectionString).ApplicationName is { Length: > 0 } name ? name : "rekey") + ApplicationSuffix,
            Timeout = timeout,
            CommandTimeout = timeout,
            KeepAlive = 1,
        };
        using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        connection.Notification += (_, e) => Heard(e.Channel, e.Payload, e.PID);

        // The feed's own statements (heartbeats, failures) need no durability, and every notifying COMMIT holds
        // PostgreSQL's notification lock through its WAL flush: without the flush it is held for less. The backend's own
        // process ID (not the proxy's, behind one) is what its heartbeats must come from.
        int listener;
        using (var listen = new NpgsqlCommand($"SET synchronous_commit = off; LISTEN {Channel}; LISTEN {FailureChannel}; LISTEN {Heartbeats}; SELECT pg_backend_pid()", connection))
        {
            listener = Convert.ToInt32(listen.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        _nonce = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        _fault = null;

        // Listening from here on: whatever committed before is in the database, whatever commits after is heard. The
        // cache starts empty (anything missed while no connection listened is forgotten) and serves once a heartbeat
        // sent from now on comes back.
        cache.FeedRestarted();
        _current = false;
        _lastProof = Stopwatch.GetTimestamp();
        BackendPid = listener;
        Interlocked.Increment(ref _connections);
        Log.ChangeFeedListening(logger, Channel);
        using var heartbeat = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
        heartbeat.Parameters.AddWithValue("channel", Heartbeats);
        var payload = heartbeat.Parameters.AddWithValue("payload", "");
        var interval = (long)(VerificationCache.HeartbeatInterval.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // The heartbeat carries the moment it was sent (this process's clock), under the connection's nonce.
            var sentAt = Stopwatch.GetTimestamp();
            payload.Value = _nonce + ":" + sentAt.ToString(CultureInfo.InvariantCulture);
            heartbeat.ExecuteNonQuery();
            CheckHealth(sentAt);

            // Until the next heartbeat is due, wait for notifications (each is handled as it is read, in order), and
            // tell the failures that came meanwhile.
            for (var left = sentAt + interval - Stopwatch.GetTimestamp(); left > 0; left = sentAt + interval - Stopwatch.GetTimestamp())
            {
                ct.ThrowIfCancellationRequested();
                TellFailures(connection);
                connection.Wait(Math.Clamp((int)(left * 1000 / Stopwatch.Frequency), 1, (int)FailureDelay.TotalMilliseconds));
                CheckHealth(Stopwatch.GetTimestamp());
            }
        }
    }

    /// <summary>
    /// Replaces a connection that does not prove itself: a notification that could not be handled, or heartbeats that
    /// stopped coming back while statements still succeed (a proxy that lends the listening session to others, a
    /// backlog). The cache has stopped serving by then already; this gets a working feed back, and says why.
    /// </summary>
    private void CheckHealth(long now)
    {
        if (_fault is { } fault)
        {
            throw new InvalidOperationException("a notification could not be handled: " + fault.Message, fault);
        }

        if (Stopwatch.GetElapsedTime(_lastProof, now) > 2 * cache.Staleness + VerificationCache.HeartbeatInterval)
        {
            throw new TimeoutException($"no heartbeat came back for {Stopwatch.GetElapsedTime(_lastProof, now).TotalMilliseconds:0} ms");
        }
    }

    /// <summary>Sends the queued failures in one statement (a failure is never a reason to lose the feed: the batch is small).</summary>
    private void TellFailures(NpgsqlConnection connection)
    {
        if (_failures.IsEmpty)
        {
            return;
        }

        var batch = new List<string>();
        while (batch.Count < 1000 && _failures.TryDequeue(out var failure))
        {
            batch.Add(failure);
        }

        using var tell = new NpgsqlCommand($"SELECT pg_notify('{FailureChannel}', p) FROM unnest(@p) AS p", connection);
        tell.Parameters.AddWithValue("p", batch.ToArray());
        tell.ExecuteNonQuery();
    }

    /// <summary>
    /// One notification, on the feed's thread. Whatever goes wrong handling it is kept for <see cref="CheckHealth"/>:
    /// a change that was heard but not forgotten must not be followed by a heartbeat that proves the feed current.
    /// </summary>
    private void Heard(string channel, string payload, int sender)
    {
        try
        {
            Handle(channel, payload, sender);
        }
        catch (Exception ex)
        {
            cache.FeedRestarted();
            _fault ??= ex;
        }
    }

    private void Handle(string channel, string payload, int sender)
    {
        if (_fault is not null)
        {
            return;
        }

        if (channel == FailureChannel)
        {
            // From another node, in the shape this class writes: a numeric client ID and a short caller. Anything else
            // (another role's payload) is ignored: it could only block a caller or fill the limiter's table.
            if (payload.Split('|', 5) is [var node, _, var service, var client, var caller] && node != _node
                && long.TryParse(service, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var serviceId)
                && client.Length is > 0 and <= 20 && client.All(char.IsAsciiDigit) && caller.Length <= MaxCaller)
            {
                limiter.RecordSharedFailure(new OAuth.SharedFailure(serviceId, client, caller));
            }

            return;
        }

        if (channel == Heartbeats)
        {
            // Only this session's own heartbeats prove anything: sent by the backend that listens (behind a proxy that
            // lends sessions out, they would not be), carrying this connection's nonce.
            if (sender != BackendPid)
            {
                throw new InvalidOperationException(
                    $"a heartbeat came from database process {sender}, not from the listening one ({BackendPid}): is the feed behind a transaction-pooling proxy? (Rekey:Cache:FeedConnectionString)");
            }

            if (payload.Split(':') is [var nonce, var sent] && nonce == _nonce
                && long.TryParse(sent, NumberStyles.None, CultureInfo.InvariantCulture, out var sentAt))
            {
                _lastProof = sentAt;
                cache.FeedProved(sentAt);
                if (!_current)
                {
                    _current = true;
                    Log.ChangeFeedCurrent(logger, Math.Round(Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds, 1));
                }
            }

            return;
        }

        if (channel == Channel)
        {
            cache.Forget(ChangeScope.Parse(payload));
        }
    }
}
