using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Rekey.Server.Storage.Sqlite;

/// <summary>
/// SQLite has one writer at a time, so Rekey gives it exactly one: a single loop that owns the write
/// connection. Writes queue here; the loop takes every write that is waiting, runs each inside its own
/// SAVEPOINT and commits them all with one <c>COMMIT</c> — one fsync for the batch (group commit) instead of one
/// per request, which is what keeps <c>synchronous=FULL</c> affordable. A write whose outcome failed, or that
/// threw, is rolled back to its savepoint without touching its neighbours; a failed COMMIT fails the whole batch,
/// and no caller hears "done" before its COMMIT returned.
/// <para>
/// Durability without the fsync in the writer's path (<c>walToSync</c>): the write connection commits with
/// <c>synchronous=NORMAL</c> (no fsync), and a second loop flushes the write-ahead log to disk
/// (<see cref="RandomAccess.FlushToDisk"/>) and only then answers every batch whose COMMIT returned before that flush
/// began. While one flush runs, the writer goes on with the next batch, and one flush covers every batch committed
/// meanwhile. No caller hears "done" before its write is on disk; other readers may see a committed write for the
/// moment before its flush (a secret nobody but the updating caller knows yet). A flush that fails leaves those
/// batches committed but not known to be durable: their callers get <see cref="StoreOutcomeUnknownException"/>.
/// </para>
/// <para>
/// The queue is bounded: at most <c>limit</c> writes are admitted and not yet finished (waiting or in the running
/// batch). A write beyond that fails at once with <see cref="StoreOverloadedException"/> (503, A000105) instead of
/// letting memory and every caller's latency grow without limit while the writer falls behind.
/// </para>
/// </summary>
internal sealed class SqliteWriteQueue : IDisposable
{
    private const int MaxBatch = 256;

    /// <summary>Default of <c>Rekey:Storage:SqliteWriteQueueLimit</c>: at about 150 µs of writer time per update, 0.6 s of work.</summary>
    public const int DefaultLimit = 4096;

    /// <summary>
    /// The writer's own figures, for <c>dotnet-counters</c> or any OpenTelemetry exporter (meter
    /// <see cref="MeterName"/>): how many writes share a COMMIT, how long a batch and its COMMIT (the fsync) take, how
    /// many writes wait. Counts and durations only; nothing about what was written.
    /// </summary>
    public const string MeterName = "Rekey.Storage.Sqlite";

    internal static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("rekey.sqlite.write.batch_size", "{write}", "Writes committed together by one COMMIT (group commit).");
    private static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>("rekey.sqlite.write.batch_duration", "s", "From BEGIN to the end of COMMIT for one batch.");
    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("rekey.sqlite.write.commit_duration", "s", "COMMIT alone: with synchronous=FULL, the WAL fsync.");
    private static readonly UpDownCounter<int> Queued = Meter.CreateUpDownCounter<int>("rekey.sqlite.write.queued", "{write}", "Writes waiting for the writer.");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("rekey.sqlite.write.rejected", "{write}", "Writes refused because the queue was full (answered 503, A000105).");
    private static readonly Histogram<double> FlushDuration = Meter.CreateHistogram<double>("rekey.sqlite.write.flush_duration", "s", "One flush of the write-ahead log to disk (fsync), off the writer's path.");
    private static readonly Histogram<int> FlushSize = Meter.CreateHistogram<int>("rekey.sqlite.write.flush_batches", "{batch}", "Committed batches one flush made durable.");

    private readonly Channel<IWork> _queue = Channel.CreateUnbounded<IWork>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly Task _loop;
    private readonly Func<Exception, Exception> _translate;
    private readonly int _limit;

    /// <summary>Writes admitted and not yet finished: waiting in the channel or in the batch being written.</summary>
    private int _admitted;

    /// <summary>Copies the log into the database off the writer's path (null: SQLite's own checkpoint inside COMMIT).</summary>
    private readonly SqliteCheckpointer? _checkpointer;

    /// <summary>Committed batches waiting for the flush that makes them durable (null: answered at COMMIT).</summary>
    private readonly Channel<IWork[]>? _unflushed;
    private readonly Task? _flushLoop;
    private readonly string? _walToSync;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _wal;

    /// <param name="connection">The write connection, in WAL mode.</param>
    /// <param name="translate">Turns a database error into what callers see.</param>
    /// <param name="limit">Writes admitted and not yet finished.</param>
    /// <param name="walToSync">
    /// The write-ahead log to flush before answering (the connection then commits with <c>synchronous=NORMAL</c>); null to
    /// answer at COMMIT, with whatever durability the connection's own <c>synchronous</c> setting gives.
    /// </param>
    public SqliteWriteQueue(SqliteConnection connection, Func<Exception, Exception> translate, int limit = DefaultLimit, string? walToSync = null, SqliteCheckpointer? checkpointer = null)
    {
        _checkpointer = checkpointer;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _connection = connection;
        _translate = translate;
        _limit = limit;
        _walToSync = walToSync;
        if (walToSync is not null)
        {
            _unflushed = Channel.CreateUnbounded<IWork[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            _flushLoop = Task.Run(FlushAsync);
        }

        _loop = Task.Run(RunAsync);
    }

    public Task<T> RunAsync<T>(Func<SqliteConnection, T> work, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _admitted) > _limit)
        {
            Interlocked.Decrement(ref _admitted);
            Rejected.Add(1);
            return Task.FromException<T>(new StoreOverloadedException($"The SQLite write queue is full ({_limit} writes waiting or being written)."));
        }

        var item = new Work<T>(work, ct);
        Queued.Add(1);
        if (!_queue.Writer.TryWrite(item))
        {
            Queued.Add(-1);
            Interlocked.Decrement(ref _admitted);
            ObjectDisposedException.ThrowIf(true, this);
        }

        return item.Task;
    }

    // One loop at a time owns the connection. It awaits new work (a blocking wait spins first, which showed up as
    // sched_yield in the profile) and then runs the batch synchronously: SQLite calls block anyway.
    private async Task RunAsync()
    {
        var batch = new List<IWork>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                Queued.Add(-1);
                if (item.CancellationRequested)
                {
                    Interlocked.Decrement(ref _admitted);
                    item.Cancel();
                }
                else
                {
                    batch.Add(item);
                }
            }

            if (batch.Count > 0)
            {
                RunBatch(batch);
            }
        }
    }

    private void RunBatch(List<IWork> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            Execute("BEGIN IMMEDIATE");
            foreach (var item in batch)
            {
                Execute("SAVEPOINT w");
                item.Execute(_connection);
                if (item.NeedsRollback)
                {
                    Execute("ROLLBACK TO w");
                }

                Execute("RELEASE w");
            }

            var committing = Stopwatch.GetTimestamp();
            Execute("COMMIT");
            var commit = Stopwatch.GetElapsedTime(committing);
            CommitDuration.Record(commit.TotalSeconds);
            Telemetry.RekeyMetrics.Committed("sqlite", commit);
            BatchDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            BatchSize.Record(batch.Count);
            _checkpointer?.Committed(batch.Count);
        }
        catch (Exception ex)
        {
            RollBackQuietly();
            var failure = _translate(ex);
            Release(batch);
            foreach (var item in batch)
            {
                item.Fail(failure);
            }

            return;
        }

        Release(batch);
        if (_unflushed is not null && _unflushed.Writer.TryWrite([.. batch]))
        {
            return;
        }

        foreach (var item in batch)
        {
            item.Complete();
        }
    }

    /// <summary>
    /// The flush loop: takes every batch committed so far, flushes the write-ahead log once, answers them all. The
    /// flush covers at least what those COMMITs wrote, since each returned before the flush began.
    /// </summary>
    private async Task FlushAsync()
    {
        var committed = new List<IWork[]>();
        var reader = (_unflushed ?? throw new InvalidOperationException("No flush to run.")).Reader;
        while (await reader.WaitToReadAsync())
        {
            committed.Clear();
            while (reader.TryRead(out var batch))
            {
                committed.Add(batch);
            }

            Exception? failure = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                _wal ??= File.OpenHandle(_walToSync ?? "", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                RandomAccess.FlushToDisk(_wal);
                FlushDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                FlushSize.Record(committed.Count);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _wal?.Dispose();
                _wal = null;
                failure = new StoreOutcomeUnknownException("The write-ahead log could not be flushed to disk: the change was committed but is not known to be durable.", ex);
            }

            foreach (var batch in committed)
            {
                foreach (var item in batch)
                {
                    if (failure is null)
                    {
                        item.Complete();
                    }
                    else
                    {
                        item.Fail(failure);
                    }
                }
            }
        }
    }

    // Before the callers hear the outcome: one that writes again at once must find its slot free.
    private void Release(List<IWork> batch) => Interlocked.Add(ref _admitted, -batch.Count);

    private void RollBackQuietly()
    {
        if (_connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            Execute("ROLLBACK");
        }
        catch (SqliteException)
        {
            // No transaction was open (BEGIN itself failed): there is nothing to roll back.
        }
    }

    // BEGIN, SAVEPOINT, RELEASE, COMMIT run for every batch and every write: prepared once, kept.
    private readonly Dictionary<string, SqliteCommand> _control = new(StringComparer.Ordinal);

    private void Execute(string sql)
    {
        if (!_control.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _control[sql] = command;
        }

        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _loop.Wait(TimeSpan.FromSeconds(10));
        _unflushed?.Writer.TryComplete();
        _flushLoop?.Wait(TimeSpan.FromSeconds(10));
        _wal?.Dispose();
        _checkpointer?.Dispose();
        foreach (var command in _control.Values)
        {
            command.Dispose();
        }

        _connection.Dispose();
    }

    private interface IWork
    {
        bool NeedsRollback { get; }

        bool CancellationRequested { get; }

        void Cancel();

        void Execute(SqliteConnection connection);

        void Complete();

        void Fail(Exception ex);
    }

    private sealed class Work<T>(Func<SqliteConnection, T> work, CancellationToken ct) : IWork
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Action? _complete;
        private bool _failedOutcome;
        private Exception? _error;

        public Task<T> Task => _tcs.Task;

        public bool NeedsRollback => _error is not null || _failedOutcome;

        public bool CancellationRequested => ct.IsCancellationRequested;

        public void Cancel() => _tcs.TrySetCanceled(ct);

        public void Execute(SqliteConnection connection)
        {
            try
            {
                var result = work(connection);
                _failedOutcome = result is IOutcome { Failed: true };
                _complete = () => _tcs.TrySetResult(result);
            }
            catch (SqliteException)
            {
                // A database error inside a write leaves the transaction in an unknown state: fail the batch.
                throw;
            }
            catch (Exception ex)
            {
                // A bug or a broken stored row in this write alone: roll back its savepoint, keep the others.
                _error = ex;
            }
        }

        public void Complete()
        {
            if (_error is not null)
            {
                _tcs.TrySetException(_error);
            }
            else
            {
                _complete?.Invoke();
            }
        }

        public void Fail(Exception ex) => _tcs.TrySetException(ex);
    }
}
