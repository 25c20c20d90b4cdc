using System.Globalization;
using Microsoft.Data.Sqlite;
using Rekey.Contracts;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Reads use pooled connections that keep their prepared statements
/// and never wait for the writer; writes go through <see cref="SqliteWriteQueue"/>, one writer loop, group commit.
/// </summary>
internal sealed class SqliteStore : IRekeyStore, IDisposable
{
    private readonly string _connectionString;
    private readonly string _synchronous;
    private readonly SecretCipher _cipher;
    private readonly TimeProvider _time;
    private readonly Lazy<SqliteWriteQueue> _writer;

    /// <summary>Open read connections, each with its prepared statements (see <see cref="Prepared"/>).</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<SqliteConnection> _readers = [];

    /// <summary>How many connections <see cref="_readers"/> holds (its own Count takes every thread's lock).</summary>
    private int _idleReaders;

    /// <summary>Read connections kept open between reads; more may exist while reads run, and are closed after.</summary>
    private const int MaxIdleReaders = 16;

    private bool _disposed;

    public SqliteStore(string connectionString, string synchronous, SecretCipher cipher, TimeProvider time, int writeQueueLimit = SqliteWriteQueue.DefaultLimit)
    {
        _time = time;
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        _connectionString = builder.ToString();
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && !file.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && builder.Mode != SqliteOpenMode.Memory)
        {
            // Created by us with mode 0600 before SQLite opens it: SQLite would create it with the process umask (0644
            // by default) and give its -wal and -shm files the same mode.
            PrivateFile.CreateEmpty(file);
        }
        _synchronous = synchronous;
        _cipher = cipher;
        _writer = new Lazy<SqliteWriteQueue>(() => new SqliteWriteQueue(OpenWriteConnection(), Translate, writeQueueLimit));
    }

    // ---- infrastructure -------------------------------------------------------------------------------

    private SqliteConnection OpenWriteConnection()
    {
        var connection = OpenPrepared();
        // temp_store=MEMORY: every write runs in its own SAVEPOINT, and SQLite keeps the original of each page a
        // savepoint changes in a sub-journal, by default a temporary file: a quarter of the writer's write calls
        // (bench/README.md). In memory it costs a few pages per write and no system calls. (The automatic checkpoint
        // stays at SQLite's 1000 pages: at 4000 the 1k-client updates ran 13 % faster, but with 1 million clients each
        // checkpoint copied thousands of scattered pages inside one COMMIT and the p99 doubled.)
        Exec(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={_synchronous}; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY;");
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

    /// <summary>
    /// Runs a read on a connection of its own. Connections are reused with their prepared statements: parsing and
    /// planning the client lookup anew on every token request was most of SQLite's share of the token endpoint's CPU
    /// (bench/README.md). Every statement runs in autocommit and its reader is disposed before the connection goes
    /// back, so a pooled connection holds no read snapshot between reads. A connection that saw an error is closed.
    /// </summary>
    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken ct)
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

            var result = read(connection);
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

    /// <summary>Keeps a read connection for the next read, unless it saw an error, the store is closing, or enough are idle.</summary>
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

    private Task<T> WriteAsync<T>(Func<SqliteConnection, T> write, CancellationToken ct) => _writer.Value.RunAsync(write, ct);

    private static Exception Translate(Exception ex) => ex switch
    {
        // BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN: the database, not the request, is at fault.
        SqliteException { SqliteErrorCode: 5 or 6 or 7 or 8 or 10 or 11 or 13 or 14 } s =>
            new StoreUnavailableException($"SQLite is unavailable (error {s.SqliteErrorCode}).", s),
        _ => ex,
    };

    public async Task MigrateAsync(CancellationToken ct)
    {
        await WriteAsync(c =>
        {
            Exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
            var applied = Query(c, "SELECT version FROM schema_migrations", [], r => r.GetInt32(0));
            foreach (var (version, sql) in Migrations.Pending("sqlite", applied))
            {
                Exec(c, sql);
                Exec(c, "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $t)", ("$v", version), ("$t", _time.GetUtcNow().ToUnixTimeMilliseconds()));
            }

            return true;
        }, ct);
    }

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            return await ReadAsync(c => Scalar(c, "SELECT COUNT(*) FROM schema_migrations", []) > 0, ct);
        }
        catch (StoreUnavailableException)
        {
            return false;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    // ---- audit ----------------------------------------------------------------------------------------

    private static void Audit(SqliteConnection c, ChangeContext change, long? serviceId, long? clientId, long? secretId, string outcome = "success", string? target = null) =>
        Exec(c, """
            INSERT INTO audit_events (occurred_at, actor_kind, actor_token_id, remote_address, request_id, service_id, client_id, action, secret_id, outcome, target)
            VALUES ($at, $kind, $token, $addr, $req, $s, $c, $action, $secret, $outcome, $target)
            """,
            ("$at", change.At), ("$kind", change.ActorKind), ("$token", change.ActorTokenId), ("$addr", change.RemoteAddress), ("$req", change.RequestId),
            ("$s", serviceId), ("$c", clientId), ("$action", change.Action), ("$secret", secretId), ("$outcome", outcome), ("$target", target));

    public Task AppendAuditAsync(AuditRecord record, CancellationToken ct) =>
        WriteAsync(c =>
        {
            Audit(c, record.Change, record.ServiceId, record.ClientId, record.SecretId, record.Outcome, record.Target);
            return true;
        }, ct);

    public Task<Page<AuditEvent>> ListAuditAsync(AuditQuery q, CancellationToken ct) =>
        ReadAsync(c =>
        {
            var filter = "WHERE ($s IS NULL OR service_id = $s) AND ($c IS NULL OR client_id = $c) AND ($a IS NULL OR action = $a)";
            (string, object?)[] args = [("$s", q.ServiceId), ("$c", q.ClientId), ("$a", q.Action), ("$limit", q.End - q.Start), ("$offset", q.Start)];
            var total = Scalar(c, "SELECT COUNT(*) FROM audit_events " + filter, args);
            var items = Query(c, $"""
                SELECT {Rows.AuditColumns}
                FROM audit_events {filter} ORDER BY event_id DESC LIMIT $limit OFFSET $offset
                """, args, Rows.AuditEvent);
            return new Page<AuditEvent>(items, (int)total);
        }, ct);

    // ---- services -----------------------------------------------------------------------------------

    public Task<StoredService> CreateServiceAsync(ServiceContent content, ChangeContext change, CancellationToken ct) =>
        WriteAsync(c =>
        {
            var id = NewUniqueId(c, "SELECT COUNT(*) FROM services WHERE service_id = $id");
            var service = Query(c, $"""
                INSERT INTO services (service_id, document, secret_grace_s, secret_lifetime_s, created_at, modified_at)
                VALUES ($id, $doc, $grace, $life, $now, $now) RETURNING {Rows.ServiceColumns}
                """,
                [("$id", id), ("$doc", content.Document), ("$grace", content.Settings.GracePeriodSeconds), ("$life", content.Settings.SecretLifetimeSeconds), ("$now", change.At)], Rows.Service).Single();
            Audit(c, change, id, null, null);
            return service;
        }, ct);

    public Task<StoredService?> GetServiceAsync(long serviceId, CancellationToken ct) =>
        ReadAsync(c => Query(c, $"SELECT {Rows.ServiceColumns} FROM services WHERE service_id = $id", [("$id", serviceId)], Rows.Service).SingleOrDefault(), ct);

    public Task<Page<StoredService>> ListServicesAsync(long? onlyServiceId, int start, int end, CancellationToken ct) =>
        ReadAsync(c =>
        {
            var filter = " WHERE ($only IS NULL OR service_id = $only)";
            (string, object?)[] args = [("$only", onlyServiceId), ("$limit", end - start), ("$offset", start)];
            var total = Scalar(c, "SELECT COUNT(*) FROM services" + filter, args);
            var items = Query(c, $"SELECT {Rows.ServiceColumns} FROM services{filter} ORDER BY number LIMIT $limit OFFSET $offset", args, Rows.Service);
            return new Page<StoredService>(items, (int)total);
        }, ct);

    public Task<Outcome<StoredService>> UpdateServiceAsync(long serviceId, Func<StoredService, Outcome<ServiceContent>> update, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<StoredService>>(c =>
        {
            // The single writer: nothing changes the service between this read and the write.
            var stored = Query(c, $"SELECT {Rows.ServiceColumns} FROM services WHERE service_id = $id", [("$id", serviceId)], Rows.Service).SingleOrDefault();
            if (stored is null)
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            if (!update(stored).IsOk(out var content, out var error))
            {
                return error;
            }

            var service = Query(c, $"""
                UPDATE services SET document = $doc, secret_grace_s = $grace, secret_lifetime_s = $life, modified_at = $now
                WHERE service_id = $id RETURNING {Rows.ServiceColumns}
                """,
                [("$id", serviceId), ("$doc", content.Document), ("$grace", content.Settings.GracePeriodSeconds), ("$life", content.Settings.SecretLifetimeSeconds), ("$now", change.At)],
                Rows.Service).Single();
            Audit(c, change, serviceId, null, null);
            return service;
        }, ct);

    public Task<bool> DeleteServiceAsync(long serviceId, ChangeContext change, CancellationToken ct) =>
        WriteAsync(c =>
        {
            var deleted = Exec(c, "DELETE FROM services WHERE service_id = $id", ("$id", serviceId)) > 0;
            if (deleted)
            {
                Audit(c, change, serviceId, null, null);
            }

            return deleted;
        }, ct);

    // ---- clients ------------------------------------------------------------------------------------

    private StoredClient ReadClient(SqliteDataReader r, bool withSecret)
    {
        string? secret = null;
        if (withSecret && !r.IsDBNull(10))
        {
            secret = _cipher.Open(r.GetString(11), (byte[])r.GetValue(12), SecretCipher.AssociatedData(r.GetInt64(0), r.GetInt64(2), r.GetInt64(10)));
        }

        return new StoredClient(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), NullableString(r, 4), NullableString(r, 5),
            r.GetInt64(6) != 0, r.GetString(7), r.GetInt64(8), r.GetInt64(9), secret, NullableLong(r, 13));
    }

    private sealed record FoundClient(StoredClient Client, long? SecretId, ServiceSettings Settings);

    private Outcome<FoundClient> FindClient(SqliteConnection c, long serviceId, string identifier, bool withSecret)
    {
        var numeric = long.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        var found = Query(c, Rows.ClientSelect + " WHERE c.service_id = $s AND (c.client_id = $n OR c.alias = $a) ORDER BY c.client_id = $n DESC LIMIT 1",
            [("$s", serviceId), ("$n", numeric), ("$a", identifier)],
            r => new FoundClient(ReadClient(r, withSecret), NullableLong(r, 10), new ServiceSettings(r.GetInt64(14), r.GetInt64(15)))).SingleOrDefault();
        if (found is not null)
        {
            return found;
        }

        return ServiceExists(c, serviceId) ? StoreRules.ClientNotFound(identifier, serviceId) : StoreRules.ServiceNotFound(serviceId);
    }

    private Outcome<StoredClient> FindClientDocument(SqliteConnection c, long serviceId, string identifier, bool withSecret) =>
        FindClient(c, serviceId, identifier, withSecret).IsOk(out var found, out var error) ? found.Client : error;

    private static bool ServiceExists(SqliteConnection c, long serviceId) =>
        Scalar(c, "SELECT COUNT(*) FROM services WHERE service_id = $s", [("$s", serviceId)]) > 0;

    /// <summary>An alias must be free in the service and must not equal another client's numeric ID.</summary>
    private static RuleViolation? CheckAlias(SqliteConnection c, long serviceId, long clientId, string? alias)
    {
        if (alias is null)
        {
            return null;
        }

        if (Scalar(c, "SELECT COUNT(*) FROM clients WHERE service_id = $s AND alias = $a AND client_id <> $c", [("$s", serviceId), ("$a", alias), ("$c", clientId)]) > 0)
        {
            return RuleViolation.Of(ResultCodes.ClientIdAliasInUse, alias);
        }

        if (long.TryParse(alias, NumberStyles.None, CultureInfo.InvariantCulture, out var asId) && asId != clientId &&
            Scalar(c, "SELECT COUNT(*) FROM clients WHERE service_id = $s AND client_id = $id", [("$s", serviceId), ("$id", asId)]) > 0)
        {
            return RuleViolation.Of(ResultCodes.ClientIdAliasIsClientId, alias);
        }

        return null;
    }

    public Task<Outcome<StoredClient>> CreateClientAsync(NewClient client, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<StoredClient>>(c =>
        {
            var lifetime = Query(c, "SELECT secret_lifetime_s FROM services WHERE service_id = $s", [("$s", client.ServiceId)], r => r.GetInt64(0)).ToList();
            if (lifetime.Count == 0)
            {
                return StoreRules.ServiceNotFound(client.ServiceId);
            }

            // A new ID may equal neither an existing ID nor any alias (aliases and IDs share one namespace).
            var clientId = NewUniqueId(c, "SELECT (SELECT COUNT(*) FROM clients WHERE client_id = $id) + (SELECT COUNT(*) FROM clients WHERE alias = CAST($id AS TEXT))");
            if (CheckAlias(c, client.ServiceId, clientId, client.Alias) is { } aliasError)
            {
                return aliasError;
            }

            Exec(c, """
                INSERT INTO clients (client_id, service_id, alias, developer, locked, document, created_at, modified_at)
                VALUES ($c, $s, $a, $d, $l, $doc, $now, $now)
                """,
                ("$c", clientId), ("$s", client.ServiceId), ("$a", client.Alias), ("$d", client.Developer),
                ("$l", client.Locked ? 1 : 0), ("$doc", client.Document), ("$now", change.At));
            var secretId = InsertCurrentSecret(c, client.ServiceId, clientId, client.Secret, change.At, SecretPolicy.ExpiresAt(change.At, lifetime[0]));
            Audit(c, change, client.ServiceId, clientId, secretId);
            return FindClientDocument(c, client.ServiceId, clientId.ToString(CultureInfo.InvariantCulture), withSecret: true);
        }, ct);

    public Task<Outcome<StoredClient>> GetClientAsync(long serviceId, string identifier, bool withSecret, CancellationToken ct) =>
        ReadAsync(c => FindClientDocument(c, serviceId, identifier, withSecret), ct);

    public Task<Outcome<Page<StoredClient>>> ListClientsAsync(long serviceId, string? developer, int start, int end, bool withSecret, CancellationToken ct) =>
        ReadAsync<Outcome<Page<StoredClient>>>(c =>
        {
            if (!ServiceExists(c, serviceId))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var filter = "c.service_id = $s AND ($d IS NULL OR c.developer = $d)";
            (string, object?)[] args = [("$s", serviceId), ("$d", developer), ("$limit", end - start), ("$offset", start)];
            var total = Scalar(c, "SELECT COUNT(*) FROM clients c WHERE " + filter, args);
            var items = Query(c, Rows.ClientSelect + " WHERE " + filter + " ORDER BY c.number LIMIT $limit OFFSET $offset", args, r => ReadClient(r, withSecret));
            return new Page<StoredClient>(items, (int)total);
        }, ct);

    public Task<Outcome<StoredClient>> UpdateClientAsync(ClientUpdate update, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<StoredClient>>(c =>
        {
            var id = update.ClientId.ToString(CultureInfo.InvariantCulture);
            if (!FindClient(c, update.ServiceId, id, withSecret: false).IsOk(out _, out var error))
            {
                return error;
            }

            if (CheckAlias(c, update.ServiceId, update.ClientId, update.Alias) is { } aliasError)
            {
                return aliasError;
            }

            Exec(c, "UPDATE clients SET alias = $a, developer = $d, document = $doc, modified_at = $now WHERE client_id = $c",
                ("$a", update.Alias), ("$d", update.Developer), ("$doc", update.Document), ("$now", change.At), ("$c", update.ClientId));
            Audit(c, change, update.ServiceId, update.ClientId, null);
            return FindClientDocument(c, update.ServiceId, id, withSecret: true);
        }, ct);

    public Task<Outcome<long>> DeleteClientAsync(long serviceId, string identifier, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<long>>(c =>
        {
            if (!FindClient(c, serviceId, identifier, withSecret: false).IsOk(out var found, out var error))
            {
                return error;
            }

            Exec(c, "DELETE FROM clients WHERE client_id = $c", ("$c", found.Client.ClientId));
            Audit(c, change, serviceId, found.Client.ClientId, null);
            return found.Client.ClientId;
        }, ct);

    public Task<Outcome<long>> SetClientLockAsync(long serviceId, string identifier, bool locked, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<long>>(c =>
        {
            if (!FindClient(c, serviceId, identifier, withSecret: false).IsOk(out var found, out var error))
            {
                return error;
            }

            Exec(c, "UPDATE clients SET locked = $l, modified_at = $now WHERE client_id = $c", ("$l", locked ? 1 : 0), ("$now", change.At), ("$c", found.Client.ClientId));
            Audit(c, change, serviceId, found.Client.ClientId, null);
            return found.Client.ClientId;
        }, ct);

    // ---- secrets ------------------------------------------------------------------------------------

    /// <summary>
    /// Inserts the new current secret under a fresh random ID. The ID is part of the ciphertext's associated data, so it
    /// is chosen before sealing; instead of probing for it first (a statement on every rotation), a collision (one in
    /// 2^53 per existing secret) fails the INSERT on its primary key, which undoes only that statement, and is retried.
    /// </summary>
    private long InsertCurrentSecret(SqliteConnection c, long serviceId, long clientId, string secret, long now, long? expiresAt)
    {
        while (true)
        {
            var secretId = SecretGenerator.NewId();
            var sealedSecret = _cipher.Seal(secret, SecretCipher.AssociatedData(serviceId, clientId, secretId));
            try
            {
                Exec(c, """
                    INSERT INTO client_secrets (secret_id, client_id, state, created_at, expires_at, hint, key_id, ciphertext, digest)
                    VALUES ($id, $c, 0, $now, $exp, $hint, $k, $ct, $dg)
                    """,
                    ("$id", secretId), ("$c", clientId), ("$now", now), ("$exp", expiresAt), ("$hint", SecretPolicy.Hint(secret)),
                    ("$k", sealedSecret.KeyId), ("$ct", sealedSecret.Ciphertext), ("$dg", sealedSecret.Digest));
                return secretId;
            }
            catch (SqliteException ex) when (ex.SqliteExtendedErrorCode == PrimaryKeyViolation)
            {
                // Another secret already has this ID: draw again.
            }
        }
    }

    /// <summary>SQLITE_CONSTRAINT_PRIMARYKEY.</summary>
    private const int PrimaryKeyViolation = 1555;

    public Task<Outcome<SecretRotation>> RotateSecretAsync(SecretRotationRequest request, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<SecretRotation>>(c =>
        {
            // The single writer loop serialises rotations: no other write runs between this read and the writes
            // below, so concurrent rotations of one client form a chain.
            if (!FindClient(c, request.ServiceId, request.Identifier, withSecret: true).IsOk(out var found, out var error))
            {
                return error;
            }

            var now = change.At;
            var clientId = found.Client.ClientId;
            var createdAt = SecretPolicy.CreatedAt(now, Scalar(c, "SELECT COALESCE(MAX(created_at), 0) FROM client_secrets WHERE client_id = $c", [("$c", clientId)]));
            var grace = request.GracePeriodSeconds ?? found.Settings.GracePeriodSeconds;
            if (grace > 0)
            {
                Exec(c, "UPDATE client_secrets SET state = 1, valid_until = $until, ciphertext = X'' WHERE client_id = $c AND state = 0", ("$until", now + (grace * 1000)), ("$c", clientId));
                Exec(c, """
                    UPDATE client_secrets SET state = 2, revoked_at = $now, ciphertext = X'', digest = X'', hint = NULL WHERE secret_id IN
                      (SELECT secret_id FROM client_secrets WHERE client_id = $c AND state = 1 AND valid_until > $now
                       ORDER BY created_at DESC, secret_id DESC LIMIT -1 OFFSET $max)
                    """, ("$now", now), ("$c", clientId), ("$max", SecretPolicy.MaxValidPrevious));
            }
            else
            {
                Exec(c, "UPDATE client_secrets SET state = 2, revoked_at = $now, ciphertext = X'', digest = X'', hint = NULL WHERE client_id = $c AND state = 0", ("$now", now), ("$c", clientId));
            }

            var newSecretId = InsertCurrentSecret(c, request.ServiceId, clientId, request.NewSecret, createdAt, SecretPolicy.ExpiresAt(now, found.Settings.SecretLifetimeSeconds));
            Exec(c, "UPDATE clients SET modified_at = $now WHERE client_id = $c", ("$now", now), ("$c", clientId));
            Exec(c, """
                DELETE FROM client_secrets WHERE client_id = $c AND state <> 0 AND NOT (state = 1 AND valid_until > $now) AND secret_id NOT IN
                  (SELECT secret_id FROM client_secrets WHERE client_id = $c AND state <> 0 ORDER BY created_at DESC, secret_id DESC LIMIT $keep)
                """, ("$c", clientId), ("$now", now), ("$keep", SecretPolicy.KeptPerClient));
            Audit(c, change, request.ServiceId, clientId, newSecretId);
            return new SecretRotation(clientId, newSecretId, found.Client.CurrentSecret, request.NewSecret);
        }, ct);

    public Task<Outcome<ClientSecrets>> ListSecretsAsync(long serviceId, string identifier, CancellationToken ct) =>
        ReadAsync<Outcome<ClientSecrets>>(c =>
        {
            if (!FindClient(c, serviceId, identifier, withSecret: false).IsOk(out var found, out var error))
            {
                return error;
            }

            var secrets = Query(c, $"""
                SELECT {Rows.SecretColumns}
                FROM client_secrets WHERE client_id = $c ORDER BY created_at DESC, secret_id DESC
                """, [("$c", found.Client.ClientId)],
                Rows.Secret);
            return new ClientSecrets(found.Client.ClientId, secrets);
        }, ct);

    public Task<Outcome<long>> RevokeSecretAsync(long serviceId, string identifier, long secretId, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<long>>(c =>
        {
            if (!FindClient(c, serviceId, identifier, withSecret: false).IsOk(out var found, out var error))
            {
                return error;
            }

            var clientId = found.Client.ClientId;
            var state = Query(c, "SELECT state FROM client_secrets WHERE secret_id = $id AND client_id = $c", [("$id", secretId), ("$c", clientId)], r => r.GetInt32(0)).ToList();
            if (state.Count == 0)
            {
                return RuleViolation.Of(ResultCodes.SecretNotFound, secretId, clientId);
            }

            if (state[0] == SecretPolicy.StateCurrent)
            {
                return RuleViolation.Of(ResultCodes.CannotRevokeCurrentSecret, secretId);
            }

            Exec(c, "UPDATE client_secrets SET state = 2, revoked_at = COALESCE(revoked_at, $now), ciphertext = X'', digest = X'', hint = NULL WHERE secret_id = $id", ("$now", change.At), ("$id", secretId));
            Audit(c, change, serviceId, clientId, secretId);
            return clientId;
        }, ct);

    public Task<Outcome<ClientCredentials>> FindCredentialsAsync(long serviceId, string identifier, CancellationToken ct) =>
        ReadAsync<Outcome<ClientCredentials>>(c =>
        {
            var numeric = long.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
            var rows = Query(c, """
                SELECT c.client_id, c.alias, c.locked, c.document, cs.secret_id, cs.key_id, cs.digest, cs.state, cs.expires_at, cs.valid_until
                FROM clients c LEFT JOIN client_secrets cs ON cs.client_id = c.client_id AND cs.state < 2
                WHERE c.client_id = (SELECT client_id FROM clients WHERE service_id = $s AND (client_id = $n OR alias = $a) ORDER BY client_id = $n DESC LIMIT 1)
                """, [("$s", serviceId), ("$n", numeric), ("$a", identifier)],
                r => (Client: (Id: r.GetInt64(0), Alias: NullableString(r, 1), Locked: r.GetInt64(2) != 0, Document: r.GetString(3)),
                      Secret: r.IsDBNull(4) ? null : new SecretCandidate(r.GetInt64(4), r.GetString(5), (byte[])r.GetValue(6), r.GetInt32(7), NullableLong(r, 8), NullableLong(r, 9))));
            if (rows.Count == 0)
            {
                return StoreRules.ClientNotFound(identifier, serviceId);
            }

            var client = rows[0].Client;
            return new ClientCredentials(serviceId, client.Id, client.Alias, client.Locked, client.Document,
                rows.Select(r => r.Secret).OfType<SecretCandidate>().ToList());
        }, ct);

    public Task RecordSecretUseAsync(IReadOnlyCollection<KeyValuePair<long, long>> uses, CancellationToken ct) =>
        WriteAsync(c =>
        {
            foreach (var (secretId, at) in uses)
            {
                Exec(c, "UPDATE client_secrets SET last_used_at = MAX(COALESCE(last_used_at, 0), $at) WHERE secret_id = $id", ("$at", at), ("$id", secretId));
            }

            return true;
        }, ct);

    // ---- API tokens ---------------------------------------------------------------------------------

    public Task<StoredApiToken> CreateApiTokenAsync(long serviceId, IReadOnlyList<string> permissions, string? description, byte[] tokenHash, ChangeContext change, CancellationToken ct) =>
        WriteAsync(c =>
        {
            var id = NewUniqueId(c, "SELECT COUNT(*) FROM api_tokens WHERE token_id = $id");
            var token = Query(c, $"""
                INSERT INTO api_tokens (token_id, service_id, token_hash, permissions, description, created_at)
                VALUES ($id, $s, $h, $p, $d, $now) RETURNING {Rows.ApiTokenColumns}
                """,
                [("$id", id), ("$s", serviceId), ("$h", tokenHash), ("$p", string.Join(' ', permissions)), ("$d", description), ("$now", change.At)], Rows.ApiToken).Single();
            Audit(c, change, serviceId, null, null, target: id.ToString(CultureInfo.InvariantCulture));
            return token;
        }, ct);

    public Task<StoredApiToken?> FindApiTokenAsync(byte[] tokenHash, CancellationToken ct) =>
        ReadAsync(c => Query(c, $"SELECT {Rows.ApiTokenColumns} FROM api_tokens WHERE token_hash = $h", [("$h", tokenHash)], Rows.ApiToken).SingleOrDefault(), ct);

    public Task<Page<StoredApiToken>> ListApiTokensAsync(int start, int end, CancellationToken ct) =>
        ReadAsync(c =>
        {
            var total = Scalar(c, "SELECT COUNT(*) FROM api_tokens", []);
            var items = Query(c, $"SELECT {Rows.ApiTokenColumns} FROM api_tokens ORDER BY created_at, token_id LIMIT $limit OFFSET $offset",
                [("$limit", end - start), ("$offset", start)], Rows.ApiToken);
            return new Page<StoredApiToken>(items, (int)total);
        }, ct);

    public Task<bool> DeleteApiTokenAsync(long tokenId, ChangeContext change, CancellationToken ct) =>
        WriteAsync(c =>
        {
            var serviceId = Query(c, "DELETE FROM api_tokens WHERE token_id = $id RETURNING service_id", [("$id", tokenId)], r => r.GetInt64(0)).ToList();
            if (serviceId.Count > 0)
            {
                Audit(c, change, serviceId[0], null, null, target: tokenId.ToString(CultureInfo.InvariantCulture));
            }

            return serviceId.Count > 0;
        }, ct);

    // ---- signing keys -------------------------------------------------------------------------------

    private List<StoredSigningKey> LoadSigningKeys(SqliteConnection c, long serviceId) =>
        Query(c, "SELECT key_id, created_at, public_jwk, data_key_id, ciphertext FROM signing_keys WHERE service_id = $s ORDER BY created_at DESC, key_id DESC",
            [("$s", serviceId)],
            r => new StoredSigningKey(r.GetString(0), serviceId, r.GetInt64(1), r.GetString(2),
                Convert.FromBase64String(_cipher.Open(r.GetString(3), (byte[])r.GetValue(4), SecretCipher.SigningKeyAssociatedData(serviceId, r.GetString(0))))));

    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(long serviceId, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<StoredSigningKey>>(c => LoadSigningKeys(c, serviceId), ct);

    public Task<Outcome<StoredSigningKey>> AddSigningKeyAsync(long serviceId, NewSigningKey key, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<StoredSigningKey>>(c =>
        {
            if (!ServiceExists(c, serviceId))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var newest = Scalar(c, "SELECT COALESCE(MAX(created_at), 0) FROM signing_keys WHERE service_id = $s", [("$s", serviceId)]);
            var sealedKey = _cipher.Seal(Convert.ToBase64String(key.PrivateKey), SecretCipher.SigningKeyAssociatedData(serviceId, key.KeyId));
            Exec(c, "INSERT INTO signing_keys (key_id, service_id, created_at, public_jwk, data_key_id, ciphertext) VALUES ($k, $s, $t, $jwk, $dk, $ct)",
                ("$k", key.KeyId), ("$s", serviceId), ("$t", Math.Max(change.At, newest + 1)), ("$jwk", key.PublicJwk), ("$dk", sealedKey.KeyId), ("$ct", sealedKey.Ciphertext));
            Exec(c, "DELETE FROM signing_keys WHERE service_id = $s AND key_id NOT IN (SELECT key_id FROM signing_keys WHERE service_id = $s ORDER BY created_at DESC, key_id DESC LIMIT $keep)",
                ("$s", serviceId), ("$keep", IRekeyStore.SigningKeysKept));
            Audit(c, change, serviceId, null, null, target: key.KeyId);
            return LoadSigningKeys(c, serviceId).First(k => k.KeyId == key.KeyId);
        }, ct);

    // ---- keys ---------------------------------------------------------------------------------------

    private static KeyState ReadKeys(SqliteConnection c) =>
        KeySql.Assemble(Query(c, KeySql.MasterKeys, [], KeySql.MasterKey), Query(c, KeySql.DataKeys, [], KeySql.DataKey), Query(c, KeySql.Wraps, [], KeySql.Wrap));

    public Task<KeyState> ReadKeysAsync(CancellationToken ct) => ReadAsync(ReadKeys, ct);

    public Task<Outcome<T>> ChangeKeysAsync<T>(Func<KeyState, Outcome<KeyPlan<T>>> plan, ChangeContext? change, CancellationToken ct) =>
        WriteAsync<Outcome<T>>(c =>
        {
            // The single writer runs one key operation at a time.
            if (!plan(ReadKeys(c)).IsOk(out var decided, out var error))
            {
                return error;
            }

            foreach (var (sql, args) in KeySql.Statements(decided.Changes))
            {
                Exec(c, sql, [.. args.Select(a => ("@" + a.Name, a.Value))]);
            }

            if (change is not null)
            {
                Audit(c, change, null, null, null, target: decided.Changes.AuditTarget);
            }

            return decided.Result;
        }, ct);

    public Task<int> ReencryptBatchAsync(int batchSize, CancellationToken ct) =>
        WriteAsync(c =>
        {
            var current = _cipher.CurrentKeyId;
            var rows = Query(c, """
                SELECT cs.secret_id, cs.client_id, c.service_id, cs.key_id, cs.ciphertext
                FROM client_secrets cs JOIN clients c ON c.client_id = cs.client_id
                WHERE cs.key_id <> $k AND length(cs.ciphertext) > 0 LIMIT $n
                """, [("$k", current), ("$n", batchSize)],
                r => (SecretId: r.GetInt64(0), ClientId: r.GetInt64(1), ServiceId: r.GetInt64(2), KeyId: r.GetString(3), Ciphertext: (byte[])r.GetValue(4)));
            foreach (var row in rows)
            {
                var aad = SecretCipher.AssociatedData(row.ServiceId, row.ClientId, row.SecretId);
                var resealed = _cipher.Seal(_cipher.Open(row.KeyId, row.Ciphertext, aad), aad);
                Exec(c, "UPDATE client_secrets SET key_id = $k, ciphertext = $ct, digest = $dg WHERE secret_id = $id",
                    ("$k", resealed.KeyId), ("$ct", resealed.Ciphertext), ("$dg", resealed.Digest), ("$id", row.SecretId));
            }

            var keys = Query(c, "SELECT key_id, service_id, data_key_id, ciphertext FROM signing_keys WHERE data_key_id <> $k LIMIT $n",
                [("$k", current), ("$n", batchSize - rows.Count)],
                r => (KeyId: r.GetString(0), ServiceId: r.GetInt64(1), DataKeyId: r.GetString(2), Ciphertext: (byte[])r.GetValue(3)));
            foreach (var key in keys)
            {
                var aad = SecretCipher.SigningKeyAssociatedData(key.ServiceId, key.KeyId);
                var resealed = _cipher.Seal(_cipher.Open(key.DataKeyId, key.Ciphertext, aad), aad);
                Exec(c, "UPDATE signing_keys SET data_key_id = $k, ciphertext = $ct WHERE key_id = $id", ("$k", resealed.KeyId), ("$ct", resealed.Ciphertext), ("$id", key.KeyId));
            }

            return rows.Count + keys.Count;
        }, ct);

    public Task<IReadOnlyList<DataKeyUsage>> ListDataKeysAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<DataKeyUsage>>(c => Query(c, """
            SELECT k.key_id, k.created_at,
                   (SELECT COUNT(*) FROM client_secrets cs WHERE cs.key_id = k.key_id AND length(cs.ciphertext) > 0) + (SELECT COUNT(*) FROM signing_keys sk WHERE sk.data_key_id = k.key_id)
            FROM data_keys k ORDER BY k.created_at DESC, k.key_id DESC
            """, [], r => new DataKeyUsage(r.GetString(0), r.GetInt64(1), r.GetInt64(2))), ct);

    // ---- ADO.NET helpers ----------------------------------------------------------------------------

    private static long? NullableLong(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static long NewUniqueId(SqliteConnection c, string countSql)
    {
        while (true)
        {
            var id = SecretGenerator.NewId();
            if (Scalar(c, countSql, [("$id", id)]) == 0)
            {
                return id;
            }
        }
    }

    // Prepared commands of the store's own connections, by SQL text. Preparing (parsing) every statement anew was a
    // quarter of the writer's CPU and most of SQLite's share of a token request in the profiles (bench/README.md). Each
    // connection is used by one caller at a time (the writer loop; a read that took it from the pool), so its commands
    // can be kept and re-bound. A connection not in this table (none today) gets fresh commands.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Prepared = new();

    private static SqliteCommand Command(SqliteConnection c, string sql, IEnumerable<(string Name, object? Value)> args, out bool owned)
    {
        SqliteCommand? command = null;
        owned = !Prepared.TryGetValue(c, out var cache);
        if (cache is not null && !cache.TryGetValue(sql, out command))
        {
            command = c.CreateCommand();
            command.CommandText = sql;
            cache[sql] = command;
        }

        command ??= c.CreateCommand();
        command.CommandText = sql;
        command.Parameters.Clear();
        foreach (var (name, value) in args)
        {
            if (sql.Contains(name, StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }
        }

        return command;
    }

    private static int Exec(SqliteConnection c, string sql, params (string Name, object? Value)[] args)
    {
        var command = Command(c, sql, args, out var owned);
        try
        {
            return command.ExecuteNonQuery();
        }
        finally
        {
            if (owned)
            {
                command.Dispose();
            }
        }
    }

    private static long Scalar(SqliteConnection c, string sql, (string Name, object? Value)[] args)
    {
        var command = Command(c, sql, args, out var owned);
        try
        {
            return Convert.ToInt64(command.ExecuteScalar() ?? 0L, CultureInfo.InvariantCulture);
        }
        finally
        {
            if (owned)
            {
                command.Dispose();
            }
        }
    }

    private static List<T> Query<T>(SqliteConnection c, string sql, (string Name, object? Value)[] args, Func<SqliteDataReader, T> map)
    {
        var command = Command(c, sql, args, out var owned);
        using var cleanup = owned ? command : null;
        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(map(reader));
        }

        return list;
    }

    public void Dispose()
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
    }
}
