using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace Rekey.Server.Storage.Postgres;

/// <summary>
/// Units of work of the PostgreSQL store: one pooled connection each, one READ COMMITTED transaction per change.
/// <list type="bullet">
/// <item>A unit that failed because the connection was lost before COMMIT was sent changed nothing; it runs once more
/// on a fresh connection (after the pool was cleared, so that a connection that died in the pool while the database
/// restarted is not handed out again). A deadlock or serialisation failure is rolled back by PostgreSQL and runs again too.</item>
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

    private Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken ct) => RunAsync(read, transactional: false, ct);

    private Task<T> WriteAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> write, CancellationToken ct) => RunAsync(write, transactional: true, ct);

    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, bool transactional, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                if (!transactional)
                {
                    return await work(connection, ct);
                }

                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                var result = await work(connection, ct);
                if (result is IOutcome { Failed: true })
                {
                    await RollBackAsync(transaction);
                    return result;
                }

                await CommitAsync(connection, transaction, ct);
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
    private async Task CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        string? xid;
        using (var command = new NpgsqlCommand("SELECT pg_current_xact_id_if_assigned()::text", connection))
        {
            xid = await command.ExecuteScalarAsync(ct) as string;
        }

        try
        {
            // Not cancellable: a COMMIT abandoned half-way is exactly the doubt this method exists to avoid.
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception ex) when (PostgresErrors.IsConnectionLoss(ex))
        {
            _dataSource.Clear();
            var status = xid is null ? "read-only" : await ResolveCommitAsync(xid, ct);
            LogCommitInDoubt(_logger, xid ?? "-", status);
            if (status != "committed")
            {
                throw new StoreUnavailableException($"PostgreSQL connection lost during COMMIT; the transaction was {status} ({PostgresErrors.Describe(ex)}).", ex);
            }
        }
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

    private static async Task<int> ExecAsync(NpgsqlConnection c, string sql, CancellationToken ct, params Arg[] args)
    {
        await using var command = Command(c, sql, args);
        return await command.ExecuteNonQueryAsync(ct);
    }

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
