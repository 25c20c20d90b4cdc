using System.Globalization;
using Rekey.Contracts;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    /// <summary>A client's stored form: what a caller sees, with the current secret opened when asked for.</summary>
    private async ValueTask<StoredClient> PresentAsync(IStoreSession s, ClientRow row, bool withSecret, CancellationToken ct) =>
        withSecret ? row.Client with { CurrentSecret = await OpenCurrentAsync(s, row, ct) } : row.Client;

    /// <summary>The client an identifier names, locked for a change (PostgreSQL) or as the single writer sees it (SQLite).</summary>
    private async ValueTask<Outcome<ClientRow>> LockClientAsync(IStoreSession s, long serviceId, string identifier, CancellationToken ct) =>
        await s.QueryAsync(new Sql(_sql.ClientByKeyForUpdate, ClientKey(serviceId, identifier)), Rows.Client, ct) is [var row]
            ? row
            : await ClientNotFoundAsync(s, serviceId, identifier, ct);

    private async ValueTask<Outcome<StoredClient>> FindClientAsync(IStoreSession s, long serviceId, string identifier, bool withSecret, CancellationToken ct) =>
        await s.QueryAsync(new Sql(_sql.ClientByKey, ClientKey(serviceId, identifier)), Rows.Client, ct) is [var row]
            ? await PresentAsync(s, row, withSecret, ct)
            : await ClientNotFoundAsync(s, serviceId, identifier, ct);

    private async ValueTask<StoredClient> ClientByIdAsync(IStoreSession s, long clientId, bool withSecret, CancellationToken ct) =>
        await PresentAsync(s, (await s.QueryAsync(new Sql(_sql.ClientById, SqlArg.Long("id", clientId)), Rows.Client, ct)).Single(), withSecret, ct);

    /// <summary>An alias must be free in the service and must not equal another client's numeric ID.</summary>
    private async ValueTask<RuleViolation?> CheckAliasAsync(IStoreSession s, long serviceId, long clientId, string? alias, CancellationToken ct)
    {
        if (alias is null)
        {
            return null;
        }

        if (await CountAsync(s, new Sql(_sql.AliasTaken, SqlArg.Long("s", serviceId), SqlArg.Text("a", alias), SqlArg.Long("c", clientId)), ct) > 0)
        {
            return RuleViolation.Of(ResultCodes.ClientIdAliasInUse, alias);
        }

        if (long.TryParse(alias, NumberStyles.None, CultureInfo.InvariantCulture, out var asId) && asId != clientId &&
            await CountAsync(s, new Sql(_sql.IdInService, SqlArg.Long("s", serviceId), SqlArg.Long("id", asId)), ct) > 0)
        {
            return RuleViolation.Of(ResultCodes.ClientIdAliasIsClientId, alias);
        }

        return null;
    }

    /// <summary>The first secret of a client: sealed for its service, client and a fresh secret ID.</summary>
    private SecretSet FirstSecret(long serviceId, long clientId, string secret, long now, long lifetimeSeconds)
    {
        var secretId = SecretSet.Empty.NewSecretId();
        var sealedSecret = _cipher.Seal(secret, SecretCipher.AssociatedData(serviceId, clientId, secretId));
        return SecretSet.First(new NewSecret(secretId, sealedSecret, SecretPolicy.Hint(secret, SecretPrefix), SecretPolicy.ExpiresAt(now, lifetimeSeconds)), now);
    }

    public Task<Outcome<StoredClient>> CreateClientAsync(NewClient client, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredClient>>(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.ServiceLifetimeForKeyShare, SqlArg.Long("s", client.ServiceId)),
                    r => (Lifetime: r.GetInt64(0), Warnings: Rows.Text(r, 1), HasWebhooks: r.GetBoolean(2), Format: Rows.Text(r, 3)), ct))
                is not [var (lifetime, warnings, hasWebhooks, format)])
            {
                return StoreRules.ServiceNotFound(client.ServiceId);
            }

            // Dynamic registration with an initial access token uses it up first, before any deferred write: the one
            // statement that decides whether this registration may happen (an expired or used single-use token: nothing).
            if (client.Registration?.InitialAccessTokenId is { } initialToken
                && await s.ExecuteAsync(new Sql(_sql.UseInitialAccessToken, SqlArg.Long("id", initialToken), SqlArg.Long("s", client.ServiceId), SqlArg.Long("now", change.At)), ct) == 0)
            {
                return RuleViolation.Of(ResultCodes.InitialAccessTokenInvalid, client.ServiceId);
            }

            try
            {
                while (true)
                {
                    // A new ID equals no existing ID (the insert refuses it), no alias (IDs and aliases share one
                    // namespace) and no deleted client's ID.
                    var clientId = SecretGenerator.NewId();
                    if (await CountAsync(s, new Sql(_sql.ClientIdTaken, SqlArg.Text("text", clientId.ToString(CultureInfo.InvariantCulture)), SqlArg.Long("id", clientId)), ct) > 0)
                    {
                        continue;
                    }

                    if (await CheckAliasAsync(s, client.ServiceId, clientId, client.Alias, ct) is { } aliasError)
                    {
                        return aliasError;
                    }

                    var value = client.Secret ?? NewSecretFor(format);
                    var secrets = FirstSecret(client.ServiceId, clientId, value, change.At, lifetime);
                    var inserted = await s.ExecuteAsync(new Sql(_sql.InsertClient,
                        SqlArg.Long("c", clientId), SqlArg.Long("s", client.ServiceId), SqlArg.Text("a", client.Alias), SqlArg.Text("d", client.Developer),
                        SqlArg.Bool("l", client.Locked), SqlArg.Text("doc", client.Document), SqlArg.Long("now", change.At),
                        SqlArg.Bytes("secrets", SecretSetCodec.Encode(secrets)), SqlArg.Text("key", secrets.CurrentKeyId),
                        SqlArg.Long("next", Events.SecretNotices.NextSweep(secrets, Events.SecretNotices.Decode(warnings), change.At)), SqlArg.Text("name", NameKey(client.Document)),
                        SqlArg.Bytes("rat", client.Registration?.TokenHash)), ct);
                    if (inserted == 0)
                    {
                        continue;
                    }

                    var created = await ClientByIdAsync(s, clientId, withSecret: true, ct);
                    DeferLookups(s, client.ServiceId, clientId, SecretSet.Empty, secrets, (secrets.Current!.SecretId, value));
                    DeferAudit(s, change, client.ServiceId, clientId, secrets.Current?.SecretId, eventData: Events.ChangeEvents.Data(("clientIdAlias", client.Alias)),
                        eventWanted: hasWebhooks);
                    return created;
                }
            }
            catch (StoreConstraintException) when (client.Alias is not null)
            {
                // Another node took the alias between the check and the insert: the same answer as if it had been first.
                return RuleViolation.Of(ResultCodes.ClientIdAliasInUse, client.Alias);
            }
        }, ct);

    public Task<Outcome<StoredClient>> GetClientAsync(long serviceId, string identifier, bool withSecret, CancellationToken ct) =>
        ReadUnitAsync((s, ct) => FindClientAsync(s, serviceId, identifier, withSecret, ct), ct);

    public Task<Outcome<Page<StoredClient>>> ListClientsAsync(long serviceId, string? developer, int start, int end, bool withSecret, CancellationToken ct) =>
        ReadUnitAsync<Outcome<Page<StoredClient>>>(async (s, ct) =>
        {
            if (!await ServiceExistsAsync(s, serviceId, ct))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var total = await CountAsync(s, new Sql(_sql.CountClients, SqlArg.Long("s", serviceId), SqlArg.Text("d", developer)), ct);
            var rows = await s.QueryAsync(new Sql(_sql.PageClients, SqlArg.Long("s", serviceId), SqlArg.Text("d", developer), SqlArg.Int("limit", end - start), SqlArg.Int("offset", start)),
                Rows.Client, ct);
            var clients = new List<StoredClient>(rows.Count);
            foreach (var row in rows)
            {
                clients.Add(await PresentAsync(s, row, withSecret, ct));
            }

            return new Page<StoredClient>(clients, (int)total);
        }, ct);

    public Task<Outcome<StoredClient>> UpdateClientAsync(ClientUpdate update, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredClient>>(async (s, ct) =>
        {
            if (!(await LockClientAsync(s, update.ServiceId, update.ClientId.ToString(CultureInfo.InvariantCulture), ct)).IsOk(out var locked, out var error))
            {
                return error;
            }

            if (update.Registration is { } registration && !HoldsRegistrationToken(locked.Client, registration.PresentedTokenHash))
            {
                return RuleViolation.Of(ResultCodes.RegistrationUpdateUnauthorized, update.ClientId);
            }

            if (await CheckAliasAsync(s, update.ServiceId, update.ClientId, update.Alias, ct) is { } aliasError)
            {
                return aliasError;
            }

            try
            {
                await s.ExecuteAsync(new Sql(_sql.UpdateClient, SqlArg.Text("a", update.Alias), SqlArg.Text("d", update.Developer), SqlArg.Text("doc", update.Document),
                    SqlArg.Text("name", NameKey(update.Document)), SqlArg.Long("now", change.At), SqlArg.Long("c", update.ClientId)), ct);
            }
            catch (StoreConstraintException) when (update.Alias is not null)
            {
                return RuleViolation.Of(ResultCodes.ClientIdAliasInUse, update.Alias);
            }

            if (update.Registration is { } replaced)
            {
                await s.ExecuteAsync(new Sql(_sql.SetRegistrationToken, SqlArg.Bytes("rat", replaced.NewTokenHash), SqlArg.Long("c", update.ClientId)), ct);
            }

            // Every read before the first deferred write (PostgreSQL sends those with COMMIT).
            var updated = await ClientByIdAsync(s, update.ClientId, withSecret: true, ct);
            DeferAudit(s, change, update.ServiceId, update.ClientId, null, eventData: Events.ChangeEvents.Data(("clientIdAlias", update.Alias)),
                eventWanted: locked.Settings.HasWebhooks);
            if (update.Registration is not { RotateSecret: true })
            {
                return updated;
            }

            // RFC 7592 §2.2: the update issues a new secret; the replaced one stays valid for the service's grace period,
            // as after a refresh (the same step, audited as one).
            var value = NewSecretFor(locked.Settings.SecretFormat);
            var (secretId, hint, next) = WithNewSecret(locked, value, change.At, locked.Settings.GracePeriodSeconds);
            s.Defer(StoreSecrets(update.ClientId, next, touchedAt: change.At, previousKeyId: locked.Secrets.CurrentKeyId,
                nextNotice: Events.SecretNotices.NextSweep(next, locked.Settings.Warnings, change.At)));
            DeferLookups(s, update.ServiceId, update.ClientId, locked.Secrets, next, (secretId, value));
            DeferAudit(s, change with { Action = AuditActions.SecretRefresh }, update.ServiceId, update.ClientId, secretId,
                eventData: Events.ChangeEvents.Data(("clientIdAlias", update.Alias), ("secretHint", hint),
                    ("previousSecretId", locked.Secrets.Current?.SecretId), ("previousSecretValidUntil", next.Find(locked.Secrets.Current?.SecretId ?? 0)?.ValidUntil)),
                eventWanted: locked.Settings.HasWebhooks);
            return updated with { CurrentSecret = value, CurrentSecretExpiresAt = next.Current?.ExpiresAt };
        }, ct);

    /// <summary>Whether the client, not locked, was registered dynamically and its registration access token is the one presented (its SHA-256; constant time).</summary>
    private static bool HoldsRegistrationToken(StoredClient client, byte[] presentedHash) =>
        !client.Locked && client.RegistrationToken is { } stored && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(stored, presentedHash);

    public Task<Outcome<long>> DeleteClientAsync(long serviceId, string identifier, ChangeContext change, CancellationToken ct, byte[]? registrationToken = null) =>
        WriteUnitAsync<Outcome<long>>(async (s, ct) =>
        {
            if (!(await LockClientAsync(s, serviceId, identifier, ct)).IsOk(out var found, out var error))
            {
                return error;
            }

            if (registrationToken is not null && !HoldsRegistrationToken(found.Client, registrationToken))
            {
                return RuleViolation.Of(ResultCodes.RegistrationDeleteUnauthorized, identifier);
            }

            var clientId = found.Client.ClientId;
            DeferAudit(s, change, serviceId, clientId, null, eventData: Events.ChangeEvents.Data(("clientIdAlias", found.Client.Alias)),
                eventWanted: found.Settings.HasWebhooks);
            s.Defer(new Sql(_sql.KeepDeletedClient, SqlArg.Long("c", clientId)));
            s.Defer(new Sql(_sql.DeleteClientUses, SqlArg.Long("c", clientId)));
            s.Defer(new Sql(_sql.DeleteClient, SqlArg.Long("c", clientId)));
            return clientId;
        }, ct);

    public Task<Outcome<long>> SetClientLockAsync(long serviceId, string identifier, bool locked, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<long>>(async (s, ct) =>
        {
            if (!(await LockClientAsync(s, serviceId, identifier, ct)).IsOk(out var found, out var error))
            {
                return error;
            }

            var clientId = found.Client.ClientId;
            s.Defer(new Sql(_sql.SetClientLock, SqlArg.Bool("l", locked), SqlArg.Long("now", change.At), SqlArg.Long("c", clientId)));
            DeferAudit(s, change, serviceId, clientId, null, eventData: Events.ChangeEvents.Data(("clientIdAlias", found.Client.Alias)),
                eventWanted: found.Settings.HasWebhooks);
            return clientId;
        }, ct);
}
