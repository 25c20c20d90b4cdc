using Rekey.Server.OAuth;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    /// <summary>
    /// The statement that stores a client's secrets; a rotation also touches the client's modification time, and writes
    /// the data key column only when the current secret's data key changed.
    /// </summary>
    /// <remarks>
    /// A rotation also sets when the client next has a secret notice due (<paramref name="nextNotice"/>); a revocation or
    /// re-encryption leaves it: a notice planned for a secret revoked since finds nothing to announce.
    /// </remarks>
    private Sql StoreSecrets(long clientId, SecretSet secrets, long? touchedAt, string? previousKeyId = null, long? nextNotice = null) => touchedAt switch
    {
        { } now when secrets.CurrentKeyId == previousKeyId =>
            new(_sql.UpdateSecretsTouchSameKey, SqlArg.Bytes("secrets", SecretSetCodec.Encode(secrets)), SqlArg.Long("now", now), SqlArg.Long("next", nextNotice), SqlArg.Long("c", clientId)),
        { } now => new(_sql.UpdateSecretsTouch, SqlArg.Bytes("secrets", SecretSetCodec.Encode(secrets)), SqlArg.Text("key", secrets.CurrentKeyId), SqlArg.Long("now", now),
            SqlArg.Long("next", nextNotice), SqlArg.Long("c", clientId)),
        null => new(_sql.UpdateSecrets, SqlArg.Bytes("secrets", SecretSetCodec.Encode(secrets)), SqlArg.Text("key", secrets.CurrentKeyId), SqlArg.Long("c", clientId)),
    };

    /// <summary>
    /// The client's secrets with <paramref name="value"/> as the new current secret, sealed for the client, and the one it
    /// replaces kept for <paramref name="graceSeconds"/>: what an update, a refresh and a leak's replacement all do. Pure:
    /// the caller writes the set (<see cref="StoreSecrets"/>) and its lookup rows (<see cref="DeferLookups"/>).
    /// </summary>
    private (long SecretId, string? Hint, SecretSet Next) WithNewSecret(ClientRow row, string value, long now, long graceSeconds)
    {
        var secretId = row.Secrets.NewSecretId();
        var sealedSecret = _cipher.Seal(value, SecretCipher.AssociatedData(row.Client.ServiceId, row.Client.ClientId, secretId));
        var hint = SecretPolicy.Hint(value, SecretPrefix);
        var next = row.Secrets.Rotate(new NewSecret(secretId, sealedSecret, hint, SecretPolicy.ExpiresAt(now, row.Settings.SecretLifetimeSeconds)),
            now, graceSeconds, ClientAssertion.NeedsSecretValue(row.Client.Document));
        return (secretId, hint, next);
    }

    public Task<Outcome<SecretRotation>> RotateSecretAsync(SecretRotationRequest request, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<SecretRotation>>(async (s, ct) =>
        {
            // One read under the client's row lock (PostgreSQL) or in the single writer (SQLite): concurrent rotations of
            // one client queue, and each reads the secrets the previous one wrote, so their old/new pairs form one chain.
            // Then one write of the client's secrets and the audit event, sent with COMMIT.
            if (!(await LockClientAsync(s, request.ServiceId, request.Identifier, ct)).IsOk(out var row, out var error))
            {
                return error;
            }

            var now = change.At;
            var clientId = row.Client.ClientId;
            var old = await OpenCurrentAsync(s, row, ct);
            var value = request.NewSecret ?? NewSecretFor(row.Settings.SecretFormat);
            var (secretId, hint, next) = WithNewSecret(row, value, now, request.GracePeriodSeconds ?? row.Settings.GracePeriodSeconds);
            s.Defer(StoreSecrets(clientId, next, touchedAt: now, previousKeyId: row.Secrets.CurrentKeyId,
                nextNotice: Events.SecretNotices.NextSweep(next, row.Settings.Warnings, now)));
            DeferLookups(s, request.ServiceId, clientId, row.Secrets, next, (secretId, value));
            DeferAudit(s, change, request.ServiceId, clientId, secretId,
                eventData: Events.ChangeEvents.Data(("clientIdAlias", row.Client.Alias), ("secretHint", hint),
                    ("previousSecretId", row.Secrets.Current?.SecretId), ("previousSecretValidUntil", next.Find(row.Secrets.Current?.SecretId ?? 0)?.ValidUntil)),
                eventWanted: row.Settings.HasWebhooks);
            return new SecretRotation(clientId, secretId, old, value);
        }, ct);

    public Task<Outcome<ClientSecrets>> ListSecretsAsync(long serviceId, string identifier, CancellationToken ct) =>
        ReadUnitAsync<Outcome<ClientSecrets>>(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.ClientByKey, ClientKey(serviceId, identifier)), Rows.Client, ct)) is not [var row])
            {
                return await ClientNotFoundAsync(s, serviceId, identifier, ct);
            }

            var clientId = row.Client.ClientId;
            var uses = (await s.QueryAsync(new Sql(_sql.UsesOfClient, SqlArg.Long("c", clientId)), r => (SecretId: r.GetInt64(0), At: r.GetInt64(1)), ct))
                .ToDictionary(u => u.SecretId, u => u.At);
            return new ClientSecrets(clientId, [.. row.Secrets.Entries.Select(e =>
                new StoredSecret(e.SecretId, e.State, e.CreatedAt, e.ExpiresAt, e.ValidUntil, e.RevokedAt, uses.TryGetValue(e.SecretId, out var at) ? at : null, e.Hint))]);
        }, ct);

    public Task<Outcome<long>> RevokeSecretAsync(long serviceId, string identifier, long secretId, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<long>>(async (s, ct) =>
        {
            if (!(await LockClientAsync(s, serviceId, identifier, ct)).IsOk(out var row, out var error))
            {
                return error;
            }

            var clientId = row.Client.ClientId;
            if (!row.Secrets.Revoke(secretId, clientId, change.At).IsOk(out var next, out error))
            {
                return error;
            }

            s.Defer(StoreSecrets(clientId, next, touchedAt: null));
            DeferLookups(s, serviceId, clientId, row.Secrets, next, null);
            DeferAudit(s, change, serviceId, clientId, secretId, eventData: Events.ChangeEvents.Data(("clientIdAlias", row.Client.Alias)),
                eventWanted: row.Settings.HasWebhooks);
            return clientId;
        }, ct);

    public Task<Outcome<ClientCredentials>> FindCredentialsAsync(long serviceId, string identifier, CancellationToken ct) =>
        ReadUnitAsync<Outcome<ClientCredentials>>(async (s, ct) =>
        {
            var rows = await s.QueryAsync(new Sql(_sql.CredentialsByKey, ClientKey(serviceId, identifier)),
                r => (Id: r.GetInt64(0), Alias: Rows.Text(r, 1), Locked: r.GetBoolean(2), Document: r.GetString(3), Secrets: (byte[])r.GetValue(4)), ct);
            if (rows is not [var client])
            {
                return StoreRules.ClientNotFound(identifier, serviceId);
            }

            var candidates = SecretSetCodec.Decode(client.Secrets, $"client {client.Id}").Candidates();
            await EnsureKeysAsync(s, candidates.Select(c => c.KeyId), ct);
            return new ClientCredentials(serviceId, client.Id, client.Alias, client.Locked, client.Document, candidates);
        }, ct);

    public async Task<SecretTally> TallySecretsAsync(long now, CancellationToken ct)
    {
        const int PageSize = 1000;
        const long Day = 24 * 60 * 60 * 1000L;
        long current = 0, previous = 0, expired = 0, revoked = 0, in1 = 0, in7 = 0, in30 = 0;
        var after = long.MinValue;
        while (true)
        {
            // One read per page: a SQLite reader holds no snapshot between pages, and a PostgreSQL one no connection.
            var page = await ReadUnitAsync((s, ct) => s.QueryAsync(new Sql(_sql.SecretsAfter, SqlArg.Long("after", after), SqlArg.Int("limit", PageSize)),
                r => (ClientId: r.GetInt64(0), Secrets: (byte[])r.GetValue(1)), ct), ct);
            foreach (var (clientId, secrets) in page)
            {
                foreach (var e in SecretSetCodec.Decode(secrets, $"client {clientId}").Entries)
                {
                    switch (SecretPolicy.Status(e.State, e.ExpiresAt, e.ValidUntil, now))
                    {
                        case "current":
                            current++;
                            var left = e.ExpiresAt - now;
                            in1 += left <= Day ? 1 : 0;
                            in7 += left <= 7 * Day ? 1 : 0;
                            in30 += left <= 30 * Day ? 1 : 0;
                            break;
                        case "previous":
                            previous++;
                            break;
                        case "expired":
                            expired++;
                            break;
                        default:
                            revoked++;
                            break;
                    }
                }

                after = clientId;
            }

            if (page.Count < PageSize)
            {
                return new SecretTally(current, previous, expired, revoked, in1, in7, in30);
            }
        }
    }

    public Task RecordSecretUseAsync(IReadOnlyCollection<SecretUse> uses, CancellationToken ct) =>
        WriteUnitAsync((s, _) =>
        {
            // Rows written in one order on every node: two nodes flushing overlapping batches cannot deadlock.
            foreach (var use in uses.OrderBy(u => u.ClientId).ThenBy(u => u.SecretId))
            {
                s.Defer(new Sql(_sql.RecordUse, SqlArg.Long("c", use.ClientId), SqlArg.Long("id", use.SecretId), SqlArg.Long("at", use.At)));
            }

            return ValueTask.FromResult(true);
        }, ct);
}
