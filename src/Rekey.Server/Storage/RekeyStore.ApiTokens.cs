using System.Globalization;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    public Task<StoredApiToken> CreateApiTokenAsync(long serviceId, IReadOnlyList<string> permissions, string? description, byte[] tokenHash, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            var (id, token) = await InsertWithNewIdAsync(s, id => new Sql(_sql.InsertApiToken,
                SqlArg.Long("id", id), SqlArg.Long("s", serviceId), SqlArg.Bytes("h", tokenHash), SqlArg.Text("p", string.Join(' ', permissions)),
                SqlArg.Text("d", description), SqlArg.Long("now", change.At)), Rows.ApiToken, ct);
            DeferAudit(s, change, serviceId, null, null, target: id.ToString(CultureInfo.InvariantCulture));
            return token;
        }, ct);

    public Task<StoredApiToken?> FindApiTokenAsync(byte[] tokenHash, CancellationToken ct) =>
        ReadUnitAsync(async (s, ct) => (await s.QueryAsync(new Sql(_sql.ApiTokenByHash, SqlArg.Bytes("h", tokenHash)), Rows.ApiToken, ct)).SingleOrDefault(), ct);

    public Task<Page<StoredApiToken>> ListApiTokensAsync(int start, int end, CancellationToken ct) =>
        ReadUnitAsync(async (s, ct) =>
        {
            var total = await CountAsync(s, new Sql(_sql.CountApiTokens), ct);
            var items = await s.QueryAsync(new Sql(_sql.PageApiTokens, SqlArg.Int("limit", end - start), SqlArg.Int("offset", start)), Rows.ApiToken, ct);
            return new Page<StoredApiToken>(items, (int)total);
        }, ct);

    public Task<bool> DeleteApiTokenAsync(long tokenId, ChangeContext change, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            if ((await s.QueryAsync(new Sql(_sql.DeleteApiToken, SqlArg.Long("id", tokenId)), r => r.GetInt64(0), ct)) is not [var serviceId])
            {
                return false;
            }

            DeferAudit(s, change, serviceId, null, null, target: tokenId.ToString(CultureInfo.InvariantCulture));
            return true;
        }, ct);
}
