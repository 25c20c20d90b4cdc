using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage.Sqlite;

/// <summary>
/// The embedded engine: one SQLite file in WAL mode. Reads use pooled connections that keep their prepared statements
/// and never wait for the writer; writes go through <see cref="SqliteWriteQueue"/>, one writer loop, group commit. With
/// one writer there are no row locks to take (<see cref="IStoreSession.Lock"/> is skipped) and nothing to defer.
/// </summary>
internal sealed class SqliteEngine : IStoreEngine
{
    private readonly string _connectionString;
    private readonly string _synchronous;
    private readonly Lazy<SqliteWriteQueue> _writer;

    /// <summary>Open read connections, each with its prepared statements (see <see cref="Prepared"/>).</summary>
    private readonly ConcurrentBag<SqliteConnection> _readers = [];

    /// <summary>How many connections <see cref="_readers"/> holds (its own Count takes every thread's lock).</summary>
    private int _idleReaders;

    /// <summary>Read connections kept open between reads; more may exist while reads run, and are closed after.</summary>
    private const int MaxIdleReaders = 16;

    private bool _disposed;

    /// <summary>Durable answers from the flush loop instead of an fsync inside each COMMIT.</summary>
    private readonly bool _flushBeforeAnswer;

    public SqliteEngine(string connectionString, string synchronous, int writeQueueLimit = SqliteWriteQueue.DefaultLimit)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        _connectionString = builder.ToString();
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && !file.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && builder.Mode != SqliteOpenMode.Memory)
        {
            // Created by us with mode 0600 before SQLite opens it: SQLite would create it with the process umask (0644
            // by default) and give its -wal and -shm files the same mode.
            PrivateFile.CreateEmpty(file);
        }

        _synchronous = synchronous;
        // FULL (and EXTRA): every answer waits for the write-ahead log's fsync, but the writer does not (it commits with
        // NORMAL and a flush loop fsyncs for every batch committed meanwhile). NORMAL: answered at COMMIT, no fsync.
        _flushBeforeAnswer = synchronous is "FULL" or "EXTRA" && builder.DataSource is { Length: > 0 } source && source != ":memory:" && builder.Mode != SqliteOpenMode.Memory;
        var wal = _flushBeforeAnswer ? Path.GetFullPath(builder.DataSource) + "-wal" : null;
        var onDisk = builder.DataSource is { Length: > 0 } file2 && file2 != ":memory:" && builder.Mode != SqliteOpenMode.Memory;
        _writer = new Lazy<SqliteWriteQueue>(() =>
        {
            var writer = OpenWriteConnection(checkpointsElsewhere: onDisk);
            return new SqliteWriteQueue(writer, Translate, writeQueueLimit, wal, onDisk ? new SqliteCheckpointer(OpenCheckpointConnection()) : null);
        });
    }

    public Dialect Dialect => Dialect.Sqlite;

    private SqliteConnection OpenWriteConnection(bool checkpointsElsewhere)
    {
        var connection = OpenPrepared();
        // temp_store=MEMORY: every write runs in its own SAVEPOINT, and SQLite keeps the original of each page a
        // savepoint changes in a sub-journal, by default a temporary file: a quarter of the writer's write calls
        // (bench/README.md). In memory it costs a few pages per write and no system calls. A 32 MB page cache keeps
        // the pages of the clients being changed in memory. wal_autocheckpoint=0: SqliteCheckpointer copies the log;
        // journal_size_limit: a log that grew past its usual bound is cut back when it starts over.
        Exec(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(_flushBeforeAnswer ? "NORMAL" : _synchronous)}; PRAGMA foreign_keys=ON; " +
            $"PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768; PRAGMA journal_size_limit={SqliteCheckpointer.RestartFrames * 4096L};" +
            (checkpointsElsewhere ? " PRAGMA wal_autocheckpoint=0;" : ""));
        return connection;
    }

    private SqliteConnection OpenCheckpointConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Exec(connection, $"PRAGMA busy_timeout=10000; PRAGMA synchronous={(_flushBeforeAnswer ? "NORMAL" : _synchronous)};");
        return connection;
    }

    /// <summary>An open connection whose commands are kept prepared, by SQL text, for as long as it lives.</summary>
    private SqliteConnection OpenPrepared()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Prepared.Add(connection, new Dictionary<string, SqliteCommand>(StringComparer.Ordinal));
        return connection;
    }

    public Task<T> WriteAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> write, CancellationToken ct) =>
        _writer.Value.RunAsync(c => Complete(write(new Session(c), ct)), ct);

    /// <summary>
    /// Runs a read on a connection of its own. Connections are reused with their prepared statements: parsing and
    /// planning the client lookup anew on every token request was most of SQLite's share of the token endpoint's CPU
    /// (bench/README.md). Every statement runs in autocommit and its reader is disposed before the connection goes
    /// back, so a pooled connection holds no read snapshot between reads. A connection that saw an error is closed.
    /// </summary>
    public Task<T> ReadAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> read, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        SqliteConnection? connection = null;
        var reusable = false;
        try
        {
            if (_readers.TryTake(out var idle))
            {
                Interlocked.Decrement(ref _idleReaders);
                connection = idle;
            }
            else
            {
                connection = OpenPrepared();
            }

            var result = Complete(read(new Session(connection), ct));
            reusable = true;
            return Task.FromResult(result);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
        finally
        {
            if (connection is not null)
            {
                Return(connection, reusable);
            }
        }
    }

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            return await ReadAsync(async (s, ct) => (await s.QueryAsync(new Sql("SELECT COUNT(*) FROM schema_migrations"), r => r.GetInt64(0), ct))[0] > 0, ct);
        }
        catch (Exception ex) when (ex is StoreUnavailableException or SqliteException)
        {
            return false;
        }
    }

    /// <summary>
    /// SQLite calls block, so a unit of work over SQLite completes synchronously: the writer loop runs it in place
    /// (awaiting anything but SQLite inside would hold the only writer).
    /// </summary>
    private static T Complete<T>(ValueTask<T> work) =>
        work.IsCompleted ? work.GetAwaiter().GetResult() : throw new InvalidOperationException("A SQLite unit of work must not wait for anything but SQLite.");

    /// <summary>Keeps a read connection for the next read, unless it saw an error, the engine is closing, or enough are idle.</summary>
    private void Return(SqliteConnection connection, bool reusable)
    {
        if (reusable && !Volatile.Read(ref _disposed))
        {
            if (Interlocked.Increment(ref _idleReaders) <= MaxIdleReaders)
            {
                _readers.Add(connection);
                return;
            }

            Interlocked.Decrement(ref _idleReaders);
        }

        Close(connection);
    }

    private static void Close(SqliteConnection connection)
    {
        if (Prepared.TryGetValue(connection, out var commands))
        {
            foreach (var command in commands.Values)
            {
                command.Dispose();
            }

            Prepared.Remove(connection);
        }

        connection.Dispose();
    }

    /// <summary>SQLITE_CONSTRAINT_UNIQUE.</summary>
    private const int UniqueViolation = 2067;

    private static Exception Translate(Exception ex) => ex switch
    {
        // BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN: the database, not the request, is at fault.
        SqliteException { SqliteErrorCode: 5 or 6 or 7 or 8 or 10 or 11 or 13 or 14 } s =>
            new StoreUnavailableException($"SQLite is unavailable (error {s.SqliteErrorCode}).", s),
        _ => ex,
    };

    // Prepared commands of the engine's own connections, by SQL text. Preparing (parsing) every statement anew was a
    // quarter of the writer's CPU and most of SQLite's share of a token request in the profiles (bench/README.md). Each
    // connection is used by one caller at a time (the writer loop; a read that took it from the pool), so its commands
    // can be kept and re-bound.
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Prepared = new();

    private static SqliteCommand Command(SqliteConnection c, Sql sql, out bool owned)
    {
        owned = !Prepared.TryGetValue(c, out var cache);
        SqliteCommand? command = null;
        if (cache is not null && cache.TryGetValue(sql.Text, out command) && Rebind(command, sql.Args))
        {
            return command;
        }

        // Not prepared yet, or asked with other parameters: (re)built once, then kept.
        command ??= c.CreateCommand();
        command.CommandText = sql.Text;
        command.Parameters.Clear();
        foreach (var arg in sql.Args)
        {
            command.Parameters.AddWithValue("@" + arg.Name, arg.Value ?? DBNull.Value);
        }

        if (cache is not null)
        {
            cache[sql.Text] = command;
        }

        return command;
    }

    /// <summary>Gives a kept command's parameters their new values, if the names are the same, in the same order (no allocation).</summary>
    private static bool Rebind(SqliteCommand command, SqlArg[] args)
    {
        var parameters = command.Parameters;
        if (parameters.Count != args.Length)
        {
            return false;
        }

        for (var i = 0; i < args.Length; i++)
        {
            var name = parameters[i].ParameterName;
            if (name.Length != args[i].Name.Length + 1 || !name.AsSpan(1).SequenceEqual(args[i].Name))
            {
                return false;
            }
        }

        for (var i = 0; i < args.Length; i++)
        {
            parameters[i].Value = args[i].Value ?? DBNull.Value;
        }

        return true;
    }

    private static void Exec(SqliteConnection c, string text)
    {
        using var command = c.CreateCommand();
        command.CommandText = text;
        command.ExecuteNonQuery();
    }

    /// <summary>A unit of work on one SQLite connection: statements run at once, in order.</summary>
    private sealed class Session(SqliteConnection connection) : IStoreSession
    {
        public Dialect Dialect => Dialect.Sqlite;

        // A local file has no COMMIT in doubt: nothing to look for afterwards.
        public Guid? CommitKeyForAudit() => null;

        public void Lock(Sql sql)
        {
            // The single writer serialises every change: no lock to take.
        }

        public ValueTask<List<T>> QueryAsync<T>(Sql sql, Func<DbDataReader, T> map, CancellationToken ct)
        {
            var command = Command(connection, sql, out var owned);
            using var cleanup = owned ? command : null;
            try
            {
                using var reader = command.ExecuteReader();
                var list = new List<T>();
                while (reader.Read())
                {
                    list.Add(map(reader));
                }

                return ValueTask.FromResult(list);
            }
            catch (SqliteException ex) when (IsAliasTaken(ex))
            {
                throw new StoreConstraintException(StoreConstraintException.Alias, ex);
            }
        }

        public ValueTask<int> ExecuteAsync(Sql sql, CancellationToken ct) => ValueTask.FromResult(Execute(sql));

        public void Defer(Sql sql) => Execute(sql);

        private int Execute(Sql sql)
        {
            var command = Command(connection, sql, out var owned);
            using var cleanup = owned ? command : null;
            try
            {
                return command.ExecuteNonQuery();
            }
            catch (SqliteException ex) when (IsAliasTaken(ex))
            {
                // Only the statement failed; the store answers with the rule the caller broke.
                throw new StoreConstraintException(StoreConstraintException.Alias, ex);
            }
        }

        private static bool IsAliasTaken(SqliteException ex) =>
            ex.SqliteExtendedErrorCode == UniqueViolation && ex.Message.Contains("clients.service_id, clients.alias", StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, true);
        while (_readers.TryTake(out var reader))
        {
            Close(reader);
        }

        if (_writer.IsValueCreated)
        {
            _writer.Value.Dispose();
        }

        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
