using Npgsql;

namespace Rekey.Server.Storage.Postgres;

/// <summary>
/// How the PostgreSQL store reads a failure: broken infrastructure (the caller gets a 503 and may retry), a lost
/// connection (the pool is cleared so that no dead connection is handed out again), a conflict between concurrent
/// transactions (retried inside the store), or anything else (a bug: it propagates).
/// </summary>
internal static class PostgresErrors
{
    /// <summary>The unique index that keeps client ID aliases unique within a service.</summary>
    public const string AliasIndex = "ux_clients_alias";

    /// <summary>The database could not do the work, whatever the request: the caller may retry later.</summary>
    public static bool IsUnavailable(Exception ex) => ex switch
    {
        PostgresException p => p.IsTransient || IsConnectionLoss(p) || IsConflict(p) || p.SqlState switch
        {
            // insufficient resources (disk full, out of memory, too many connections)
            ['5', '3', _, _, _] => true,
            // operator intervention: shutdown, crash, starting up, database dropped, statement timeout
            ['5', '7', _, _, _] => true,
            // system errors: I/O error, undefined file
            ['5', '8', _, _, _] => true,
            // a read-only transaction: the node reached a standby (during a failover)
            "25006" => true,
            // lock_timeout
            "55P03" => true,
            _ => false,
        },
        NpgsqlOperationInProgressException => false,
        NpgsqlException n => n.IsTransient,
        _ => false,
    };

    /// <summary>
    /// The connection this failure came from is gone (or was never made), or leads to a server that can no longer
    /// write (a primary demoted by a failover): pooled siblings are suspect too.
    /// </summary>
    public static bool IsConnectionLoss(Exception ex) => ex switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "25006",
        NpgsqlOperationInProgressException => false,
        NpgsqlException n => n.IsTransient,
        _ => false,
    };

    /// <summary>
    /// A deadlock or a serialisation failure: the transaction was rolled back and may simply run again. (Random IDs
    /// that are taken are drawn again by the insert itself: <c>ON CONFLICT DO NOTHING</c>.)
    /// </summary>
    public static bool IsConflict(Exception ex) => ex is PostgresException { SqlState: "40P01" or "40001" };

    /// <summary>Did this statement break the unique alias index (another transaction took the alias first)?</summary>
    public static bool IsAliasTaken(PostgresException ex) => ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: AliasIndex };

    /// <summary>A short description for the log: SQLSTATE and message, never parameter values.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        PostgresException p => $"PostgreSQL error {p.SqlState}: {p.MessageText}",
        _ => ex.Message,
    };
}
