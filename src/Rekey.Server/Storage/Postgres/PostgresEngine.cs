using System.Data;
using System.Data.Common;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Rekey.Server.Hosting;

namespace Rekey.Server.Storage.Postgres;

/// <summary>
/// The shared engine: any number of stateless Rekey nodes on one PostgreSQL database. Units of work run on pooled
/// connections, one READ COMMITTED transaction per change:
/// <list type="bullet">
/// <item>BEGIN costs no round trip of its own: Npgsql sends it with the unit's first statement. Locks
/// (<see cref="IStoreSession.Lock"/>) go with the statement after them, deferred writes
/// (<see cref="IStoreSession.Defer"/>) with COMMIT: a secret update takes two round trips.</item>
/// <item>A unit that failed because the connection was lost before COMMIT was sent changed nothing; it runs once more
/// on a fresh connection (after the pool was cleared, so that a connection that died in the pool while the database
/// restarted is not handed out again). A deadlock or a serialisation failure is rolled back by PostgreSQL and runs
/// again too.</item>
/// <item>A connection lost during COMMIT leaves the outcome in doubt. Every unit that changes something writes its
/// audit event with a key of its own (<see cref="Unit.CommitKey"/>) and, in a round trip answered before COMMIT is
/// sent, takes a transaction advisory lock on another (<see cref="Unit.LockKey"/>). To resolve the doubt the engine
/// waits, on a new connection, until it can take that lock itself — the transaction has then ended, one way or the
/// other, and its effects are visible to a new statement — and then looks for the key: found means committed, not
/// found means it never will commit (aborted; the unit may run again). Should the lock not become free within
/// <see cref="CommitResolutionTimeout"/>, or the unit have written nothing to look for, the answer is
/// <see cref="StoreOutcomeUnknownException"/> (A000104: the change may or may not have happened), never a guess.
/// Transaction IDs (<c>pg_xact_status</c>) cannot answer this: after a crash PostgreSQL hands the IDs of transactions
/// whose WAL was lost out again, so a lost COMMIT could look committed.</item>
/// <item>Every other failure of the database becomes <see cref="StoreUnavailableException"/>; a bug propagates.</item>
/// </list>
/// </summary>
internal sealed class PostgresEngine : IStoreEngine
{
    private const int MaxAttempts = 4;

    /// <summary>Advisory lock (per database) held while migrating and during key operations: one node at a time.</summary>
    internal const long SchemaLockKey = 0x52454B45_59000001; // "REKEY", 1

    /// <summary>How long <see cref="PingAsync"/> waits before it calls the database unavailable.</summary>
    internal static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan ResolutionPollInterval = TimeSpan.FromMilliseconds(200);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;

    public PostgresEngine(string connectionString, ILogger<PostgresEngine>? logger = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
        {
            builder.ConnectionStringBuilder.ApplicationName = "rekey";
        }

        // Every statement is one of a few dozen fixed texts, run over and over: let Npgsql prepare them on each pooled
        // connection (off by default) unless the operator chose otherwise in the connection string.
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        // A pooled connection is reset when it is returned (RESET ALL, DISCARD … : seven statements run with the next
        // unit of work, once per unit). The engine leaves no session state to reset (no SET, LISTEN, cursors, temporary
        // tables or session advisory locks; an open transaction is still rolled back), so it skips that unless the
        // operator chose otherwise in the connection string.
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.Contains("NoResetOnClose", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        _dataSource = builder.Build();
        _logger = logger ?? NullLogger<PostgresEngine>.Instance;
        ConnectionString = connectionString;
    }

    /// <summary>As configured: the change feed opens its own connection with it (<see cref="PostgresChangeFeed"/>).</summary>
    internal string ConnectionString { get; }

    public Dialect Dialect => Dialect.Postgres;

    /// <summary>
    /// How long a request whose COMMIT lost its connection waits for the database to say what happened (long enough for
    /// a restart; a failover that takes longer answers A000104). Settable for tests.
    /// </summary>
    internal TimeSpan CommitResolutionTimeout { get; set; } = TimeSpan.FromSeconds(15);

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

        public Sql TakeLock() => new("SELECT pg_advisory_xact_lock(@unit_lock)", SqlArg.Long("unit_lock", LockKey));
    }

    public Task<T> ReadAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> read, CancellationToken ct) => RunAsync(read, transactional: false, ct);

    public Task<T> WriteAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> write, CancellationToken ct) => RunAsync(write, transactional: true, ct);

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PingTimeout);
        try
        {
            return await ReadAsync(async (s, t) => (await s.QueryAsync(new Sql("SELECT COUNT(*) FROM schema_migrations"), r => r.GetInt64(0), t))[0] > 0, timeout.Token);
        }
        catch (StoreUnavailableException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        catch (NpgsqlException)
        {
            // Reachable but not usable (no schema, no permission): not ready either.
            return false;
        }
    }

    private async Task<T> RunAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> work, bool transactional, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                if (!transactional)
                {
                    return await work(new Session(connection, null), ct);
                }

                var unit = new Unit();
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                var session = new Session(connection, unit);
                var result = await work(session, ct);
                if (result is IOutcome { Failed: true })
                {
                    await RollBackAsync(transaction);
                    return result;
                }

                await CommitAsync(connection, transaction, unit, session.Deferred, ct);
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

                Log.PostgresUnitRetried(_logger, attempt, PostgresErrors.Describe(ex));
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

    /// <summary>
    /// Sends the deferred writes and COMMIT. With the unit's lock held (taken with its first statement), the writes go
    /// with COMMIT behind them in one round trip; otherwise the writes go with the lock first, then COMMIT. A write that
    /// fails stops the batch before COMMIT (the unit fails as any other). A connection lost on the way is resolved
    /// (<see cref="InDoubtAsync"/>): committed is success; aborted means nothing was written, as a connection lost
    /// before COMMIT, and the unit may run again.
    /// </summary>
    private async Task CommitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Unit unit, IReadOnlyList<Sql> deferred, CancellationToken ct)
    {
        var resolvable = unit.Audited;
        if (resolvable && !unit.Locked)
        {
            await using var locking = Batch(connection, [unit.TakeLock(), .. deferred]);
            await locking.ExecuteNonQueryAsync(ct);
            unit.Locked = true;
            deferred = [];
        }
        else if (!resolvable && deferred.Count > 0)
        {
            await using var alone = Batch(connection, deferred);
            await alone.ExecuteNonQueryAsync(ct);
            deferred = [];
        }

        try
        {
            var committing = System.Diagnostics.Stopwatch.GetTimestamp();
            if (deferred.Count > 0)
            {
                // Not cancellable: a COMMIT abandoned half-way is exactly the doubt this method exists to avoid.
                await using var batch = Batch(connection, [.. deferred, new Sql("COMMIT")]);
                await batch.ExecuteNonQueryAsync(CancellationToken.None);
            }
            else
            {
                await transaction.CommitAsync(CancellationToken.None);
            }

            Telemetry.RekeyMetrics.Committed("postgresql", System.Diagnostics.Stopwatch.GetElapsedTime(committing));
        }
        catch (Exception ex) when (PostgresErrors.IsConnectionLoss(ex))
        {
            if (await InDoubtAsync(unit, ex, ct) == CommitOutcome.Aborted)
            {
                throw;
            }
        }
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
        Log.PostgresCommitInDoubt(_logger, unit.CommitKey, outcome?.ToString().ToLowerInvariant() ?? "unknown");
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
        // Wall-clock time on purpose, not the injected TimeProvider: this bounds a wait on the network, and a test clock
        // that stands still must not make it endless.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                await using var batch = Batch(connection,
                [
                    new Sql("SELECT pg_try_advisory_xact_lock(@unit_lock)", SqlArg.Long("unit_lock", unit.LockKey)),
                    new Sql("SELECT EXISTS (SELECT 1 FROM audit_events WHERE commit_key = @key)", SqlArg.Uuid("key", unit.CommitKey)),
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

    /// <summary>
    /// One unit's statements on one connection. A write unit's first round trip also takes its advisory lock; locks go
    /// with the statement after them; deferred writes wait for COMMIT.
    /// </summary>
    private sealed class Session(NpgsqlConnection connection, Unit? unit) : IStoreSession
    {
        private readonly List<Sql> _locks = [];
        private readonly List<Sql> _deferred = [];

        public Dialect Dialect => Dialect.Postgres;

        public IReadOnlyList<Sql> Deferred => _deferred;

        public Guid? CommitKeyForAudit()
        {
            if (unit is null)
            {
                return null;
            }

            unit.Audited = true;
            return unit.CommitKey;
        }

        public void Lock(Sql sql) => _locks.Add(sql);

        public async ValueTask<List<T>> QueryAsync<T>(Sql sql, Func<DbDataReader, T> map, CancellationToken ct)
        {
            var (batch, skip) = Prepare(sql);
            await using (batch)
            {
                await using var reader = await Translated(() => batch.ExecuteReaderAsync(ct));
                for (var i = 0; i < skip; i++)
                {
                    await reader.NextResultAsync(ct);
                }

                var list = new List<T>();
                while (await reader.ReadAsync(ct))
                {
                    list.Add(map(reader));
                }

                return list;
            }
        }

        public async ValueTask<int> ExecuteAsync(Sql sql, CancellationToken ct)
        {
            var (batch, skip) = Prepare(sql);
            await using (batch)
            {
                if (skip == 0)
                {
                    // Alone: a plain command, which may hold several statements (a migration script).
                    await using var command = new NpgsqlCommand(sql.Text, connection);
                    foreach (var arg in sql.Args)
                    {
                        command.Parameters.Add(Parameter(arg));
                    }

                    return await Translated(() => command.ExecuteNonQueryAsync(ct));
                }

                await Translated(() => batch.ExecuteNonQueryAsync(ct));
                return batch.BatchCommands[^1].RecordsAffected;
            }
        }

        public void Defer(Sql sql) => _deferred.Add(sql);

        /// <summary>The statement with what must go before it in the same round trip; how many results to skip.</summary>
        private (NpgsqlBatch Batch, int Skip) Prepare(Sql sql)
        {
            if (_deferred.Count > 0)
            {
                throw new InvalidOperationException("Nothing may be read or written at once after a deferred write: it would run before it.");
            }

            var statements = new List<Sql>(_locks.Count + 2);
            if (unit is { Locked: false })
            {
                statements.Add(unit.TakeLock());
                unit.Locked = true;
            }

            statements.AddRange(_locks);
            _locks.Clear();
            statements.Add(sql);
            return (Batch(connection, statements), statements.Count - 1);
        }

        private static async Task<TResult> Translated<TResult>(Func<Task<TResult>> statement)
        {
            try
            {
                return await statement();
            }
            catch (PostgresException ex) when (PostgresErrors.IsAliasTaken(ex))
            {
                throw new StoreConstraintException(StoreConstraintException.Alias, ex);
            }
        }
    }

    // ---- ADO.NET helpers ----------------------------------------------------------------------------

    private static NpgsqlParameter Parameter(SqlArg arg) => new(arg.Name, arg.Type switch
    {
        DbType.String => NpgsqlDbType.Text,
        DbType.Int64 => NpgsqlDbType.Bigint,
        DbType.Int32 => NpgsqlDbType.Integer,
        DbType.Boolean => NpgsqlDbType.Boolean,
        DbType.Binary => NpgsqlDbType.Bytea,
        DbType.Guid => NpgsqlDbType.Uuid,
        var other => throw new ArgumentException($"No PostgreSQL type for {other}.", nameof(arg)),
    })
    {
        // PostgreSQL text cannot hold NUL (SQLite's can): such a value is shown as U+FFFD rather than failing the write.
        Value = arg.Value is string text ? text.Replace('\0', '\uFFFD') : arg.Value ?? DBNull.Value,
    };

    /// <summary>Statements sent together: one round trip, each statement prepared as if sent alone. The first that fails stops the rest.</summary>
    private static NpgsqlBatch Batch(NpgsqlConnection c, IEnumerable<Sql> statements)
    {
        var batch = new NpgsqlBatch(c);
        foreach (var statement in statements)
        {
            var command = new NpgsqlBatchCommand(statement.Text);
            foreach (var arg in statement.Args)
            {
                command.Parameters.Add(Parameter(arg));
            }

            batch.BatchCommands.Add(command);
        }

        return batch;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
