using System.Data;
using System.Data.Common;

namespace Rekey.Server.Storage;

/// <summary>A statement's parameter, typed so that an engine can bind a null (PostgreSQL needs the type).</summary>
internal readonly record struct SqlArg(string Name, object? Value, DbType Type)
{
    public static SqlArg Text(string name, string? value) => new(name, value, DbType.String);

    public static SqlArg Long(string name, long? value) => new(name, value, DbType.Int64);

    public static SqlArg Int(string name, int value) => new(name, value, DbType.Int32);

    public static SqlArg Bool(string name, bool value) => new(name, value, DbType.Boolean);

    public static SqlArg Bytes(string name, byte[]? value) => new(name, value, DbType.Binary);

    public static SqlArg Uuid(string name, Guid? value) => new(name, value, DbType.Guid);
}

/// <summary>One statement (the same text for both engines, <c>@name</c> parameters) with its arguments.</summary>
internal readonly record struct Sql(string Text, params SqlArg[] Args);

/// <summary>
/// The few places where the two databases need different SQL text, named. Everything else is written once
/// (<see cref="SqlText"/>).
/// </summary>
/// <remarks>
/// <see cref="SkipLockedOfClients"/> and <see cref="SkipLockedOfDeliveries"/> let nodes share background work (the expiry
/// sweep, webhook deliveries): each takes the rows no other node holds.
/// </remarks>
internal sealed record Dialect(string Name, string ForUpdate, string ForUpdateOfClients, string ForKeyShare, string Greatest, string LastInsertId,
    string SkipLockedOfClients, string SkipLockedOfDeliveries)
{
    /// <summary>One writer at a time: no row locks to take.</summary>
    public static readonly Dialect Sqlite = new("sqlite", "", "", "", "MAX", "last_insert_rowid()", "", "");

    public static readonly Dialect Postgres = new("postgres", " FOR UPDATE", " FOR UPDATE OF c", " FOR KEY SHARE", "GREATEST", "lastval()",
        " FOR UPDATE OF c SKIP LOCKED", " FOR UPDATE OF d SKIP LOCKED");
}

/// <summary>
/// A unique index refused a write. Engines translate their own error into this, naming the constraint by what it
/// guards (<see cref="Alias"/>); the store turns it into the rule the caller broke.
/// </summary>
internal sealed class StoreConstraintException(string constraint, Exception inner) : Exception($"The database refused a duplicate ({constraint}).", inner)
{
    public const string Alias = "client alias";

    public string Constraint => constraint;
}

/// <summary>
/// One connection's view of a unit of work, as the rules above the engines use it. Reads and writes run in program
/// order, with two exceptions that let PostgreSQL save round trips and that SQLite does not need:
/// <see cref="Lock"/> (sent with the next statement) and <see cref="Defer"/> (sent with COMMIT; nothing may be read
/// after a deferred write).
/// </summary>
internal interface IStoreSession
{
    Dialect Dialect { get; }

    /// <summary>
    /// The key the unit's audit event carries: what the PostgreSQL engine looks for when the connection is lost during
    /// COMMIT. Reading it marks the unit as one that wrote it.
    /// </summary>
    Guid? CommitKeyForAudit();

    /// <summary>A locking statement (<c>SELECT … FOR UPDATE</c>, an advisory lock) sent just before the next one; its rows are ignored. SQLite, with one writer, skips it.</summary>
    void Lock(Sql sql);

    ValueTask<List<T>> QueryAsync<T>(Sql sql, Func<DbDataReader, T> map, CancellationToken ct);

    ValueTask<int> ExecuteAsync(Sql sql, CancellationToken ct);

    /// <summary>A write sent with COMMIT, in one round trip with the others (PostgreSQL), or run at once (SQLite).</summary>
    void Defer(Sql sql);
}

/// <summary>
/// How one database runs units of work: what differs between SQLite (one writer with group commit) and PostgreSQL
/// (pooled connections, row locks, batches sent with COMMIT, in-doubt resolution). Every rule, statement and mapping
/// lives above it, in <see cref="RekeyStore"/>.
/// </summary>
internal interface IStoreEngine : IAsyncDisposable
{
    Dialect Dialect { get; }

    /// <summary>A read: no transaction of its own beyond each statement's.</summary>
    Task<T> ReadAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> read, CancellationToken ct);

    /// <summary>
    /// A change: one transaction, all of it or none of it. A result that is a failed <see cref="IOutcome"/> rolls back
    /// whatever the work wrote. Broken infrastructure is <see cref="StoreUnavailableException"/>.
    /// </summary>
    Task<T> WriteAsync<T>(Func<IStoreSession, CancellationToken, ValueTask<T>> write, CancellationToken ct);

    /// <summary>True when the database answers a trivial query in time.</summary>
    Task<bool> PingAsync(CancellationToken ct);
}
