using System.Globalization;
using Rekey.Contracts;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    public Task<Outcome<StoredInitialAccessToken>> CreateInitialAccessTokenAsync(long serviceId, string? description, long? expiresAt, bool singleUse, byte[] tokenHash,
        ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<StoredInitialAccessToken>>(async (s, ct) =>
        {
            if (!await ServiceExistsAsync(s, serviceId, ct))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var (id, token) = await InsertWithNewIdAsync(s, id => new Sql(_sql.InsertInitialAccessToken,
                SqlArg.Long("id", id), SqlArg.Long("s", serviceId), SqlArg.Bytes("h", tokenHash), SqlArg.Text("d", description), SqlArg.Long("now", change.At),
                SqlArg.Long("exp", expiresAt), SqlArg.Bool("single", singleUse)), Rows.InitialAccessToken, ct);
            DeferAudit(s, change, serviceId, null, null, target: id.ToString(CultureInfo.InvariantCulture));
            return token;
        }, ct);

    public Task<StoredInitialAccessToken?> FindInitialAccessTokenAsync(long serviceId, byte[] tokenHash, CancellationToken ct) =>
        ReadUnitAsync(async (s, ct) =>
            (await s.QueryAsync(new Sql(_sql.InitialAccessTokenByHash, SqlArg.Long("s", serviceId), SqlArg.Bytes("h", tokenHash)), Rows.InitialAccessToken, ct)).SingleOrDefault(), ct);

    public Task<Outcome<Page<StoredInitialAccessToken>>> ListInitialAccessTokensAsync(long serviceId, int start, int end, CancellationToken ct) =>
        ReadUnitAsync<Outcome<Page<StoredInitialAccessToken>>>(async (s, ct) =>
        {
            if (!await ServiceExistsAsync(s, serviceId, ct))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            var total = await CountAsync(s, new Sql(_sql.CountInitialAccessTokens, SqlArg.Long("s", serviceId)), ct);
            var items = await s.QueryAsync(new Sql(_sql.PageInitialAccessTokens, SqlArg.Long("s", serviceId), SqlArg.Int("limit", end - start), SqlArg.Int("offset", start)),
                Rows.InitialAccessToken, ct);
            return new Page<StoredInitialAccessToken>(items, (int)total);
        }, ct);

    public Task<Outcome<long>> DeleteInitialAccessTokenAsync(long serviceId, long tokenId, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<long>>(async (s, ct) =>
        {
            if (await s.ExecuteAsync(new Sql(_sql.DeleteInitialAccessToken, SqlArg.Long("id", tokenId), SqlArg.Long("s", serviceId)), ct) == 0)
            {
                return RuleViolation.Of(ResultCodes.InitialAccessTokenNotFound, tokenId, serviceId);
            }

            DeferAudit(s, change, serviceId, null, null, target: tokenId.ToString(CultureInfo.InvariantCulture));
            return tokenId;
        }, ct);

    public Task<Outcome<long>> RefreshRegistrationTokenAsync(long serviceId, string identifier, byte[] tokenHash, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync<Outcome<long>>(async (s, ct) =>
        {
            if (!(await LockClientAsync(s, serviceId, identifier, ct)).IsOk(out var row, out var error))
            {
                return error;
            }

            var clientId = row.Client.ClientId;
            if (!row.Client.DynamicallyRegistered)
            {
                return RuleViolation.Of(ResultCodes.ClientNotRegistered, clientId);
            }

            s.Defer(new Sql(_sql.SetRegistrationToken, SqlArg.Bytes("rat", tokenHash), SqlArg.Long("c", clientId)));
            DeferAudit(s, change, serviceId, clientId, null, eventWanted: false);
            return clientId;
        }, ct);
}
