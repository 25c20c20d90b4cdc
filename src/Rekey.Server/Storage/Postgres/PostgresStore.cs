using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Rekey.Contracts;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage.Postgres;

/// <summary>
/// The shared store: any number of stateless Rekey nodes on one PostgreSQL database. Nothing is cached but the data
/// keys, so every read sees what any node committed. Writers are serialised per client by a row lock
/// (<c>SELECT … FOR UPDATE</c> on the client row, inside a READ COMMITTED transaction): concurrent secret updates
/// through different nodes queue on that lock and form one chain. Every change, audit event included, is one
/// transaction. Same semantics, result codes and audit events as <see cref="Sqlite.SqliteStore"/>.
/// </summary>
internal sealed partial class PostgresStore : IRekeyStore, IDisposable, IAsyncDisposable
{
    /// <summary>Advisory lock (per database) held while migrating and while adding a data key: one node at a time.</summary>
    internal const long SchemaLockKey = 0x52454B45_59000001; // "REKEY", 1

    /// <summary>How long <see cref="PingAsync"/> waits before it calls the database unavailable.</summary>
    internal static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    private readonly NpgsqlDataSource _dataSource;
    private readonly SecretCipher _cipher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public PostgresStore(string connectionString, SecretCipher cipher, ILogger<PostgresStore>? logger = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
        {
            builder.ConnectionStringBuilder.ApplicationName = "rekey";
        }

        // Every statement of the store is one of a few dozen fixed texts, run over and over: let Npgsql prepare them
        // on each pooled connection (off by default) unless the operator chose otherwise in the connection string.
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.Contains("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        // A pooled connection is reset when it is returned (RESET ALL, DISCARD … : seven statements run with the next
        // unit of work, once per unit). The store leaves no session state to reset (no SET, LISTEN, cursors, temporary
        // tables or session advisory locks; an open transaction is still rolled back), so it skips that unless the
        // operator chose otherwise in the connection string.
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.Contains("NoResetOnClose", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        _dataSource = builder.Build();
        _cipher = cipher;
        _logger = logger ?? NullLogger<PostgresStore>.Instance;
    }

    // ---- schema -------------------------------------------------------------------------------------

    public Task MigrateAsync(CancellationToken ct) =>
        // Nodes starting together queue on the advisory lock: the first applies the migrations, the others then find
        // them applied. DDL is transactional in PostgreSQL: a failed migration leaves nothing.
        WriteAsync(async (c, unit, ct) =>
        {
            await ExecAsync(c, "SELECT pg_advisory_xact_lock(@k)", ct, Long("k", SchemaLockKey));
            await ExecAsync(c, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)", ct);
            var applied = await QueryAsync(c, "SELECT version FROM schema_migrations", [], r => r.GetInt32(0), ct);
            foreach (var (version, sql) in Migrations.Pending("postgres", applied))
            {
                await ExecAsync(c, sql, ct);
                await ExecAsync(c, "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t)", ct,
                    Int("v", version), Long("t", _time.GetUtcNow().ToUnixTimeMilliseconds()));
            }

            return true;
        }, ct);

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PingTimeout);
        try
        {
            return await ReadAsync(async (c, t) => await ScalarAsync(c, "SELECT EXISTS (SELECT 1 FROM schema_migrations)", [], t) > 0, timeout.Token);
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

    // ---- audit ----------------------------------------------------------------------------------------

    /// <summary>The audit event of a change, carrying the unit's commit key (see <see cref="Unit"/>).</summary>
    private static Sql Audit(Unit unit, ChangeContext change, long? serviceId, long? clientId, long? secretId, string outcome = "success", string? target = null)
    {
        unit.Audited = true;
        return new("""
            INSERT INTO audit_events (occurred_at, actor_kind, actor_token_id, remote_address, request_id, service_id, client_id, action, secret_id, outcome, target, commit_key)
            VALUES (@at, @kind, @token, @addr, @req, @s, @c, @action, @secret, @outcome, @target, @commit_key)
            """,
            [Uuid("commit_key", unit.CommitKey), Long("at", change.At), Text("kind", change.ActorKind), Long("token", change.ActorTokenId), Text("addr", NoNul(change.RemoteAddress)),
             Text("req", NoNul(change.RequestId)), Long("s", serviceId), Long("c", clientId), Text("action", change.Action), Long("secret", secretId),
             Text("outcome", outcome), Text("target", NoNul(target))]);
    }

    private static Task<int> AuditAsync(NpgsqlConnection c, Unit unit, ChangeContext change, long? serviceId, long? clientId, long? secretId, CancellationToken ct, string outcome = "success", string? target = null) =>
        ExecAsync(c, Audit(unit, change, serviceId, clientId, secretId, outcome, target), ct);

    public Task AppendAuditAsync(AuditRecord record, CancellationToken ct) =>
        WriteAsync(async (c, unit, ct) =>
        {
            await AuditAsync(c, unit, record.Change, record.ServiceId, record.ClientId, record.SecretId, ct, record.Outcome, record.Target);
            return true;
        }, ct);

    public Task<Page<AuditEvent>> ListAuditAsync(AuditQuery q, CancellationToken ct) =>
        ReadAsync(async (c, ct) =>
        {
            const string filter = "WHERE (@s IS NULL OR service_id = @s) AND (@c IS NULL OR client_id = @c) AND (@a IS NULL OR action = @a)";
            Arg[] args = [Long("s", q.ServiceId), Long("c", q.ClientId), Text("a", NoNul(q.Action))];
            var total = await ScalarAsync(c, "SELECT COUNT(*) FROM audit_events " + filter, args, ct);
            var items = await QueryAsync(c, $"""
                SELECT {Rows.AuditColumns}
                FROM audit_events {filter} ORDER BY event_id DESC LIMIT @limit OFFSET @offset
                """, [.. args, Int("limit", q.End - q.Start), Int("offset", q.Start)], Rows.AuditEvent, ct);
            return new Page<AuditEvent>(items, (int)total);
        }, ct);

    // ---- services -----------------------------------------------------------------------------------

    public Task<StoredService> CreateServiceAsync(ServiceContent content, ChangeContext change, CancellationToken ct) =>
        WriteAsync(async (c, unit, ct) =>
        {
            while (true)
            {
                // A random ID; ON CONFLICT makes a collision (even with a concurrent node) a retry, not an error.
                var id = SecretGenerator.NewId();
                var service = (await QueryAsync(c, $"""
                    INSERT INTO services (service_id, document, secret_grace_s, secret_lifetime_s, created_at, modified_at)
                    VALUES (@id, @doc, @grace, @life, @now, @now) ON CONFLICT (service_id) DO NOTHING RETURNING {Rows.ServiceColumns}
                    """,
                    [Long("id", id), Text("doc", content.Document), Long("grace", content.Settings.GracePeriodSeconds), Long("life", content.Settings.SecretLifetimeSeconds), Long("now", change.At)],
                    Rows.Service, ct)).SingleOrDefault();
                if (service is not null)
                {
                    await AuditAsync(c, unit, change, id, null, null, ct);
                    return service;
                }
            }
        }, ct);

    public Task<StoredService?> GetServiceAsync(long serviceId, CancellationToken ct) =>
        ReadAsync(async (c, ct) => (await QueryAsync(c, $"SELECT {Rows.ServiceColumns} FROM services WHERE service_id = @id", [Long("id", serviceId)], Rows.Service, ct)).SingleOrDefault(), ct);

    public Task<Page<StoredService>> ListServicesAsync(long? onlyServiceId, int start, int end, CancellationToken ct) =>
        ReadAsync(async (c, ct) =>
        {
            const string filter = " WHERE (@only IS NULL OR service_id = @only)";
            var total = await ScalarAsync(c, "SELECT COUNT(*) FROM services" + filter, [Long("only", onlyServiceId)], ct);
            var items = await QueryAsync(c, $"SELECT {Rows.ServiceColumns} FROM services{filter} ORDER BY number LIMIT @limit OFFSET @offset",
                [Long("only", onlyServiceId), Int("limit", end - start), Int("offset", start)], Rows.Service, ct);
            return new Page<StoredService>(items, (int)total);
        }, ct);

    public Task<Outcome<StoredService>> UpdateServiceAsync(long serviceId, Func<StoredService, Outcome<ServiceContent>> update, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<StoredService>>(async (c, unit, ct) =>
        {
            // The row lock keeps another node from changing the service between this read and the write.
            var stored = (await QueryAsync(c, $"SELECT {Rows.ServiceColumns} FROM services WHERE service_id = @id FOR UPDATE", [Long("id", serviceId)], Rows.Service, ct)).SingleOrDefault();
            if (stored is null)
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            if (!update(stored).IsOk(out var content, out var error))
            {
                return error;
            }

            var service = (await QueryAsync(c, $"""
                UPDATE services SET document = @doc, secret_grace_s = @grace, secret_lifetime_s = @life, modified_at = @now
                WHERE service_id = @id RETURNING {Rows.ServiceColumns}
                """,
                [Long("id", serviceId), Text("doc", content.Document), Long("grace", content.Settings.GracePeriodSeconds), Long("life", content.Settings.SecretLifetimeSeconds), Long("now", change.At)],
                Rows.Service, ct)).Single();
            await AuditAsync(c, unit, change, serviceId, null, null, ct);
            return service;
        }, ct);

    public Task<bool> DeleteServiceAsync(long serviceId, ChangeContext change, CancellationToken ct) =>
        WriteAsync(async (c, unit, ct) =>
        {
            var deleted = await ExecAsync(c, "DELETE FROM services WHERE service_id = @id", ct, Long("id", serviceId)) > 0;
            if (deleted)
            {
                await AuditAsync(c, unit, change, serviceId, null, null, ct);
            }

            return deleted;
        }, ct);

    // ---- clients ------------------------------------------------------------------------------------

    /// <summary>A client row as read, its current secret still sealed.</summary>
    private sealed record ClientRow(StoredClient Client, long? SecretId, string? KeyId, byte[]? Ciphertext, ServiceSettings Settings);

    private static ClientRow ReadClientRow(NpgsqlDataReader r) =>
        new(new StoredClient(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), NullableString(r, 4), NullableString(r, 5),
                r.GetBoolean(6), r.GetString(7), r.GetInt64(8), r.GetInt64(9), null, NullableLong(r, 13)),
            NullableLong(r, 10), NullableString(r, 11), r.IsDBNull(12) ? null : r.GetFieldValue<byte[]>(12), new ServiceSettings(r.GetInt64(14), r.GetInt64(15)));

    /// <summary>Opens the current secrets of <paramref name="rows"/> when asked for, reloading the data keys once if one is unknown here.</summary>
    private async Task<List<StoredClient>> PresentAsync(NpgsqlConnection c, IReadOnlyList<ClientRow> rows, bool withSecret, CancellationToken ct)
    {
        if (!withSecret)
        {
            return rows.Select(r => r.Client).ToList();
        }

        await EnsureKeysAsync(c, rows.Select(r => r.KeyId), ct);
        return rows.Select(r => r is { SecretId: { } secretId, KeyId: { } keyId, Ciphertext: { } ciphertext }
            ? r.Client with { CurrentSecret = _cipher.Open(keyId, ciphertext, SecretCipher.AssociatedData(r.Client.ServiceId, r.Client.ClientId, secretId)) }
            : r.Client).ToList();
    }

    /// <summary>Another node may have added a data key since this one last loaded them: reload, then let the cipher decide.</summary>
    private async Task EnsureKeysAsync(NpgsqlConnection c, IEnumerable<string?> keyIds, CancellationToken ct)
    {
        if (keyIds.Any(k => k is not null && !_cipher.Knows(k)))
        {
            _cipher.Load((await ReadKeysAsync(c, ct)).DataKeys);
        }
    }

    /// <summary>A client as found; <paramref name="NewestSecretAt"/> (the creation time of its newest secret) is read only with the row lock.</summary>
    private sealed record FoundClient(StoredClient Client, long? SecretId, ServiceSettings Settings, long NewestSecretAt = 0);

    /// <summary>The parameters that find a client by identifier: its service, the identifier read as a numeric ID (or -1), and as an alias.</summary>
    private static Arg[] ClientKey(long serviceId, string identifier)
    {
        var numeric = long.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        return [Long("s", serviceId), Long("n", numeric), Text("a", AliasOrNull(identifier))];
    }

    /// <summary>The client of <see cref="ClientKey"/> in <see cref="Rows.ClientSelect"/>: a numeric ID wins over an equal alias of another client.</summary>
    private const string ClientByKey = " WHERE c.service_id = @s AND (c.client_id = @n OR c.alias = @a) ORDER BY c.client_id = @n DESC LIMIT 1";

    private const string LockClientByKey = """
        SELECT client_id FROM clients WHERE service_id = @s AND (client_id = @n OR alias = @a)
        ORDER BY client_id = @n DESC LIMIT 1 FOR UPDATE
        """;

    /// <summary>A locked client as a change reads it: the client (<see cref="ReadClientRow"/>) and the creation time of the client's newest secret.</summary>
    private static string LockedClientSelect(string where) => $"""
        SELECT k.*, (SELECT COALESCE(MAX(cs.created_at), 0) FROM client_secrets cs WHERE cs.client_id = k.client_id)
        FROM ({Rows.ClientSelect}{where}) k
        """;

    private static readonly string LockedClientByKey = LockedClientSelect(ClientByKey);

    private static (ClientRow Row, long NewestSecretAt) ReadLockedClientRow(NpgsqlDataReader r) => (ReadClientRow(r), r.GetInt64(16));

    /// <summary>Finds a client by numeric ID or alias, without a lock.</summary>
    private async Task<Outcome<FoundClient>> FindClientAsync(NpgsqlConnection c, long serviceId, string identifier, bool withSecret, CancellationToken ct)
    {
        var rows = await QueryAsync(c, Rows.ClientSelect + ClientByKey, ClientKey(serviceId, identifier), ReadClientRow, ct);
        if (rows.Count == 0)
        {
            return await ClientNotFoundAsync(c, serviceId, identifier, ct);
        }

        return new FoundClient((await PresentAsync(c, rows, withSecret, ct))[0], rows[0].SecretId, rows[0].Settings);
    }

    /// <summary>
    /// Finds a client by numeric ID or alias and locks its row, in one round trip: the first statement takes the unit's
    /// advisory lock (so that a COMMIT sent in the next round trip can be resolved if its connection is lost), the second
    /// the row lock, the third reads the row. Under READ COMMITTED a statement that waited for a lock still sees the other
    /// tables as of its start, so only a statement that begins after the lock was granted sees the secret the previous
    /// lock holder committed. Concurrent changes of one client, on any node, queue on that lock.
    /// </summary>
    private async Task<Outcome<FoundClient>> LockClientAsync(NpgsqlConnection c, Unit unit, long serviceId, string identifier, bool withSecret, CancellationToken ct)
    {
        var key = ClientKey(serviceId, identifier);
        List<long> locked;
        List<(ClientRow Row, long NewestSecretAt)> rows;
        await using (var batch = Batch(c, [unit.TakeLock(), new Sql(LockClientByKey, key), new Sql(LockedClientByKey, key)]))
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            await reader.NextResultAsync(ct);
            unit.Locked = true;
            locked = await RowsAsync(reader, r => r.GetInt64(0), ct);
            await reader.NextResultAsync(ct);
            rows = await RowsAsync(reader, ReadLockedClientRow, ct);
        }

        if (locked.Count == 0)
        {
            return await ClientNotFoundAsync(c, serviceId, identifier, ct);
        }

        if (rows.Count == 0 || rows[0].Row.Client.ClientId != locked[0])
        {
            // The identifier led to another client by the time of the read (one created with it as its ID meanwhile):
            // read the locked one.
            rows = await QueryAsync(c, LockedClientSelect(" WHERE c.client_id = @id"), [Long("id", locked[0])], ReadLockedClientRow, ct);
        }

        var (row, newestSecretAt) = rows[0];
        return new FoundClient((await PresentAsync(c, [row], withSecret, ct))[0], row.SecretId, row.Settings, newestSecretAt);
    }

    private static async Task<RuleViolation> ClientNotFoundAsync(NpgsqlConnection c, long serviceId, string identifier, CancellationToken ct) =>
        await ServiceExistsAsync(c, serviceId, ct) ? StoreRules.ClientNotFound(identifier, serviceId) : StoreRules.ServiceNotFound(serviceId);

    private async Task<Outcome<StoredClient>> FindClientDocumentAsync(NpgsqlConnection c, long serviceId, string identifier, bool withSecret, CancellationToken ct) =>
        (await FindClientAsync(c, serviceId, identifier, withSecret, ct)).IsOk(out var found, out var error) ? found.Client : error;

    private static async Task<bool> ServiceExistsAsync(NpgsqlConnection c, long serviceId, CancellationToken ct) =>
        await ScalarAsync(c, "SELECT EXISTS (SELECT 1 FROM services WHERE service_id = @s)", [Long("s", serviceId)], ct) > 0;

    /// <summary>An alias must be free in the service and must not equal another client's numeric ID.</summary>
    private static async Task<RuleViolation?> CheckAliasAsync(NpgsqlConnection c, long serviceId, long clientId, string? alias, CancellationToken ct)
    {
        if (alias is null)
        {
            return null;
        }

        if (await ScalarAsync(c, "SELECT EXISTS (SELECT 1 FROM clients WHERE service_id = @s AND alias = @a AND client_id <> @c)",
                [Long("s", serviceId), Text("a", AliasOrNull(alias)), Long("c", clientId)], ct) > 0)
        {
            return RuleViolation.Of(ResultCodes.ClientIdAliasInUse, alias);
        }

        if (long.TryParse(alias, NumberStyles.None, CultureInfo.InvariantCulture, out var asId) && asId != clientId &&
            await ScalarAsync(c, "SELECT EXISTS (SELECT 1 FROM clients WHERE service_id = @s AND client_id = @id)", [Long("s", serviceId), Long("id", asId)], ct) > 0)
        {
            return RuleViolation.Of(ResultCodes.ClientIdAliasIsClientId, alias);
        }

        return null;
    }

    public Task<Outcome<StoredClient>> CreateClientAsync(NewClient client, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<StoredClient>>(async (c, unit, ct) =>
        {
            // KEY SHARE keeps the service from being deleted until this transaction ends (the foreign key would fail).
            var lifetime = await QueryAsync(c, "SELECT secret_lifetime_s FROM services WHERE service_id = @s FOR KEY SHARE", [Long("s", client.ServiceId)], r => r.GetInt64(0), ct);
            if (lifetime.Count == 0)
            {
                return StoreRules.ServiceNotFound(client.ServiceId);
            }

            try
            {
                while (true)
                {
                    // A new ID may equal neither an existing ID nor any alias (aliases and IDs share one namespace).
                    var clientId = SecretGenerator.NewId();
                    if (await ScalarAsync(c, "SELECT EXISTS (SELECT 1 FROM clients WHERE client_id = @id OR alias = @text)",
                            [Long("id", clientId), Text("text", clientId.ToString(CultureInfo.InvariantCulture))], ct) > 0)
                    {
                        continue;
                    }

                    if (await CheckAliasAsync(c, client.ServiceId, clientId, client.Alias, ct) is { } aliasError)
                    {
                        return aliasError;
                    }

                    var inserted = await ExecAsync(c, """
                        INSERT INTO clients (client_id, service_id, alias, developer, locked, document, created_at, modified_at)
                        VALUES (@c, @s, @a, @d, @l, @doc, @now, @now) ON CONFLICT (client_id) DO NOTHING
                        """, ct,
                        Long("c", clientId), Long("s", client.ServiceId), Text("a", client.Alias), Text("d", client.Developer),
                        Bool("l", client.Locked), Text("doc", client.Document), Long("now", change.At));
                    if (inserted == 0)
                    {
                        continue;
                    }

                    var (insertSecret, secretId) = NewCurrentSecret(client.ServiceId, clientId, client.Secret, change.At, SecretPolicy.ExpiresAt(change.At, lifetime[0]));
                    await ExecAsync(c, insertSecret, ct);
                    await AuditAsync(c, unit, change, client.ServiceId, clientId, secretId, ct);
                    return await FindClientDocumentAsync(c, client.ServiceId, clientId.ToString(CultureInfo.InvariantCulture), withSecret: true, ct);
                }
            }
            catch (PostgresException ex) when (PostgresErrors.IsAliasTaken(ex) && client.Alias is not null)
            {
                // Another node took the alias between the check and the insert: same answer as if it had been first.
                return RuleViolation.Of(ResultCodes.ClientIdAliasInUse, client.Alias);
            }
        }, ct);

    public Task<Outcome<StoredClient>> GetClientAsync(long serviceId, string identifier, bool withSecret, CancellationToken ct) =>
        ReadAsync((c, ct) => FindClientDocumentAsync(c, serviceId, identifier, withSecret, ct), ct);

    public Task<Outcome<Page<StoredClient>>> ListClientsAsync(long serviceId, string? developer, int start, int end, bool withSecret, CancellationToken ct) =>
        ReadAsync<Outcome<Page<StoredClient>>>(async (c, ct) =>
        {
            if (!await ServiceExistsAsync(c, serviceId, ct))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            if (developer is not null && developer.Contains('\0', StringComparison.Ordinal))
            {
                // PostgreSQL text cannot hold NUL, so no stored developer equals this one.
                return new Page<StoredClient>([], 0);
            }

            const string filter = "c.service_id = @s AND (@d IS NULL OR c.developer = @d)";
            var total = await ScalarAsync(c, "SELECT COUNT(*) FROM clients c WHERE " + filter, [Long("s", serviceId), Text("d", developer)], ct);
            var rows = await QueryAsync(c, Rows.ClientSelect + " WHERE " + filter + " ORDER BY c.number LIMIT @limit OFFSET @offset",
                [Long("s", serviceId), Text("d", developer), Int("limit", end - start), Int("offset", start)], ReadClientRow, ct);
            return new Page<StoredClient>(await PresentAsync(c, rows, withSecret, ct), (int)total);
        }, ct);

    public Task<Outcome<StoredClient>> UpdateClientAsync(ClientUpdate update, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<StoredClient>>(async (c, unit, ct) =>
        {
            var id = update.ClientId.ToString(CultureInfo.InvariantCulture);
            if (!(await LockClientAsync(c, unit, update.ServiceId, id, withSecret: false, ct)).IsOk(out _, out var error))
            {
                return error;
            }

            if (await CheckAliasAsync(c, update.ServiceId, update.ClientId, update.Alias, ct) is { } aliasError)
            {
                return aliasError;
            }

            try
            {
                await ExecAsync(c, "UPDATE clients SET alias = @a, developer = @d, document = @doc, modified_at = @now WHERE client_id = @c", ct,
                    Text("a", update.Alias), Text("d", update.Developer), Text("doc", update.Document), Long("now", change.At), Long("c", update.ClientId));
            }
            catch (PostgresException ex) when (PostgresErrors.IsAliasTaken(ex) && update.Alias is not null)
            {
                return RuleViolation.Of(ResultCodes.ClientIdAliasInUse, update.Alias);
            }

            await AuditAsync(c, unit, change, update.ServiceId, update.ClientId, null, ct);
            return await FindClientDocumentAsync(c, update.ServiceId, id, withSecret: true, ct);
        }, ct);

    public Task<Outcome<long>> DeleteClientAsync(long serviceId, string identifier, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<long>>(async (c, unit, ct) =>
        {
            if (!(await LockClientAsync(c, unit, serviceId, identifier, withSecret: false, ct)).IsOk(out var found, out var error))
            {
                return error;
            }

            await ExecAsync(c, "DELETE FROM clients WHERE client_id = @c", ct, Long("c", found.Client.ClientId));
            await AuditAsync(c, unit, change, serviceId, found.Client.ClientId, null, ct);
            return found.Client.ClientId;
        }, ct);

    public Task<Outcome<long>> SetClientLockAsync(long serviceId, string identifier, bool locked, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<long>>(async (c, unit, ct) =>
        {
            if (!(await LockClientAsync(c, unit, serviceId, identifier, withSecret: false, ct)).IsOk(out var found, out var error))
            {
                return error;
            }

            await ExecAsync(c, "UPDATE clients SET locked = @l, modified_at = @now WHERE client_id = @c", ct,
                Bool("l", locked), Long("now", change.At), Long("c", found.Client.ClientId));
            await AuditAsync(c, unit, change, serviceId, found.Client.ClientId, null, ct);
            return found.Client.ClientId;
        }, ct);

    // ---- secrets ------------------------------------------------------------------------------------

    /// <summary>
    /// A client's new current secret. The ID is part of the associated data, so it is drawn before sealing. An ID that
    /// is taken fails the INSERT and the unit of work runs again, drawing a new one (<see cref="PostgresErrors.IsConflict"/>).
    /// </summary>
    private (Sql Insert, long SecretId) NewCurrentSecret(long serviceId, long clientId, string secret, long createdAt, long? expiresAt)
    {
        var secretId = SecretGenerator.NewId();
        var sealedSecret = _cipher.Seal(secret, SecretCipher.AssociatedData(serviceId, clientId, secretId));
        return (new Sql("""
            INSERT INTO client_secrets (secret_id, client_id, state, created_at, expires_at, hint, key_id, ciphertext, digest)
            VALUES (@id, @c, 0, @now, @exp, @hint, @k, @ct, @dg)
            """,
            [Long("id", secretId), Long("c", clientId), Long("now", createdAt), Long("exp", expiresAt), Text("hint", SecretPolicy.Hint(secret)),
             Text("k", sealedSecret.KeyId), Bytes("ct", sealedSecret.Ciphertext), Bytes("dg", sealedSecret.Digest)]), secretId);
    }

    public Task<Outcome<SecretRotation>> RotateSecretAsync(SecretRotationRequest request, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<SecretRotation>>(async (c, unit, ct) =>
        {
            // The client row lock serialises rotations of one client across every node: the next one reads the secret
            // this one writes, so concurrent rotations form a chain. Two round trips: BEGIN, the lock and the read; then
            // every write, the audit event and COMMIT.
            if (!(await LockClientAsync(c, unit, request.ServiceId, request.Identifier, withSecret: true, ct)).IsOk(out var found, out var error))
            {
                return error;
            }

            var now = change.At;
            var clientId = found.Client.ClientId;
            var grace = request.GracePeriodSeconds ?? found.Settings.GracePeriodSeconds;
            Sql[] demote = grace > 0
                ?
                [
                    new("UPDATE client_secrets SET state = 1, valid_until = @until, ciphertext = ''::bytea WHERE client_id = @c AND state = 0",
                        [Long("until", now + (grace * 1000)), Long("c", clientId)]),
                    new("""
                        UPDATE client_secrets SET state = 2, revoked_at = @now, ciphertext = ''::bytea, digest = ''::bytea, hint = NULL WHERE secret_id IN
                          (SELECT secret_id FROM client_secrets WHERE client_id = @c AND state = 1 AND valid_until > @now
                           ORDER BY created_at DESC, secret_id DESC OFFSET @max)
                        """, [Long("now", now), Long("c", clientId), Int("max", SecretPolicy.MaxValidPrevious)]),
                ]
                :
                [
                    new("UPDATE client_secrets SET state = 2, revoked_at = @now, ciphertext = ''::bytea, digest = ''::bytea, hint = NULL WHERE client_id = @c AND state = 0",
                        [Long("now", now), Long("c", clientId)]),
                ];
            var (insert, newSecretId) = NewCurrentSecret(request.ServiceId, clientId, request.NewSecret, SecretPolicy.CreatedAt(now, found.NewestSecretAt),
                SecretPolicy.ExpiresAt(now, found.Settings.SecretLifetimeSeconds));
            await CommitWithAsync(c, unit,
            [
                .. demote,
                insert,
                new("UPDATE clients SET modified_at = @now WHERE client_id = @c", [Long("now", now), Long("c", clientId)]),
                new("""
                    DELETE FROM client_secrets WHERE client_id = @c AND state <> 0 AND NOT (state = 1 AND valid_until > @now) AND secret_id NOT IN
                      (SELECT secret_id FROM client_secrets WHERE client_id = @c AND state <> 0 ORDER BY created_at DESC, secret_id DESC LIMIT @keep)
                    """, [Long("c", clientId), Long("now", now), Int("keep", SecretPolicy.KeptPerClient)]),
                Audit(unit, change, request.ServiceId, clientId, newSecretId),
            ], ct);
            return new SecretRotation(clientId, newSecretId, found.Client.CurrentSecret, request.NewSecret);
        }, ct);

    public Task<Outcome<ClientSecrets>> ListSecretsAsync(long serviceId, string identifier, CancellationToken ct) =>
        ReadAsync<Outcome<ClientSecrets>>(async (c, ct) =>
        {
            if (!(await FindClientAsync(c, serviceId, identifier, withSecret: false, ct)).IsOk(out var found, out var error))
            {
                return error;
            }

            var secrets = await QueryAsync(c, $"""
                SELECT {Rows.SecretColumns}
                FROM client_secrets WHERE client_id = @c ORDER BY created_at DESC, secret_id DESC
                """, [Long("c", found.Client.ClientId)],
                Rows.Secret, ct);
            return new ClientSecrets(found.Client.ClientId, secrets);
        }, ct);

    public Task<Outcome<long>> RevokeSecretAsync(long serviceId, string identifier, long secretId, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<long>>(async (c, unit, ct) =>
        {
            if (!(await LockClientAsync(c, unit, serviceId, identifier, withSecret: false, ct)).IsOk(out var found, out var error))
            {
                return error;
            }

            var clientId = found.Client.ClientId;
            var state = await QueryAsync(c, "SELECT state FROM client_secrets WHERE secret_id = @id AND client_id = @c", [Long("id", secretId), Long("c", clientId)], r => (int)r.GetInt16(0), ct);
            if (state.Count == 0)
            {
                return RuleViolation.Of(ResultCodes.SecretNotFound, secretId, clientId);
            }

            if (state[0] == SecretPolicy.StateCurrent)
            {
                return RuleViolation.Of(ResultCodes.CannotRevokeCurrentSecret, secretId);
            }

            await ExecAsync(c, "UPDATE client_secrets SET state = 2, revoked_at = COALESCE(revoked_at, @now), ciphertext = ''::bytea, digest = ''::bytea, hint = NULL WHERE secret_id = @id", ct, Long("now", change.At), Long("id", secretId));
            await AuditAsync(c, unit, change, serviceId, clientId, secretId, ct);
            return clientId;
        }, ct);

    public Task<Outcome<ClientCredentials>> FindCredentialsAsync(long serviceId, string identifier, CancellationToken ct) =>
        ReadAsync<Outcome<ClientCredentials>>(async (c, ct) =>
        {
            var numeric = long.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
            var rows = await QueryAsync(c, """
                SELECT c.client_id, c.alias, c.locked, c.document, cs.secret_id, cs.key_id, cs.digest, cs.state, cs.expires_at, cs.valid_until
                FROM clients c LEFT JOIN client_secrets cs ON cs.client_id = c.client_id AND cs.state < 2
                WHERE c.client_id = (SELECT client_id FROM clients WHERE service_id = @s AND (client_id = @n OR alias = @a) ORDER BY client_id = @n DESC LIMIT 1)
                """, [Long("s", serviceId), Long("n", numeric), Text("a", AliasOrNull(identifier))],
                r => (Client: (Id: r.GetInt64(0), Alias: NullableString(r, 1), Locked: r.GetBoolean(2), Document: r.GetString(3)),
                      Secret: r.IsDBNull(4) ? null : new SecretCandidate(r.GetInt64(4), r.GetString(5), r.GetFieldValue<byte[]>(6), r.GetInt16(7), NullableLong(r, 8), NullableLong(r, 9))), ct);
            if (rows.Count == 0)
            {
                return StoreRules.ClientNotFound(identifier, serviceId);
            }

            var secrets = rows.Select(r => r.Secret).OfType<SecretCandidate>().ToList();
            await EnsureKeysAsync(c, secrets.Select(s => s.KeyId), ct);
            var client = rows[0].Client;
            return new ClientCredentials(serviceId, client.Id, client.Alias, client.Locked, client.Document, secrets);
        }, ct);

    public Task RecordSecretUseAsync(IReadOnlyCollection<KeyValuePair<long, long>> uses, CancellationToken ct) =>
        WriteAsync(async (c, unit, ct) =>
        {
            var ordered = uses.OrderBy(u => u.Key).ToArray();
            var ids = ordered.Select(u => u.Key).ToArray();
            // Rows locked in one order on every node: two nodes flushing overlapping batches cannot deadlock.
            await ExecAsync(c, "SELECT 1 FROM client_secrets WHERE secret_id = ANY(@ids) ORDER BY secret_id FOR NO KEY UPDATE", ct, Longs("ids", ids));
            await ExecAsync(c, """
                UPDATE client_secrets cs SET last_used_at = GREATEST(COALESCE(cs.last_used_at, 0), u.at)
                FROM unnest(@ids, @ats) AS u(id, at) WHERE cs.secret_id = u.id
                """, ct, Longs("ids", ids), Longs("ats", ordered.Select(u => u.Value).ToArray()));
            return true;
        }, ct);

    // ---- API tokens ---------------------------------------------------------------------------------

    public Task<StoredApiToken> CreateApiTokenAsync(long serviceId, IReadOnlyList<string> permissions, string? description, byte[] tokenHash, ChangeContext change, CancellationToken ct) =>
        WriteAsync(async (c, unit, ct) =>
        {
            while (true)
            {
                var id = SecretGenerator.NewId();
                var token = (await QueryAsync(c, $"""
                    INSERT INTO api_tokens (token_id, service_id, token_hash, permissions, description, created_at)
                    VALUES (@id, @s, @h, @p, @d, @now) ON CONFLICT (token_id) DO NOTHING RETURNING {Rows.ApiTokenColumns}
                    """,
                    [Long("id", id), Long("s", serviceId), Bytes("h", tokenHash), Text("p", string.Join(' ', permissions)), Text("d", description), Long("now", change.At)],
                    Rows.ApiToken, ct)).SingleOrDefault();
                if (token is not null)
                {
                    await AuditAsync(c, unit, change, serviceId, null, null, ct, target: id.ToString(CultureInfo.InvariantCulture));
                    return token;
                }
            }
        }, ct);

    public Task<StoredApiToken?> FindApiTokenAsync(byte[] tokenHash, CancellationToken ct) =>
        ReadAsync(async (c, ct) => (await QueryAsync(c, $"SELECT {Rows.ApiTokenColumns} FROM api_tokens WHERE token_hash = @h", [Bytes("h", tokenHash)], Rows.ApiToken, ct)).SingleOrDefault(), ct);

    public Task<Page<StoredApiToken>> ListApiTokensAsync(int start, int end, CancellationToken ct) =>
        ReadAsync(async (c, ct) =>
        {
            var total = await ScalarAsync(c, "SELECT COUNT(*) FROM api_tokens", [], ct);
            var items = await QueryAsync(c, $"SELECT {Rows.ApiTokenColumns} FROM api_tokens ORDER BY created_at, token_id LIMIT @limit OFFSET @offset",
                [Int("limit", end - start), Int("offset", start)], Rows.ApiToken, ct);
            return new Page<StoredApiToken>(items, (int)total);
        }, ct);

    public Task<bool> DeleteApiTokenAsync(long tokenId, ChangeContext change, CancellationToken ct) =>
        WriteAsync(async (c, unit, ct) =>
        {
            var serviceId = await QueryAsync(c, "DELETE FROM api_tokens WHERE token_id = @id RETURNING service_id", [Long("id", tokenId)], r => r.GetInt64(0), ct);
            if (serviceId.Count > 0)
            {
                await AuditAsync(c, unit, change, serviceId[0], null, null, ct, target: tokenId.ToString(CultureInfo.InvariantCulture));
            }

            return serviceId.Count > 0;
        }, ct);

    // ---- signing keys -------------------------------------------------------------------------------

    private async Task<List<StoredSigningKey>> LoadSigningKeysAsync(NpgsqlConnection c, long serviceId, CancellationToken ct)
    {
        var rows = await QueryAsync(c, """
            SELECT key_id, created_at, public_jwk, data_key_id, ciphertext FROM signing_keys
            WHERE service_id = @s ORDER BY created_at DESC, key_id DESC
            """, [Long("s", serviceId)],
            r => (KeyId: r.GetString(0), CreatedAt: r.GetInt64(1), Jwk: r.GetString(2), DataKeyId: r.GetString(3), Ciphertext: r.GetFieldValue<byte[]>(4)), ct);
        await EnsureKeysAsync(c, rows.Select(r => (string?)r.DataKeyId), ct);
        return rows.Select(r => new StoredSigningKey(r.KeyId, serviceId, r.CreatedAt, r.Jwk,
            Convert.FromBase64String(_cipher.Open(r.DataKeyId, r.Ciphertext, SecretCipher.SigningKeyAssociatedData(serviceId, r.KeyId))))).ToList();
    }

    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(long serviceId, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<StoredSigningKey>>(async (c, ct) => await LoadSigningKeysAsync(c, serviceId, ct), ct);

    public Task<Outcome<StoredSigningKey>> AddSigningKeyAsync(long serviceId, NewSigningKey key, ChangeContext change, CancellationToken ct) =>
        WriteAsync<Outcome<StoredSigningKey>>(async (c, unit, ct) =>
        {
            // The service row lock orders concurrent additions (two nodes creating the first key on demand).
            if (await ScalarAsync(c, "SELECT COUNT(*) FROM (SELECT 1 FROM services WHERE service_id = @s FOR UPDATE) x", [Long("s", serviceId)], ct) == 0)
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var newest = await ScalarAsync(c, "SELECT COALESCE(MAX(created_at), 0) FROM signing_keys WHERE service_id = @s", [Long("s", serviceId)], ct);
            var sealedKey = _cipher.Seal(Convert.ToBase64String(key.PrivateKey), SecretCipher.SigningKeyAssociatedData(serviceId, key.KeyId));
            await ExecAsync(c, """
                INSERT INTO signing_keys (key_id, service_id, created_at, public_jwk, data_key_id, ciphertext)
                VALUES (@k, @s, @t, @jwk, @dk, @ct)
                """, ct, Text("k", key.KeyId), Long("s", serviceId), Long("t", Math.Max(change.At, newest + 1)), Text("jwk", key.PublicJwk),
                Text("dk", sealedKey.KeyId), Bytes("ct", sealedKey.Ciphertext));
            await ExecAsync(c, """
                DELETE FROM signing_keys WHERE service_id = @s AND key_id NOT IN
                  (SELECT key_id FROM signing_keys WHERE service_id = @s ORDER BY created_at DESC, key_id DESC LIMIT @keep)
                """, ct, Long("s", serviceId), Int("keep", IRekeyStore.SigningKeysKept));
            await AuditAsync(c, unit, change, serviceId, null, null, ct, target: key.KeyId);
            return (await LoadSigningKeysAsync(c, serviceId, ct)).First(k => k.KeyId == key.KeyId);
        }, ct);

    // ---- keys ---------------------------------------------------------------------------------------

    private static async Task<KeyState> ReadKeysAsync(NpgsqlConnection c, CancellationToken ct) =>
        KeySql.Assemble(await QueryAsync(c, KeySql.MasterKeys, [], KeySql.MasterKey, ct), await QueryAsync(c, KeySql.DataKeys, [], KeySql.DataKey, ct),
            await QueryAsync(c, KeySql.Wraps, [], KeySql.Wrap, ct));

    public Task<KeyState> ReadKeysAsync(CancellationToken ct) => ReadAsync(ReadKeysAsync, ct);

    public Task<Outcome<T>> ChangeKeysAsync<T>(Func<KeyState, Outcome<KeyPlan<T>>> plan, ChangeContext? change, CancellationToken ct) =>
        WriteAsync<Outcome<T>>(async (c, unit, ct) =>
        {
            // One key operation at a time across every node: the plan decides on what it read, nobody writes in between.
            await ExecAsync(c, "SELECT pg_advisory_xact_lock(@k)", ct, Long("k", SchemaLockKey));
            if (!plan(await ReadKeysAsync(c, ct)).IsOk(out var decided, out var error))
            {
                return error;
            }

            foreach (var (sql, args) in KeySql.Statements(decided.Changes))
            {
                await ExecAsync(c, sql, ct, [.. args.Select(Typed)]);
            }

            if (change is not null)
            {
                await AuditAsync(c, unit, change, null, null, null, ct, target: decided.Changes.AuditTarget);
            }

            return decided.Result;
        }, ct);

    /// <summary>A parameter of a statement shared with SQLite.</summary>
    private static Arg Typed(SqlArg arg) => new(arg.Name, arg.Type switch
    {
        System.Data.DbType.String => NpgsqlTypes.NpgsqlDbType.Text,
        System.Data.DbType.Int64 => NpgsqlTypes.NpgsqlDbType.Bigint,
        System.Data.DbType.Binary => NpgsqlTypes.NpgsqlDbType.Bytea,
        var other => throw new ArgumentException($"No PostgreSQL type for {other}.", nameof(arg)),
    }, arg.Value);

    public Task<int> ReencryptBatchAsync(int batchSize, CancellationToken ct) =>
        WriteAsync(async (c, unit, ct) =>
        {
            // Re-encrypt towards the newest key in the database, not the newest this node happens to know: a node that
            // had not seen a new key yet would otherwise move values back to the old one.
            _cipher.Load((await ReadKeysAsync(c, ct)).DataKeys);
            var current = _cipher.CurrentKeyId;
            var rows = await QueryAsync(c, """
                SELECT cs.secret_id, cs.client_id, c.service_id, cs.key_id, cs.ciphertext
                FROM client_secrets cs JOIN clients c ON c.client_id = cs.client_id
                WHERE cs.key_id <> @k AND octet_length(cs.ciphertext) > 0 ORDER BY cs.secret_id LIMIT @n FOR UPDATE OF cs
                """, [Text("k", current), Int("n", batchSize)],
                r => (SecretId: r.GetInt64(0), ClientId: r.GetInt64(1), ServiceId: r.GetInt64(2), KeyId: r.GetString(3), Ciphertext: r.GetFieldValue<byte[]>(4)), ct);
            foreach (var row in rows)
            {
                var aad = SecretCipher.AssociatedData(row.ServiceId, row.ClientId, row.SecretId);
                var resealed = _cipher.Seal(_cipher.Open(row.KeyId, row.Ciphertext, aad), aad);
                await ExecAsync(c, "UPDATE client_secrets SET key_id = @k, ciphertext = @ct, digest = @dg WHERE secret_id = @id", ct,
                    Text("k", resealed.KeyId), Bytes("ct", resealed.Ciphertext), Bytes("dg", resealed.Digest), Long("id", row.SecretId));
            }

            var keys = await QueryAsync(c, """
                SELECT key_id, service_id, data_key_id, ciphertext FROM signing_keys
                WHERE data_key_id <> @k ORDER BY key_id LIMIT @n FOR UPDATE
                """, [Text("k", current), Int("n", batchSize - rows.Count)],
                r => (KeyId: r.GetString(0), ServiceId: r.GetInt64(1), DataKeyId: r.GetString(2), Ciphertext: r.GetFieldValue<byte[]>(3)), ct);
            foreach (var key in keys)
            {
                var aad = SecretCipher.SigningKeyAssociatedData(key.ServiceId, key.KeyId);
                var resealed = _cipher.Seal(_cipher.Open(key.DataKeyId, key.Ciphertext, aad), aad);
                await ExecAsync(c, "UPDATE signing_keys SET data_key_id = @k, ciphertext = @ct WHERE key_id = @id", ct,
                    Text("k", resealed.KeyId), Bytes("ct", resealed.Ciphertext), Text("id", key.KeyId));
            }

            return rows.Count + keys.Count;
        }, ct);

    public Task<IReadOnlyList<DataKeyUsage>> ListDataKeysAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<DataKeyUsage>>(async (c, ct) => await QueryAsync(c, """
            SELECT k.key_id, k.created_at,
                   (SELECT COUNT(*) FROM client_secrets cs WHERE cs.key_id = k.key_id AND octet_length(cs.ciphertext) > 0) + (SELECT COUNT(*) FROM signing_keys sk WHERE sk.data_key_id = k.key_id)
            FROM data_keys k ORDER BY k.created_at DESC, k.key_id DESC
            """, [], r => new DataKeyUsage(r.GetString(0), r.GetInt64(1), r.GetInt64(2)), ct), ct);

    // ---- text PostgreSQL cannot hold ----------------------------------------------------------------

    /// <summary>
    /// PostgreSQL text cannot contain NUL (SQLite's can). An identifier with a NUL can match no alias, so the alias
    /// half of the lookup is switched off (<c>alias = NULL</c> is never true) instead of failing the statement.
    /// </summary>
    private static string? AliasOrNull(string identifier) => identifier.Contains('\0', StringComparison.Ordinal) ? null : identifier;

    /// <summary>Audit fields echo what the caller sent; a NUL in them is shown as U+FFFD rather than failing the write.</summary>
    private static string? NoNul(string? value) => value?.Replace('\0', '\uFFFD');

    public void Dispose() => _dataSource.Dispose();

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
