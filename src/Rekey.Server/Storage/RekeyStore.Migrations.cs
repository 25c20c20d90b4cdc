using Rekey.Server.Secrets;

namespace Rekey.Server.Storage;

internal sealed partial class RekeyStore
{
    private const int MigrationBatch = 500;

    /// <summary>
    /// Migration 6: each client's rows of <c>client_secrets</c> become its <see cref="SecretSet"/> in
    /// <c>clients.secrets</c>, and their last-use times rows of <c>secret_uses</c>, in batches of clients (keyset order),
    /// inside the migration's transaction. What a revoked secret still held of its value is not carried over.
    /// </summary>
    private async ValueTask MoveSecretsIntoClientsAsync(IStoreSession s, CancellationToken ct)
    {
        var after = long.MinValue;
        while (true)
        {
            var ids = await s.QueryAsync(new Sql("SELECT client_id FROM clients WHERE client_id > @after ORDER BY client_id LIMIT @n",
                SqlArg.Long("after", after), SqlArg.Int("n", MigrationBatch)), r => r.GetInt64(0), ct);
            if (ids.Count == 0)
            {
                return;
            }

            var rows = await s.QueryAsync(new Sql("""
                SELECT client_id, secret_id, state, created_at, expires_at, valid_until, revoked_at, hint, key_id, ciphertext, digest, last_used_at
                FROM client_secrets WHERE client_id >= @from AND client_id <= @to
                """, SqlArg.Long("from", ids[0]), SqlArg.Long("to", ids[^1])),
                r => (ClientId: r.GetInt64(0), Entry: Legacy(r), LastUsedAt: Rows.Number(r, 11)), ct);
            foreach (var client in rows.GroupBy(r => r.ClientId))
            {
                var secrets = new SecretSet([.. client.Select(r => r.Entry)]);
                await s.ExecuteAsync(StoreSecrets(client.Key, secrets, touchedAt: null), ct);
                foreach (var (_, entry, lastUsedAt) in client.Where(r => r.LastUsedAt is not null))
                {
                    await s.ExecuteAsync(new Sql(_sql.RecordUse, SqlArg.Long("c", client.Key), SqlArg.Long("id", entry.SecretId), SqlArg.Long("at", lastUsedAt)), ct);
                }
            }

            after = ids[^1];
        }
    }

    /// <summary>A row of the old <c>client_secrets</c> table as the entry it becomes (wiped values were stored as empty blobs).</summary>
    private static SecretEntry Legacy(System.Data.Common.DbDataReader r)
    {
        var entry = new SecretEntry(r.GetInt64(1), (int)r.GetInt64(2), r.GetInt64(3), Rows.Number(r, 4), Rows.Number(r, 5), Rows.Number(r, 6), Rows.Text(r, 7),
            r.GetString(8), NonEmpty((byte[])r.GetValue(9)), NonEmpty((byte[])r.GetValue(10)));
        return entry.State switch
        {
            SecretPolicy.StateRevoked => entry.Revoked(entry.RevokedAt ?? entry.CreatedAt),
            SecretPolicy.StatePrevious => entry with { Ciphertext = null },
            _ => entry,
        };
    }

    private static byte[]? NonEmpty(byte[] bytes) => bytes.Length == 0 ? null : bytes;
}
