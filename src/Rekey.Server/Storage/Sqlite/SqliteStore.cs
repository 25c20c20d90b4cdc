using System.Globalization;
using Microsoft.Data.Sqlite;
using Rekey.Contracts;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Reads use pooled connections and never wait for the writer;
/// writes go through <see cref="SqliteWriteQueue"/>, one thread, group commit.
/// </summary>
internal sealed class SqliteStore : IRekeyStore, IDisposable
{
    private const int SecretsKeptPerClient = 10;

    private readonly string _connectionString;
    private readonly string _synchronous;
    private readonly SecretCipher _cipher;
    private readonly Lazy<SqliteWriteQueue> _writer;

    public SqliteStore(string connectionString, string synchronous, SecretCipher cipher)
    {
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = true }.ToString();
        _synchronous = synchronous;
        _cipher = cipher;
        _writer = new Lazy<SqliteWriteQueue>(() => new SqliteWriteQueue(OpenWriteConnection(), Translate));
    }

    // ---- infrastructure -------------------------------------------------------------------------------

    private SqliteConnection OpenWriteConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Exec(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={_synchronous}; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;");
        return connection;
    }

    private async Task<SqliteConnection> OpenReadAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync();
            throw Translate(ex);
        }

        return connection;
    }

    private async Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        try
        {
            return read(connection);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private Task<T> WriteAsync<T>(Func<SqliteConnection, T> write, CancellationToken ct) => _writer.Value.RunAsync(write, ct);

    private static Exception Translate(Exception ex) => ex switch
    {
        // BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN: the database, not the request, is at fault.
        SqliteException { SqliteErrorCode: 5 or 6 or 7 or 8 or 10 or 11 or 13 or 14 } s =>
            new StoreUnavailableException($"SQLite is unavailable (error {s.SqliteErrorCode}).", s),
        _ => ex,
    };

    public Task MigrateAsync(CancellationToken ct) =>
        WriteAsync(connection =>
        {
            Exec(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
            var applied = Query(connection, "SELECT version FROM schema_migrations", [], r => r.GetInt32(0)).ToHashSet();
            foreach (var (version, sql) in Migrations.For("sqlite"))
            {
                if (applied.Contains(version))
                {
                    continue;
                }

                Exec(connection, sql);
                Exec(connection, "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $t)", ("$v", version), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            }

            return true;
        }, ct);

    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            return await ReadAsync(c => Scalar<long>(c, "SELECT COUNT(*) FROM schema_migrations", []) > 0, ct);
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

    // ---- services -----------------------------------------------------------------------------------

    private const string ServiceColumns = "service_id, number, document, created_at, modified_at";

    private static StoredService ReadService(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4));

    public Task<StoredService> CreateServiceAsync(string document, long now, CancellationToken ct) =>
        WriteAsync(c =>
        {
            var id = NewUniqueId(c, "SELECT COUNT(*) FROM services WHERE service_id = $id");
            return Query(c, $"INSERT INTO services (service_id, document, created_at, modified_at) VALUES ($id, $doc, $now, $now) RETURNING {ServiceColumns}",
                [("$id", id), ("$doc", document), ("$now", now)], ReadService).Single();
        }, ct);

    public Task<StoredService?> GetServiceAsync(long serviceId, CancellationToken ct) =>
        ReadAsync(c => Query(c, $"SELECT {ServiceColumns} FROM services WHERE service_id = $id", [("$id", serviceId)], ReadService).SingleOrDefault(), ct);

    public Task<Page<StoredService>> ListServicesAsync(long? onlyServiceId, int start, int end, CancellationToken ct) =>
        ReadAsync(c =>
        {
            var filter = onlyServiceId is null ? "" : " WHERE service_id = $only";
            (string, object?)[] args = [("$only", onlyServiceId), ("$limit", end - start), ("$offset", start)];
            var total = Scalar<long>(c, "SELECT COUNT(*) FROM services" + filter, args);
            var items = Query(c, $"SELECT {ServiceColumns} FROM services{filter} ORDER BY number LIMIT $limit OFFSET $offset", args, ReadService);
            return new Page<StoredService>(items, (int)total);
        }, ct);

    public Task<StoredService?> UpdateServiceAsync(long serviceId, string document, long now, CancellationToken ct) =>
        WriteAsync(c => Query(c, $"UPDATE services SET document = $doc, modified_at = $now WHERE service_id = $id RETURNING {ServiceColumns}",
            [("$id", serviceId), ("$doc", document), ("$now", now)], ReadService).SingleOrDefault(), ct);

    public Task<bool> DeleteServiceAsync(long serviceId, CancellationToken ct) =>
        WriteAsync(c => Exec(c, "DELETE FROM services WHERE service_id = $id", ("$id", serviceId)) > 0, ct);

    // ---- clients ------------------------------------------------------------------------------------

    private const string ClientSelect = """
        SELECT c.service_id, s.number, c.client_id, c.number, c.alias, c.developer, c.locked, c.document, c.created_at, c.modified_at,
               cs.secret_id, cs.key_id, cs.ciphertext
        FROM clients c
        JOIN services s ON s.service_id = c.service_id
        LEFT JOIN client_secrets cs ON cs.client_id = c.client_id AND cs.status = 0 AND $withSecret = 1
        """;

    private StoredClient ReadClient(SqliteDataReader r)
    {
        string? secret = null;
        if (!r.IsDBNull(10))
        {
            var serviceId = r.GetInt64(0);
            var clientId = r.GetInt64(2);
            secret = _cipher.Open(r.GetString(11), (byte[])r.GetValue(12), SecretCipher.AssociatedData(serviceId, clientId, r.GetInt64(10)));
        }

        return new StoredClient(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3),
            r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6) != 0,
            r.GetString(7), r.GetInt64(8), r.GetInt64(9), secret);
    }

    private Outcome<StoredClient> FindClient(SqliteConnection c, long serviceId, string identifier, bool withSecret)
    {
        var numeric = long.TryParse(identifier, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        var client = Query(c, ClientSelect + " WHERE c.service_id = $s AND (c.client_id = $n OR c.alias = $a) ORDER BY c.client_id = $n DESC LIMIT 1",
            [("$s", serviceId), ("$n", numeric), ("$a", identifier), ("$withSecret", withSecret ? 1 : 0)], ReadClient).SingleOrDefault();
        if (client is not null)
        {
            return client;
        }

        return ServiceExists(c, serviceId) ? StoreRules.ClientNotFound(identifier, serviceId) : StoreRules.ServiceNotFound(serviceId);
    }

    private static bool ServiceExists(SqliteConnection c, long serviceId) =>
        Scalar<long>(c, "SELECT COUNT(*) FROM services WHERE service_id = $s", [("$s", serviceId)]) > 0;

    /// <summary>An alias must be free in the service and must not equal another client's numeric ID.</summary>
    private static RuleViolation? CheckAlias(SqliteConnection c, long serviceId, long clientId, string? alias)
    {
        if (alias is null)
        {
            return null;
        }

        if (Scalar<long>(c, "SELECT COUNT(*) FROM clients WHERE service_id = $s AND alias = $a AND client_id <> $c",
                [("$s", serviceId), ("$a", alias), ("$c", clientId)]) > 0)
        {
            return RuleViolation.Of(ResultCodes.ClientIdAliasInUse, alias);
        }

        if (long.TryParse(alias, NumberStyles.None, CultureInfo.InvariantCulture, out var asId) && asId != clientId &&
            Scalar<long>(c, "SELECT COUNT(*) FROM clients WHERE service_id = $s AND client_id = $id", [("$s", serviceId), ("$id", asId)]) > 0)
        {
            return RuleViolation.Of(ResultCodes.ClientIdAliasIsClientId, alias);
        }

        return null;
    }

    public Task<Outcome<StoredClient>> CreateClientAsync(NewClient client, CancellationToken ct) =>
        WriteAsync(c =>
        {
            if (!ServiceExists(c, client.ServiceId))
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
                ("$l", client.Locked ? 1 : 0), ("$doc", client.Document), ("$now", client.Now));
            InsertCurrentSecret(c, client.ServiceId, clientId, client.Secret, client.Now);
            return FindClient(c, client.ServiceId, clientId.ToString(CultureInfo.InvariantCulture), withSecret: true);
        }, ct);

    public Task<Outcome<StoredClient>> GetClientAsync(long serviceId, string identifier, bool withSecret, CancellationToken ct) =>
        ReadAsync(c => FindClient(c, serviceId, identifier, withSecret), ct);

    public Task<Outcome<Page<StoredClient>>> ListClientsAsync(long serviceId, string? developer, int start, int end, bool withSecret, CancellationToken ct) =>
        ReadAsync<Outcome<Page<StoredClient>>>(c =>
        {
            if (!ServiceExists(c, serviceId))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var filter = developer is null ? "c.service_id = $s" : "c.service_id = $s AND c.developer = $d";
            (string, object?)[] args = [("$s", serviceId), ("$d", developer), ("$limit", end - start), ("$offset", start), ("$withSecret", withSecret ? 1 : 0)];
            var total = Scalar<long>(c, "SELECT COUNT(*) FROM clients c WHERE " + filter, args);
            var items = Query(c, ClientSelect + " WHERE " + filter + " ORDER BY c.number LIMIT $limit OFFSET $offset", args, ReadClient);
            return new Page<StoredClient>(items, (int)total);
        }, ct);

    public Task<Outcome<StoredClient>> UpdateClientAsync(ClientUpdate update, CancellationToken ct) =>
        WriteAsync(c =>
        {
            var found = FindClient(c, update.ServiceId, update.ClientId.ToString(CultureInfo.InvariantCulture), withSecret: false);
            if (!found.IsOk(out _, out var error))
            {
                return error;
            }

            if (CheckAlias(c, update.ServiceId, update.ClientId, update.Alias) is { } aliasError)
            {
                return aliasError;
            }

            Exec(c, "UPDATE clients SET alias = $a, developer = $d, document = $doc, modified_at = $now WHERE client_id = $c",
                ("$a", update.Alias), ("$d", update.Developer), ("$doc", update.Document), ("$now", update.Now), ("$c", update.ClientId));
            return FindClient(c, update.ServiceId, update.ClientId.ToString(CultureInfo.InvariantCulture), withSecret: true);
        }, ct);

    public Task<Outcome<long>> DeleteClientAsync(long serviceId, string identifier, CancellationToken ct) =>
        WriteAsync<Outcome<long>>(c =>
        {
            var found = FindClient(c, serviceId, identifier, withSecret: false);
            if (!found.IsOk(out var client, out var error))
            {
                return error;
            }

            Exec(c, "DELETE FROM clients WHERE client_id = $c", ("$c", client.ClientId));
            return client.ClientId;
        }, ct);

    public Task<Outcome<long>> SetClientLockAsync(long serviceId, string identifier, bool locked, long now, CancellationToken ct) =>
        WriteAsync<Outcome<long>>(c =>
        {
            var found = FindClient(c, serviceId, identifier, withSecret: false);
            if (!found.IsOk(out var client, out var error))
            {
                return error;
            }

            Exec(c, "UPDATE clients SET locked = $l, modified_at = $now WHERE client_id = $c", ("$l", locked ? 1 : 0), ("$now", now), ("$c", client.ClientId));
            return client.ClientId;
        }, ct);

    // ---- secrets ------------------------------------------------------------------------------------

    private void InsertCurrentSecret(SqliteConnection c, long serviceId, long clientId, string secret, long now)
    {
        var secretId = NewUniqueId(c, "SELECT COUNT(*) FROM client_secrets WHERE secret_id = $id");
        var sealedSecret = _cipher.Seal(secret, SecretCipher.AssociatedData(serviceId, clientId, secretId));
        Exec(c, """
            INSERT INTO client_secrets (secret_id, client_id, status, created_at, key_id, ciphertext, digest)
            VALUES ($id, $c, 0, $now, $k, $ct, $dg)
            """,
            ("$id", secretId), ("$c", clientId), ("$now", now), ("$k", sealedSecret.KeyId), ("$ct", sealedSecret.Ciphertext), ("$dg", sealedSecret.Digest));
    }

    public Task<Outcome<SecretRotation>> RotateSecretAsync(long serviceId, string identifier, string newSecret, long now, CancellationToken ct) =>
        WriteAsync<Outcome<SecretRotation>>(c =>
        {
            // The single writer thread serialises rotations: no other write can run between this read and the
            // write below, so concurrent rotations of one client form a chain.
            var found = FindClient(c, serviceId, identifier, withSecret: true);
            if (!found.IsOk(out var client, out var error))
            {
                return error;
            }

            Exec(c, "UPDATE client_secrets SET status = 2, revoked_at = $now WHERE client_id = $c AND status = 0", ("$now", now), ("$c", client.ClientId));
            InsertCurrentSecret(c, serviceId, client.ClientId, newSecret, now);
            Exec(c, "UPDATE clients SET modified_at = $now WHERE client_id = $c", ("$now", now), ("$c", client.ClientId));
            Exec(c, """
                DELETE FROM client_secrets WHERE client_id = $c AND status <> 0 AND secret_id NOT IN
                  (SELECT secret_id FROM client_secrets WHERE client_id = $c AND status <> 0 ORDER BY created_at DESC, secret_id LIMIT $keep)
                """, ("$c", client.ClientId), ("$keep", SecretsKeptPerClient));
            return new SecretRotation(client.ClientId, client.CurrentSecret, newSecret);
        }, ct);

    // ---- API tokens ---------------------------------------------------------------------------------

    private const string TokenColumns = "token_id, service_id, permissions, description, created_at";

    private static StoredApiToken ReadToken(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4));

    public Task<StoredApiToken> CreateApiTokenAsync(long serviceId, IReadOnlyList<string> permissions, string? description, byte[] tokenHash, long now, CancellationToken ct) =>
        WriteAsync(c =>
        {
            var id = NewUniqueId(c, "SELECT COUNT(*) FROM api_tokens WHERE token_id = $id");
            return Query(c, $"INSERT INTO api_tokens (token_id, service_id, token_hash, permissions, description, created_at) VALUES ($id, $s, $h, $p, $d, $now) RETURNING {TokenColumns}",
                [("$id", id), ("$s", serviceId), ("$h", tokenHash), ("$p", string.Join(' ', permissions)), ("$d", description), ("$now", now)], ReadToken).Single();
        }, ct);

    public Task<StoredApiToken?> FindApiTokenAsync(byte[] tokenHash, CancellationToken ct) =>
        ReadAsync(c => Query(c, $"SELECT {TokenColumns} FROM api_tokens WHERE token_hash = $h", [("$h", tokenHash)], ReadToken).SingleOrDefault(), ct);

    public Task<Page<StoredApiToken>> ListApiTokensAsync(int start, int end, CancellationToken ct) =>
        ReadAsync(c =>
        {
            var total = Scalar<long>(c, "SELECT COUNT(*) FROM api_tokens", []);
            var items = Query(c, $"SELECT {TokenColumns} FROM api_tokens ORDER BY created_at, token_id LIMIT $limit OFFSET $offset",
                [("$limit", end - start), ("$offset", start)], ReadToken);
            return new Page<StoredApiToken>(items, (int)total);
        }, ct);

    public Task<bool> DeleteApiTokenAsync(long tokenId, CancellationToken ct) =>
        WriteAsync(c => Exec(c, "DELETE FROM api_tokens WHERE token_id = $id", ("$id", tokenId)) > 0, ct);

    // ---- ADO.NET helpers ----------------------------------------------------------------------------

    private static long NewUniqueId(SqliteConnection c, string countSql)
    {
        while (true)
        {
            var id = SecretGenerator.NewId();
            if (Scalar<long>(c, countSql, [("$id", id)]) == 0)
            {
                return id;
            }
        }
    }

    private static SqliteCommand Command(SqliteConnection c, string sql, IEnumerable<(string Name, object? Value)> args)
    {
        var command = c.CreateCommand();
        command.CommandText = sql;
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
        using var command = Command(c, sql, args);
        return command.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection c, string sql, (string Name, object? Value)[] args)
    {
        using var command = Command(c, sql, args);
        return (T)Convert.ChangeType(command.ExecuteScalar() ?? 0L, typeof(T), CultureInfo.InvariantCulture);
    }

    private static List<T> Query<T>(SqliteConnection c, string sql, (string Name, object? Value)[] args, Func<SqliteDataReader, T> map)
    {
        using var command = Command(c, sql, args);
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
        if (_writer.IsValueCreated)
        {
            _writer.Value.Dispose();
        }

        SqliteConnection.ClearAllPools();
    }
}
