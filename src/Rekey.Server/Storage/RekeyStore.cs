using System.Data.Common;
using System.Globalization;
using Rekey.Contracts;
using Rekey.Server.Secrets;
using Rekey.Server.Storage.Postgres;
using Rekey.Server.Storage.Sqlite;

namespace Rekey.Server.Storage;

/// <summary>
/// The store, written once: every rule and statement of Rekey's durable state, over an <see cref="IStoreEngine"/> that
/// runs its units of work (SQLite: one writer with group commit; PostgreSQL: row locks, batches sent with COMMIT,
/// in-doubt resolution). A change reads what it needs, decides with the rules (<see cref="SecretSet"/>,
/// <see cref="KeyPlans"/>, <see cref="SecretPolicy"/>), and writes — its audit event included — in one transaction.
/// </summary>
internal sealed partial class RekeyStore : IRekeyStore, IAsyncDisposable, IDisposable
{
    private readonly IStoreEngine _engine;
    private readonly SecretCipher _cipher;
    private readonly TimeProvider _time;
    private readonly SqlText _sql;

    public RekeyStore(IStoreEngine engine, SecretCipher cipher, TimeProvider time)
    {
        _engine = engine;
        _cipher = cipher;
        _time = time;
        _sql = new SqlText(engine.Dialect);
    }

    public IStoreEngine Engine => _engine;

    /// <summary>The embedded store: a SQLite file.</summary>
    public static RekeyStore Sqlite(string connectionString, string synchronous, SecretCipher cipher, TimeProvider time, int writeQueueLimit = SqliteWriteQueue.DefaultLimit) =>
        new(new SqliteEngine(connectionString, synchronous, writeQueueLimit), cipher, time);

    /// <summary>The shared store: a PostgreSQL database for any number of nodes.</summary>
    public static RekeyStore Postgres(string connectionString, SecretCipher cipher, TimeProvider? time = null, ILogger<PostgresEngine>? logger = null) =>
        new(new PostgresEngine(connectionString, logger), cipher, time ?? TimeProvider.System);

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- schema -------------------------------------------------------------------------------------

    public Task MigrateAsync(CancellationToken ct) =>
        // Nodes starting together queue on the schema lock (PostgreSQL): the first applies the migrations, the others
        // then find them applied. DDL is transactional in both databases: a failed migration leaves nothing.
        WriteUnitAsync(async (s, ct) =>
        {
            s.Lock(new Sql(_sql.SchemaLock, SqlArg.Long("k", PostgresEngine.SchemaLockKey)));
            await s.ExecuteAsync(new Sql(_sql.CreateMigrations), ct);
            var applied = await s.QueryAsync(new Sql(_sql.AppliedMigrations), r => (int)r.GetInt64(0), ct);
            var migrated = false;
            foreach (var (version, script) in Migrations.Pending(_engine.Dialect.Name, applied))
            {
                await s.ExecuteAsync(new Sql(script), ct);
                if (version == Migrations.SecretsIntoClients)
                {
                    await MoveSecretsIntoClientsAsync(s, ct);
                }

                await s.ExecuteAsync(new Sql(_sql.RecordMigration, SqlArg.Int("v", version), SqlArg.Long("t", Now)), ct);
                migrated = true;
            }

            if (migrated)
            {
                // Nodes of the previous release still running (a rolling upgrade) forget what a migration may have moved.
                DeferChanged(s, ChangeScope.Everything);
            }

            return true;
        }, ct);

    public Task<bool> PingAsync(CancellationToken ct) => _engine.PingAsync(ct);

    // ---- audit ----------------------------------------------------------------------------------------

    /// <summary>
    /// Writes the audit event of a change in its transaction (deferred: it goes with COMMIT on PostgreSQL). An event
    /// that names a client joins the client's trail: the unit holds the client's row (locked on PostgreSQL), which
    /// keeps the head, unless <paramref name="deletedClient"/> says the head is kept in <c>deleted_clients</c>.
    /// A change that succeeded also writes its lifecycle event (<see cref="Events.ChangeEvents.TypeOf"/>) and that
    /// event's webhook deliveries, in the same transaction: the outbox (<see cref="DeferEvent"/>), unless the caller knows
    /// the service has no enabled webhook (<paramref name="eventWanted"/>; the event keeps its number either way).
    /// </summary>
    private void DeferAudit(IStoreSession s, ChangeContext change, long? serviceId, long? clientId, long? secretId, string outcome = "success", string? target = null,
        bool deletedClient = false, string? eventData = null, bool eventWanted = true)
    {
        if (outcome == "success")
        {
            DeferChanged(s, ChangeScope.Of(serviceId, clientId));
        }

        s.Defer(new Sql(_sql.InsertAudit,
            SqlArg.Long("at", change.At), SqlArg.Text("kind", change.ActorKind), SqlArg.Long("token", change.ActorTokenId), SqlArg.Text("addr", change.RemoteAddress),
            SqlArg.Text("req", change.RequestId), SqlArg.Long("s", serviceId), SqlArg.Long("c", clientId), SqlArg.Text("action", change.Action),
            SqlArg.Long("secret", secretId), SqlArg.Text("outcome", outcome), SqlArg.Text("target", target), SqlArg.Uuid("commit_key", s.CommitKeyForAudit())));
        var eventType = outcome == "success" && serviceId is not null ? Events.ChangeEvents.TypeOf(change.Action) : null;
        if (clientId is { } id)
        {
            s.Defer(new Sql(deletedClient ? _sql.LinkDeletedClientAudit : eventType is null ? _sql.LinkClientAudit : _sql.LinkClientAuditForEvent, SqlArg.Long("c", id)));
        }

        if (eventType is not null && eventWanted)
        {
            DeferEvent(s, eventType, serviceId!.Value, clientId, secretId, change.At, eventData, audited: true);
        }
    }

    /// <summary>
    /// Raised after a write unit ended, once for each scope its changes reached (<see cref="DeferChanged"/>), on the
    /// thread that ran it: each node's <see cref="VerificationCache"/> forgets what this node changed before the change
    /// is acknowledged.
    /// </summary>
    public event Action<ChangeScope>? Changed;

    /// <summary>
    /// Names what a change reaches, for every node's cache: every audited change does (<see cref="DeferAudit"/>), and the
    /// few unaudited writes that touch what authentication reads. On PostgreSQL a <c>NOTIFY</c> goes with the unit's
    /// COMMIT, so other nodes hear of it when, and only if, it commits (<see cref="Postgres.PostgresChangeFeed"/>).
    /// </summary>
    private void DeferChanged(IStoreSession s, ChangeScope scope)
    {
        if (s is not ChangeTracking tracking || !tracking.Reach(scope))
        {
            return;
        }

        if (_sql.NotifyChange is { } notify)
        {
            s.Defer(new Sql(notify, SqlArg.Text("p", scope.Payload)));
        }
    }

    /// <summary>
    /// A refused attempt. One that names a client locks the client's trail first (PostgreSQL): a change of the client
    /// committing meanwhile would otherwise link its event to the same predecessor, and one of the two would drop out
    /// of the trail. A client deleted since the refusal found it keeps its trail in <c>deleted_clients</c>.
    /// </summary>
    public Task AppendAuditAsync(AuditRecord record, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            var deleted = record.ClientId is { } clientId
                && (await s.QueryAsync(new Sql(_sql.ClientTrailForUpdate, SqlArg.Long("c", clientId)), Rows.Count, ct)).Count == 0
                && (await s.QueryAsync(new Sql(_sql.DeletedClientTrailForUpdate, SqlArg.Long("c", clientId)), Rows.Count, ct)).Count > 0;
            DeferAudit(s, record.Change, record.ServiceId, record.ClientId, record.SecretId, record.Outcome, record.Target, deleted);
            return true;
        }, ct);

    public Task<Page<AuditEvent>> ListAuditAsync(AuditQuery q, CancellationToken ct) =>
        ReadUnitAsync(async (s, ct) =>
        {
            var (count, page) = SqlText.AuditList(q.ServiceId is not null, q.ClientId is not null, q.Action is not null);
            SqlArg[] filter =
            [
                .. q.ServiceId is { } serviceId ? [SqlArg.Long("s", serviceId)] : Array.Empty<SqlArg>(),
                .. q.ClientId is { } clientId ? [SqlArg.Long("c", clientId)] : Array.Empty<SqlArg>(),
                .. q.Action is { } action ? [SqlArg.Text("a", action)] : Array.Empty<SqlArg>(),
            ];
            var total = await CountAsync(s, new Sql(count, filter), ct);
            var items = await s.QueryAsync(new Sql(page, [.. filter, SqlArg.Int("limit", q.End - q.Start), SqlArg.Int("offset", q.Start)]), Rows.AuditEvent, ct);
            return new Page<AuditEvent>(items, (int)total);
        }, ct);

    // ---- helpers --------------------------------------------------------------------------------------

    private static async ValueTask<long> CountAsync(IStoreSession s, Sql sql, CancellationToken ct) => (await s.QueryAsync(sql, Rows.Count, ct))[0];

    /// <summary>
    /// Inserts a row under a fresh random ID (<c>INSERT … ON CONFLICT (id) DO NOTHING RETURNING …</c>): an ID that is
    /// taken, by this node or another, returns nothing and a new one is drawn. The one place IDs are drawn.
    /// </summary>
    private static async ValueTask<(long Id, T Row)> InsertWithNewIdAsync<T>(IStoreSession s, Func<long, Sql> insert, Func<DbDataReader, T> map, CancellationToken ct)
    {
        while (true)
        {
            var id = SecretGenerator.NewId();
            if ((await s.QueryAsync(insert(id), map, ct)) is [var row])
            {
                return (id, row);
            }
        }
    }

    /// <summary>The parameters that find a client by identifier: its service, the identifier read as a numeric ID (or -1), and as an alias.</summary>
    private static SqlArg[] ClientKey(long serviceId, string identifier) =>
    [
        SqlArg.Long("s", serviceId),
        SqlArg.Long("n", long.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1),
        // An identifier with a NUL can match no alias (PostgreSQL text cannot even hold one): the alias half is off.
        SqlArg.Text("a", identifier.Contains('\0', StringComparison.Ordinal) ? null : identifier),
    ];

    /// <summary>
    /// The current secret of a client row, opened. Another node may have added a data key since this one last loaded
    /// them: unknown key IDs reload the keys once before the cipher decides.
    /// </summary>
    private async ValueTask<string?> OpenCurrentAsync(IStoreSession s, ClientRow row, CancellationToken ct)
    {
        if (row.Secrets.Current is not { KeyId: { } keyId, Ciphertext: { } ciphertext } current)
        {
            return null;
        }

        await EnsureKeysAsync(s, [keyId], ct);
        return _cipher.Open(keyId, ciphertext, SecretCipher.AssociatedData(row.Client.ServiceId, row.Client.ClientId, current.SecretId));
    }

    private async ValueTask EnsureKeysAsync(IStoreSession s, IEnumerable<string> keyIds, CancellationToken ct)
    {
        if (keyIds.Any(k => !_cipher.Knows(k)))
        {
            _cipher.Load((await ReadKeysAsync(s, ct)).DataKeys);
        }
    }

    private async ValueTask<RuleViolation> ClientNotFoundAsync(IStoreSession s, long serviceId, string identifier, CancellationToken ct) =>
        await ServiceExistsAsync(s, serviceId, ct) ? StoreRules.ClientNotFound(identifier, serviceId) : StoreRules.ServiceNotFound(serviceId);

    private async ValueTask<bool> ServiceExistsAsync(IStoreSession s, long serviceId, CancellationToken ct) =>
        await CountAsync(s, new Sql(_sql.ServiceExists, SqlArg.Long("s", serviceId)), ct) > 0;

    public async ValueTask DisposeAsync() => await _engine.DisposeAsync();

    public void Dispose() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
