using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;

namespace Rekey.Server.Storage.Sqlite;

/// <summary>
/// Copies the write-ahead log into the database file on a connection and a thread of its own, so that the writer never
/// does it inside a COMMIT. SQLite's automatic checkpoint (every 1000 pages, inside the COMMIT that crosses the mark)
/// was a third of a secret update's cost to the writer: the pages copied, and with them an fsync of the log and one of
/// the database (bench/README.md). Here a PASSIVE checkpoint runs whenever the writer has committed
/// <see cref="WritesPerCheckpoint"/> writes, or every second; it copies what is committed without stopping the writer.
/// Under steady load the writer always adds frames while it copies, so the log could never start over: once it holds
/// more than <see cref="RestartFrames"/> frames a RESTART checkpoint waits for the writer's current batch, copies the
/// few frames left and lets the next transaction write the log from its start again — a pause of the writer of a few
/// milliseconds, once per <see cref="RestartFrames"/> pages.
/// </summary>
internal sealed class SqliteCheckpointer : IDisposable
{
    /// <summary>Writes committed between two checkpoints (or one second, whichever comes first).</summary>
    public const int WritesPerCheckpoint = 256;

    /// <summary>
    /// About 16 MB of log with 4 KB pages: the bound of the log file on disk (the writer's <c>journal_size_limit</c> cuts a
    /// log that grew past it, behind a reader that held it, back when it starts over). 16,384 frames measured the same
    /// throughput and p99 and left 50 MB more on disk (bench/README.md).
    /// </summary>
    public const int RestartFrames = 4_096;

    private static readonly Histogram<double> CheckpointDuration = SqliteWriteQueue.Meter.CreateHistogram<double>("rekey.sqlite.checkpoint.duration", "s", "One checkpoint, off the writer's path.");
    private static readonly Histogram<int> LogFrames = SqliteWriteQueue.Meter.CreateHistogram<int>("rekey.sqlite.checkpoint.log_frames", "{frame}", "Frames in the write-ahead log when a checkpoint ran.");

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _due = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _writes;

    public SqliteCheckpointer(SqliteConnection connection)
    {
        _connection = connection;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Called by the writer after each COMMIT: cheap; wakes the checkpointer every <see cref="WritesPerCheckpoint"/> writes.</summary>
    public void Committed(int writes)
    {
        if (Interlocked.Add(ref _writes, writes) >= WritesPerCheckpoint && _due.CurrentCount == 0)
        {
            Interlocked.Exchange(ref _writes, 0);
            try
            {
                _due.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already due.
            }
        }
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _due.WaitAsync(TimeSpan.FromSeconds(1), _stop.Token);
                var frames = Checkpoint("PASSIVE");
                if (frames > RestartFrames)
                {
                    Checkpoint("RESTART");
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SqliteException)
            {
                // BUSY or an I/O error: the writer keeps working and SQLite keeps the log consistent; try again next time.
            }
        }
    }

    /// <summary>Runs a checkpoint; returns the frames the log held.</summary>
    private int Checkpoint(string mode)
    {
        var started = Stopwatch.GetTimestamp();
        using var command = _connection.CreateCommand();
        command.CommandText = $"PRAGMA wal_checkpoint({mode})";
        using var reader = command.ExecuteReader();
        var frames = reader.Read() ? reader.GetInt32(1) : 0;
        CheckpointDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        LogFrames.Record(frames);
        return frames;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _loop.Wait(TimeSpan.FromSeconds(10));
        _connection.Dispose();
        _due.Dispose();
        _stop.Dispose();
    }
}
