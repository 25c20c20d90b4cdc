namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    public Task<bool> RememberAssertionAsync(long clientId, string jti, long rememberUntil, long now, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) =>
        {
            var rows = await s.QueryAsync(new Sql(_sql.RememberAssertion, SqlArg.Long("c", clientId), SqlArg.Text("jti", jti), SqlArg.Long("until", rememberUntil),
                SqlArg.Long("now", now)), r => r.GetInt64(0), ct);
            return rows.Count == 1;
        }, ct);

    public Task<int> ForgetExpiredAssertionsAsync(long now, CancellationToken ct) =>
        WriteUnitAsync((s, ct) => s.ExecuteAsync(new Sql(_sql.ForgetExpiredAssertions, SqlArg.Long("now", now)), ct), ct);
}
