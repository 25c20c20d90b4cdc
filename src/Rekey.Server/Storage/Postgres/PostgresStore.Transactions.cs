using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace Rekey.Server.Storage.Postgres;

/// <summary>
/// Units of work of the PostgreSQL store: one pooled connection each, one READ COMMITTED transaction per change.
/// <list type="bullet">
/// <item>BEGIN costs no round trip of its own: Npgsql sends it with the unit's first statement. A unit whose hot path
/// matters sends its statements as batches (one round trip each), the last one with COMMIT behind its writes
/// (<see cref="CommitWithAsync"/>).</item>
/// <item>A unit that failed because the connection was lost before COMMIT was sent changed nothing; it runs once more
/// on a fresh connection (after the pool was cleared, so that a connection that died in the pool while the database
/// restarted is not handed out again). A deadlock, a serialisation failure or a drawn ID that was taken is rolled back
/// by PostgreSQL and runs again too.</item>
/// <item>A connection lost during COMMIT leaves the outcome in doubt. Every unit that changes something writes its
/// audit event with a key of its own (<see cref="Unit.CommitKey"/>) and, before COMMIT is sent, holds a transaction
/// advisory lock on another (<see cref="Unit.LockKey"/>). To resolve the doubt the store waits, on a new connection,
/// until it can take that lock itself — the transaction has then ended, one way or the other, and its effects are
/// visible to a new statement — and then looks for the key: found means committed, not found means it never will
/// commit (aborted; the unit may run again). Should the lock not become free within
/// <see cref="CommitResolutionTimeout"/>, or the unit have written nothing to look for, the answer is
/// <see cref="StoreOutcomeUnknownException"/> (A000104: the change may or may not have happened), never a guess.
/// Transaction IDs (<c>pg_xact_status</c>) cannot answer this: after a crash PostgreSQL hands the IDs of transactions
/// whose WAL was lost out again, so a lost COMMIT could look committed.</item>
/// <item>Every other failure of the database becomes <see cref="StoreUnavailableException"/>; a bug propagates.</item>
/// </list>
/// </summary>
internal sealed partial class PostgresStore
{
    private const int MaxAttempts = 4;

    /// <summary>
    /// How long a request whose COMMIT lost its connection waits for the database to say what happened (long enough for
    /// a restart; a failover that takes longer answers A000104). Settable for tests.
    /// </summary>
    internal TimeSpan CommitResolutionTimeout { get; set; } = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan ResolutionPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>What one attempt of a unit of work leaves for the COMMIT that ends it.</summary>
    private sealed class Unit
    {
        /// <summary>Written with the unit's audit event: the proof, after a lost COMMIT, that the transaction committed.</summary>
        public Guid CommitKey { get; } = Guid.CreateVersion7();

        /// <summary>A transaction advisory lock held from before COMMIT until the transaction ends (random: no other unit takes it).</summary>
        public long LockKey { get; } = BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(sizeof(long)));

        /// <summary>The unit wrote an audit event carrying <see cref="CommitKey"/>.</summary>
        public bool Audited { get; set; }

        /// <summary>The database confirmed that this transaction holds <see cref="LockKey"/> (in a round trip before COMMIT was sent).</summary>
        public bool Locked { get; set; }

        /// <summary>The work committed, behind its last writes (<see cref="CommitWithAsync"/>).</summary>
        public bool Committed { get; set; }

        public Sql TakeLock() => new("SELECT pg_advisory_xact_lock(@unit_lock)", [Long("unit_lock", LockKey)]);
    }

    private Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken ct) => RunAsync((c, _, ct) => read(c, ct), transactional: false, ct);

    /// <summary>A write: it passes its <see cref="Unit"/> to the audit event it writes, and may commit itself.</summary>
    private Task<T> WriteAsync<T>(Func<NpgsqlConnection, Unit, CancellationToken, Task<T>> write, CancellationToken ct) => RunAsync(write, transactional: true, ct);

    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, Unit, CancellationToken, Task<T>> work, bool transactional, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                var unit = new Unit();
                if (!transactional)
                {
                    return await work(connection, unit, ct);
                }

                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                var result = await work(connection, unit, ct);
                if (result is IOutcome { Failed: true })
                {
                    // A unit that committed never reports a failure: it fails here, loudly, if one did.
                    await RollBackAsync(transaction);
                    return result;
                }

                if (!unit.Committed)
                {
                    await CommitAsync(connection, transaction, unit, ct);
                }

                return result;
            }
            catch (Exception ex) when (PostgresErrors.IsUnavailable(ex))
            {
                if (PostgresErrors.IsConnectionLoss(ex))
                {
                    _dataSource.Clear();
                }

                var retry = PostgresErrors.IsConflict(ex) ? attempt < MaxAttempts : PostgresErrors.IsConnectionLoss(ex) && attempt == 1;
                if (!retry)
                {
                    throw new StoreUnavailableException($"PostgreSQL is unavailable ({PostgresErrors.Describe(ex)}).", ex);
                }

                LogRetry(_logger, attempt, PostgresErrors.Describe(ex));
            }
        }
    }

    private async Task RollBackAsync(NpgsqlTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
        catch (Exception ex) when (PostgresErrors.IsConnectionLoss(ex))
        {
            // The server rolls back a transaction whose connection is gone: the outcome stands, nothing was written.
            _dataSource.Clear();
        }
    }

    /// <summary>Commits; if the connection is lost on the way, finds out whether the commit happened.</summary>
    private async Task CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Unit unit, CancellationToken ct)
    {
        if (unit.Audited && !unit.Locked)
        {
            // Its own round trip, answered before COMMIT is sent: see the class summary.
            await ExecAsync(connection, unit.TakeLock(), ct);
            unit.Locked = true;
        }

        try
        {
            // Not cancellable: a COMMIT abandoned half-way is exactly the doubt this method exists to avoid.
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception ex) when (PostgresErrors.IsConnectionLoss(ex))
        {
            if (await InDoubtAsync(unit, ex, ct) == CommitOutcome.Aborted)
            {
                throw new StoreUnavailableException($"PostgreSQL connection lost during COMMIT; the transaction did not commit ({PostgresErrors.Describe(ex)}).", ex);
            }
        }
    }

    /// <summary>
    /// Sends a unit's last writes with COMMIT behind them, in one round trip, and marks the unit committed. A write
    /// that fails stops the batch before COMMIT (the unit is rolled back as any failed one). A connection lost on the
    /// way is resolved as in <see cref="CommitAsync"/>: committed is success; aborted means nothing was written, as a
    /// connection lost before COMMIT, and the unit may run again. A unit that does not hold its lock yet sends the writes
    /// alone, and the store commits after the work as usual.
    /// </summary>
    private async Task CommitWithAsync(NpgsqlConnection c, Unit unit, IReadOnlyList<Sql> writes, CancellationToken ct)
    {
        if (!unit.Locked || !unit.Audited)
        {
            await using var alone = Batch(c, writes);
            await alone.ExecuteNonQueryAsync(ct);
            return;
        }

        await using var batch = Batch(c, [.. writes, new Sql("COMMIT", [])]);
        try
        {
            // Not cancellable, as CommitAsync.
            await batch.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (PostgresErrors.IsConnectionLoss(ex))
        {
            if (await InDoubtAsync(unit, ex, ct) == CommitOutcome.Aborted)
            {
                throw;
            }
        }

        unit.Committed = true;
    }

    private enum CommitOutcome
    {
        Committed,
        Aborted,
    }

    /// <summary>
    /// After a connection lost during COMMIT: committed or aborted, as the database says once the transaction has ended;
    /// <see cref="StoreOutcomeUnknownException"/> when it cannot say in time.
    /// </summary>
    private async Task<CommitOutcome> InDoubtAsync(Unit unit, Exception lost, CancellationToken ct)
    {
        _dataSource.Clear();
        var outcome = unit.Audited && unit.Locked ? await ResolveCommitAsync(unit, ct) : null;
        LogCommitInDoubt(_logger, unit.CommitKey, outcome?.ToString().ToLowerInvariant() ?? "unknown");
        return outcome ?? throw new StoreOutcomeUnknownException(
            $"PostgreSQL connection lost during COMMIT of unit {unit.CommitKey}; whether it committed could not be established within {CommitResolutionTimeout.TotalSeconds:0} s ({PostgresErrors.Describe(lost)}).", lost);
    }

    /// <summary>
    /// Waits until the unit's advisory lock is free (its transaction has ended) and then looks for its commit key. Two
    /// statements: the second takes its snapshot after the first got the lock, so it sees the commit if there was one.
    /// Null when the database does not let it find out within <see cref="CommitResolutionTimeout"/>.
    /// </summary>
    private async Task<CommitOutcome?> ResolveCommitAsync(Unit unit, CancellationToken ct)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                await using var batch = Batch(connection,
                [
                    new Sql("SELECT pg_try_advisory_xact_lock(@unit_lock)", [Long("unit_lock", unit.LockKey)]),
                    new Sql("SELECT EXISTS (SELECT 1 FROM audit_events WHERE commit_key = @key)", [Uuid("key", unit.CommitKey)]),
                ]);
                await using var reader = await batch.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                var ended = reader.GetBoolean(0);
                await reader.NextResultAsync(ct);
                await reader.ReadAsync(ct);
                var found = reader.GetBoolean(0);
                if (ended)
                {
                    return found ? CommitOutcome.Committed : CommitOutcome.Aborted;
                }
            }
            catch (Exception ex) when (PostgresErrors.IsUnavailable(ex))
            {
                _dataSource.Clear();
            }

            if (deadline.Elapsed >= CommitResolutionTimeout)
            {
                return null;
            }

            await Task.Delay(ResolutionPollInterval, ct);
        }
    }

    [LoggerMessage(30, LogLevel.Information, "PostgreSQL unit of work failed (attempt {Attempt}), running it again: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason);

    [LoggerMessage(31, LogLevel.Warning, "PostgreSQL connection lost during COMMIT of unit {CommitKey}; outcome: {Status}.")]
    private static partial void LogCommitInDoubt(ILogger logger, Guid commitKey, string status);

    // ---- ADO.NET helpers ----------------------------------------------------------------------------

    /// <summary>A typed parameter: PostgreSQL needs a type even for a null (<c>@x IS NULL OR …</c>).</summary>
    private readonly record struct Arg(string Name, NpgsqlDbType Type, object? Value)
    {
        public NpgsqlParameter ToParameter() => new(Name, Type) { Value = Value ?? DBNull.Value };
    }

    private static Arg Long(string name, long? value) => new(name, NpgsqlDbType.Bigint, value);

    private static Arg Int(string name, int value) => new(name, NpgsqlDbType.Integer, value);

    private static Arg Text(string name, string? value) => new(name, NpgsqlDbType.Text, value);

    private static Arg Bool(string name, bool value) => new(name, NpgsqlDbType.Boolean, value);

    private static Arg Bytes(string name, byte[] value) => new(name, NpgsqlDbType.Bytea, value);

    private static Arg Uuid(string name, Guid? value) => new(name, NpgsqlDbType.Uuid, value);

    private static Arg Longs(string name, long[] value) => new(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint, value);

    private static NpgsqlCommand Command(NpgsqlConnection c, string sql, Arg[] args)
    {
        var command = new NpgsqlCommand(sql, c);
        foreach (var arg in args)
        {
            command.Parameters.Add(arg.ToParameter());
        }

        return command;
    }

    /// <summary>One statement with its parameters, to run alone or as part of a batch.</summary>
    private readonly record struct Sql(string Text, Arg[] Args);

    /// <summary>Statements sent together: one round trip, each statement prepared as if sent alone. The first that fails stops the rest.</summary>
    private static NpgsqlBatch Batch(NpgsqlConnection c, IEnumerable<Sql> statements)
    {
        var batch = new NpgsqlBatch(c);
        foreach (var statement in statements)
        {
            var command = new NpgsqlBatchCommand(statement.Text);
            foreach (var arg in statement.Args)
            {
                command.Parameters.Add(arg.ToParameter());
            }

            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    private static async Task<int> ExecAsync(NpgsqlConnection c, string sql, CancellationToken ct, params Arg[] args)
    {
        await using var command = Command(c, sql, args);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static Task<int> ExecAsync(NpgsqlConnection c, Sql statement, CancellationToken ct) => ExecAsync(c, statement.Text, ct, statement.Args);

    private static async Task<long> ScalarAsync(NpgsqlConnection c, string sql, Arg[] args, CancellationToken ct)
    {
        await using var command = Command(c, sql, args);
        var value = await command.ExecuteScalarAsync(ct);
        return value switch
        {
            null or DBNull => 0,
            bool b => b ? 1 : 0,
            _ => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static async Task<List<T>> QueryAsync<T>(NpgsqlConnection c, string sql, Arg[] args, Func<NpgsqlDataReader, T> map, CancellationToken ct)
    {
        await using var command = Command(c, sql, args);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await RowsAsync(reader, map, ct);
    }

    /// <summary>The rows of the reader's current result (of a command, or of one statement of a batch).</summary>
    private static async Task<List<T>> RowsAsync<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> map, CancellationToken ct)
    {
        var list = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(map(reader));
        }

        return list;
    }

    private static long? NullableLong(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static string? NullableString(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
