using Rekey.Contracts;
using Rekey.Server.OAuth;
using Rekey.Server.Secrets;
using Rekey.Server.Storage.Postgres;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    // ---- master and data keys -----------------------------------------------------------------------

    private static async ValueTask<KeyState> ReadKeysAsync(IStoreSession s, CancellationToken ct) =>
        KeySql.Assemble(await s.QueryAsync(new Sql(KeySql.MasterKeys), KeySql.MasterKey, ct), await s.QueryAsync(new Sql(KeySql.DataKeys), KeySql.DataKey, ct),
            await s.QueryAsync(new Sql(KeySql.Wraps), KeySql.Wrap, ct));

    public Task<KeyState> ReadKeysAsync(CancellationToken ct) => ReadUnitAsync(ReadKeysAsync, ct);

    public Task<Outcome<T>> ChangeKeysAsync<T>(Func<KeyState, Outcome<KeyPlan<T>>> plan, ChangeContext? change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<T>>(async (s, ct) =>
        {
            // One key operation at a time across every node: the plan decides on what it read, nobody writes in between.
            s.Lock(new Sql(_sql.SchemaLock, SqlArg.Long("k", PostgresEngine.SchemaLockKey)));
            if (!plan(await ReadKeysAsync(s, ct)).IsOk(out var decided, out var error))
            {
                return error;
            }

            foreach (var statement in KeySql.Statements(decided.Changes))
            {
                s.Defer(statement);
            }

            if (change is not null)
            {
                DeferAudit(s, change, null, null, null, target: decided.Changes.AuditTarget);
            }

            return decided.Result;
        }, ct);

    public Task<int> ReencryptBatchAsync(int batchSize, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            // Towards the newest key in the database, not the newest this node happens to know: a node that had not seen
            // a new key yet would otherwise move values back to the old one.
            _cipher.Load((await ReadKeysAsync(s, ct)).DataKeys);
            var current = _cipher.CurrentKeyId ?? throw new InvalidOperationException("No data key is loaded.");
            var clients = await s.QueryAsync(new Sql(_sql.ClientsToReencrypt, SqlArg.Text("k", current), SqlArg.Int("n", batchSize)),
                r => (ClientId: r.GetInt64(0), ServiceId: r.GetInt64(1), Secrets: SecretSetCodec.Decode((byte[])r.GetValue(2), $"client {r.GetInt64(0)}")), ct);
            var keys = await s.QueryAsync(new Sql(_sql.SigningKeysToReencrypt, SqlArg.Text("k", current), SqlArg.Int("n", batchSize - clients.Count)),
                r => (KeyId: r.GetString(0), ServiceId: r.GetInt64(1), DataKeyId: r.GetString(2), Ciphertext: (byte[])r.GetValue(3)), ct);
            var webhooks = await s.QueryAsync(new Sql(_sql.WebhooksToReencrypt, SqlArg.Text("k", current), SqlArg.Int("n", Math.Max(0, batchSize - clients.Count - keys.Count))),
                r => (WebhookId: r.GetInt64(0), ServiceId: r.GetInt64(1), KeyId: r.GetString(2), Secret: (byte[])r.GetValue(3), PrevKeyId: Rows.Text(r, 4),
                    Prev: r.IsDBNull(5) ? null : (byte[])r.GetValue(5)), ct);

            // Every read above, every write below: the writes go with COMMIT (PostgreSQL).
            foreach (var (clientId, serviceId, secrets) in clients)
            {
                if (secrets.Current is { KeyId: { } keyId, Ciphertext: { } ciphertext } entry)
                {
                    var aad = SecretCipher.AssociatedData(serviceId, clientId, entry.SecretId);
                    s.Defer(StoreSecrets(clientId, secrets.Resealed(_cipher.Seal(_cipher.Open(keyId, ciphertext, aad), aad)), touchedAt: null));
                    DeferChanged(s, ChangeScope.Client(clientId));
                }
            }

            foreach (var key in keys)
            {
                var aad = SecretCipher.SigningKeyAssociatedData(key.ServiceId, key.KeyId);
                var resealed = _cipher.Seal(_cipher.Open(key.DataKeyId, key.Ciphertext, aad), aad);
                s.Defer(new Sql(_sql.ResealSigningKey, SqlArg.Text("k", resealed.KeyId), SqlArg.Bytes("ct", resealed.Ciphertext), SqlArg.Text("id", key.KeyId)));
            }

            foreach (var webhook in webhooks)
            {
                var aad = SecretCipher.WebhookAssociatedData(webhook.ServiceId, webhook.WebhookId);
                var secret = _cipher.Seal(_cipher.Open(webhook.KeyId, webhook.Secret, aad), aad);
                var prev = webhook is { PrevKeyId: { } prevKeyId, Prev: { } prevSecret } ? _cipher.Seal(_cipher.Open(prevKeyId, prevSecret, aad), aad) : null;
                s.Defer(new Sql(_sql.ResealWebhook, SqlArg.Text("k", secret.KeyId), SqlArg.Bytes("secret", secret.Ciphertext), SqlArg.Text("pk", prev?.KeyId),
                    SqlArg.Bytes("prev", prev?.Ciphertext), SqlArg.Long("w", webhook.WebhookId)));
            }

            return clients.Count + keys.Count + webhooks.Count;
        }, ct);

    public Task<IReadOnlyList<DataKeyUsage>> ListDataKeysAsync(CancellationToken ct) =>
        ReadUnitAsync<IReadOnlyList<DataKeyUsage>>(async (s, ct) =>
            await s.QueryAsync(new Sql(_sql.DataKeyUsage), r => new DataKeyUsage(r.GetString(0), r.GetInt64(1), r.GetInt64(2)), ct), ct);

    // ---- signing keys -------------------------------------------------------------------------------

    private async ValueTask<List<StoredSigningKey>> LoadSigningKeysAsync(IStoreSession s, long serviceId, CancellationToken ct)
    {
        var rows = await s.QueryAsync(new Sql(_sql.SigningKeysOfService, SqlArg.Long("s", serviceId)),
            r => (KeyId: r.GetString(0), CreatedAt: r.GetInt64(1), Jwk: r.GetString(2), DataKeyId: r.GetString(3), Ciphertext: (byte[])r.GetValue(4),
                ActivatesAt: r.GetInt64(5), RetiresAt: Rows.Number(r, 6)), ct);
        await EnsureKeysAsync(s, rows.Select(r => r.DataKeyId), ct);
        return [.. rows.Select(r => new StoredSigningKey(r.KeyId, serviceId, r.CreatedAt, r.Jwk,
            Convert.FromBase64String(_cipher.Open(r.DataKeyId, r.Ciphertext, SecretCipher.SigningKeyAssociatedData(serviceId, r.KeyId))), r.ActivatesAt, r.RetiresAt))];
    }

    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(long serviceId, CancellationToken ct) =>
        ReadUnitAsync<IReadOnlyList<StoredSigningKey>>(async (s, ct) => await LoadSigningKeysAsync(s, serviceId, ct), ct);

    public Task<Outcome<StoredSigningKey>> AddSigningKeyAsync(long serviceId, NewSigningKey key, Func<IReadOnlyList<StoredSigningKey>, long, Outcome<SigningKeyPlan?>> plan,
        ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredSigningKey>>(async (s, ct) =>
        {
            // The service row lock orders concurrent additions (two nodes creating the first key on demand, two rotations).
            if ((await s.QueryAsync(new Sql(_sql.ServiceByIdForUpdate, SqlArg.Long("id", serviceId)), Rows.Service, ct)) is not [_])
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var existing = await LoadSigningKeysAsync(s, serviceId, ct);
            var createdAt = SecretPolicy.CreatedAt(change.At, await CountAsync(s, new Sql(_sql.NewestSigningKey, SqlArg.Long("s", serviceId)), ct));
            if (!plan(existing, createdAt).IsOk(out var decided, out var error))
            {
                return error;
            }

            if (decided is null)
            {
                return existing[0];
            }

            var sealedKey = _cipher.Seal(Convert.ToBase64String(key.PrivateKey), SecretCipher.SigningKeyAssociatedData(serviceId, key.KeyId));
            await s.ExecuteAsync(new Sql(_sql.DeleteRetiredSigningKeys, SqlArg.Long("s", serviceId), SqlArg.Long("now", change.At)), ct);
            await s.ExecuteAsync(new Sql(_sql.InsertSigningKey, SqlArg.Text("k", key.KeyId), SqlArg.Long("s", serviceId), SqlArg.Long("t", createdAt),
                SqlArg.Text("jwk", key.PublicJwk), SqlArg.Text("dk", sealedKey.KeyId), SqlArg.Bytes("ct", sealedKey.Ciphertext), SqlArg.Long("a", decided.ActivatesAt)), ct);
            if (decided.Retiring is { } retiring)
            {
                await s.ExecuteAsync(new Sql(_sql.RetireSigningKey, SqlArg.Long("s", serviceId), SqlArg.Text("k", retiring.KeyId), SqlArg.Long("r", retiring.RetiresAt)), ct);
            }

            var added = (await LoadSigningKeysAsync(s, serviceId, ct)).First(k => k.KeyId == key.KeyId);
            DeferAudit(s, change, serviceId, null, null, target: key.KeyId);
            return added;
        }, ct);
}
