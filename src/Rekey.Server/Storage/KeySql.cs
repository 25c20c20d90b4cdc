using System.Data.Common;
using Rekey.Server.Secrets;

namespace Rekey.Server.Storage;

/// <summary>
/// The key records' statements, the same text for both engines (<c>@name</c> parameters), and the assembly of what they
/// read into a <see cref="KeyState"/>. The rules that decide what to write live in <see cref="KeyPlans"/>.
/// </summary>
internal static class KeySql
{
    public const string MasterKeys = "SELECT master_key_id, check_value, created_at, retired_at FROM master_keys ORDER BY created_at, master_key_id";

    public const string DataKeys = "SELECT key_id, created_at FROM data_keys ORDER BY created_at, key_id";

    public const string Wraps = "SELECT key_id, master_key_id, wrapped, created_at FROM data_key_wraps ORDER BY created_at, master_key_id";

    /// <summary>@id, @check, @at, @retired.</summary>
    public const string UpsertMasterKey = """
        INSERT INTO master_keys (master_key_id, check_value, created_at, retired_at) VALUES (@id, @check, @at, @retired)
        ON CONFLICT (master_key_id) DO UPDATE SET check_value = excluded.check_value, retired_at = excluded.retired_at
        """;

    /// <summary>@key, @at, @master, @wrapped: the legacy columns hold the first wrapping (nodes of the previous release read them).</summary>
    public const string InsertDataKey = "INSERT INTO data_keys (key_id, created_at, master_key_id, wrapped) VALUES (@key, @at, @master, @wrapped)";

    /// <summary>@key, @master, @wrapped, @at.</summary>
    public const string InsertWrap = "INSERT INTO data_key_wraps (key_id, master_key_id, wrapped, created_at) VALUES (@key, @master, @wrapped, @at)";

    /// <summary>@key, @master: deletes the wrapping and points the legacy columns at one that remains.</summary>
    public static readonly string[] DeleteWrap =
    [
        "DELETE FROM data_key_wraps WHERE key_id = @key AND master_key_id = @master",
        """
        UPDATE data_keys SET (master_key_id, wrapped) =
          (SELECT w.master_key_id, w.wrapped FROM data_key_wraps w WHERE w.key_id = data_keys.key_id ORDER BY w.created_at, w.master_key_id LIMIT 1)
        WHERE key_id = @key AND EXISTS (SELECT 1 FROM data_key_wraps w WHERE w.key_id = data_keys.key_id)
        """,
    ];

    public static StoredMasterKey MasterKey(DbDataReader r) =>
        new(r.GetString(0), r.IsDBNull(1) ? null : (byte[])r.GetValue(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3));

    public static (string KeyId, long CreatedAt) DataKey(DbDataReader r) => (r.GetString(0), r.GetInt64(1));

    public static (string KeyId, DataKeyWrap Wrap) Wrap(DbDataReader r) => (r.GetString(0), new DataKeyWrap(r.GetString(1), (byte[])r.GetValue(2), r.GetInt64(3)));

    public static KeyState Assemble(IReadOnlyList<StoredMasterKey> masters, IReadOnlyList<(string KeyId, long CreatedAt)> dataKeys, IReadOnlyList<(string KeyId, DataKeyWrap Wrap)> wraps)
    {
        var byKey = wraps.ToLookup(w => w.KeyId, w => w.Wrap, StringComparer.Ordinal);
        return new KeyState(masters, [.. dataKeys.Select(d => new WrappedDataKey(d.KeyId, d.CreatedAt, [.. byKey[d.KeyId]]))]);
    }

    /// <summary>The statements that write <paramref name="changes"/>, with their parameters, in order.</summary>
    public static IEnumerable<Sql> Statements(KeyChanges changes)
    {
        foreach (var m in changes.MasterKeys)
        {
            yield return new(UpsertMasterKey, SqlArg.Text("id", m.Id), SqlArg.Bytes("check", m.CheckValue), SqlArg.Long("at", m.CreatedAt), SqlArg.Long("retired", m.RetiredAt));
        }

        foreach (var key in changes.NewDataKeys)
        {
            yield return new(InsertDataKey, SqlArg.Text("key", key.KeyId), SqlArg.Long("at", key.CreatedAt), SqlArg.Text("master", key.Wraps[0].MasterKeyId), SqlArg.Bytes("wrapped", key.Wraps[0].Wrapped));
            foreach (var wrap in key.Wraps)
            {
                yield return InsertWrapOf(key.KeyId, wrap);
            }
        }

        foreach (var (keyId, wrap) in changes.NewWraps)
        {
            yield return InsertWrapOf(keyId, wrap);
        }

        foreach (var (keyId, masterKeyId) in changes.DeletedWraps)
        {
            foreach (var sql in DeleteWrap)
            {
                yield return new(sql, SqlArg.Text("key", keyId), SqlArg.Text("master", masterKeyId));
            }
        }
    }

    private static Sql InsertWrapOf(string keyId, DataKeyWrap wrap) =>
        new(InsertWrap, SqlArg.Text("key", keyId), SqlArg.Text("master", wrap.MasterKeyId), SqlArg.Bytes("wrapped", wrap.Wrapped), SqlArg.Long("at", wrap.CreatedAt));
}
