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
/// <item>A connection lost during COMMIT leaves the outcome in doubt. The store then asks the database, on a new
/// connection, what became of the transaction (<c>pg_xact_status</c>) until it gets an answer or
/// <see cref="CommitResolutionTimeout"/> runs out: committed means success, anything else a 503. This is what keeps
/// "503 = nothing was changed" true when the database goes down mid-request.</item>
/// <item>Every other failure of the database becomes <see cref="StoreUnavailableException"/>; a bug propagates.</item>
/// </list>
/// </summary>
internal sealed partial class PostgresStore
{
    private const int MaxAttempts = 4;

    /// <summary>How long a request whose COMMIT lost its connection waits for the database to say what happened.</summary>
    internal static TimeSpan CommitResolutionTimeout { get; set; } = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan ResolutionPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// What a unit of work tells the COMMIT that ends it. A unit that read its transaction ID (needed to resolve a COMMIT
    /// that lost its connection) spares the query for it; one that sent COMMIT itself leaves nothing to do.
    /// </summary>
    private sealed class Unit
    {
        /// <summary><c>pg_current_xact_id_if_assigned()</c>, read by the work after its first write or row lock.</summary>
        public string? Xid { get; set; }

        /// <summary>The work committed, behind its last writes (<see cref="CommitWithAsync"/>).</summary>
        public bool Committed { get; set; }
    }

    /// <summary>The transaction ID as read in SQL: the column a unit reads it into, after its first write or row lock.</summary>
    private const string CurrentXid = "pg_current_xact_id_if_assigned()::text";

    private Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken ct) => RunAsync((c, _, ct) => read(c, ct), transactional: false, ct);

    private Task<T> WriteAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> write, CancellationToken ct) => RunAsync((c, _, ct) => write(c, ct), transactional: true, ct);

    /// <summary>A write that may read its transaction ID or commit itself (<see cref="Unit"/>).</summary>
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
                    await CommitAsync(connection, transaction, unit.Xid, ct);
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
    private async Task CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string? xid, CancellationToken ct)
    {
        if (xid is null)
        {
            await using var command = new NpgsqlCommand("SELECT " + CurrentXid, connection);
            xid = await command.ExecuteScalarAsync(ct) as string;
        }

        try
        {
            // Not cancellable: a COMMIT abandoned half-way is exactly the doubt this method exists to avoid.
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception ex) when (PostgresErrors.IsConnectionLoss(ex))
        {
            var status = await InDoubtAsync(xid, ct);
            if (status != "committed")
            {
                throw new StoreUnavailableException($"PostgreSQL connection lost during COMMIT; the transaction was {status} ({PostgresErrors.Describe(ex)}).", ex);
            }
        }
    }

    /// <summary>
    /// Sends a unit's last writes with COMMIT behind them, in one round trip, and marks the unit committed. A write
    /// that fails stops the batch before COMMIT (the unit is rolled back as any failed one). A connection lost on the
    /// way is resolved with the transaction ID the unit read: committed is success; aborted means nothing was written,
    /// as a connection lost before COMMIT, and the unit may run again. Without that ID the writes go alone and the
    /// store commits after the work as usual.
    /// </summary>
    private async Task CommitWithAsync(NpgsqlConnection c, Unit unit, IReadOnlyList<Sql> writes, CancellationToken ct)
    {
        if (unit.Xid is not { } xid)
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
            var status = await InDoubtAsync(xid, ct);
            if (status == "aborted")
            {
                throw;
            }

            if (status != "committed")
            {
                throw new StoreUnavailableException($"PostgreSQL connection lost during COMMIT; the transaction was {status} ({PostgresErrors.Describe(ex)}).", ex);
            }
        }

        unit.Committed = true;
    }

    /// <summary>After a connection lost during COMMIT: committed, aborted, read-only (no ID: nothing to commit) or unknown.</summary>
    private async Task<string> InDoubtAsync(string? xid, CancellationToken ct)
    {
        _dataSource.Clear();
        var status = xid is null ? "read-only" : await ResolveCommitAsync(xid, ct);
        LogCommitInDoubt(_logger, xid ?? "-", status);
        return status;
    }

    /// <summary>committed, aborted, or unknown (the database did not answer in time).</summary>
    private async Task<string> ResolveCommitAsync(string xid, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + CommitResolutionTimeout;
        while (true)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                await using var command = new NpgsqlCommand("SELECT pg_xact_status(@xid::xid8)", connection);
                command.Parameters.Add(new NpgsqlParameter("xid", NpgsqlDbType.Text) { Value = xid });
                var status = await command.ExecuteScalarAsync(ct) as string;
                if (status is "committed" or "aborted")
                {
                    return status;
                }
            }
            catch (Exception ex) when (PostgresErrors.IsUnavailable(ex))
            {
                _dataSource.Clear();
            }

            if (DateTime.UtcNow >= deadline)
            {
                return "unknown";
            }

            await Task.Delay(ResolutionPollInterval, ct);
        }
    }

    [LoggerMessage(30, LogLevel.Information, "PostgreSQL unit of work failed (attempt {Attempt}), running it again: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason);

    [LoggerMessage(31, LogLevel.Warning, "PostgreSQL connection lost during COMMIT of transaction {Xid}; outcome: {Status}.")]
    private static partial void LogCommitInDoubt(ILogger logger, string xid, string status);

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
