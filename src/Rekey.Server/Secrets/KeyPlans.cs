using Rekey.Contracts;
using Rekey.Server.Hosting;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>
/// The rules of master and data keys, decided once for both stores on the key records as they are
/// (<see cref="IRekeyStore.ChangeKeysAsync{T}"/> runs each plan inside one transaction).
/// <list type="bullet">
/// <item>A master key is recorded (with its check value) when it first wraps a data key; configuring a key changes
/// nothing by itself. Only an explicit rewrap (<see cref="Rewrap"/>) puts a configured key to use, and only an explicit
/// retirement (<see cref="Retire"/>) takes one out of use — and only when every data key it wraps still opens with a
/// master key configured on the node doing it.</item>
/// <item>A new data key is wrapped under every master key in use; a node that lacks one of them may not create one
/// (A180201), so that no node can make data another node cannot read.</item>
/// <item>At start, a configured key whose ID is recorded must have the recorded check value, and every data key must
/// open with a configured key; otherwise the start is refused with one line and nothing is written. A key file is
/// generated only for a database that holds no data key yet.</item>
/// </list>
/// </summary>
internal static class KeyPlans
{
    /// <summary>What a start decided: whether it set up a new database, and what the operator should know.</summary>
    public sealed record Startup(bool NewDatabase, IReadOnlyList<string> Notes);

    /// <summary>Checks the configured master keys against the records; on a new database, creates the first data key.</summary>
    public static Outcome<KeyPlan<Startup>> Start(KeyState state, KeyRing ring, long now)
    {
        var checkValues = new List<StoredMasterKey>();
        foreach (var master in ring.Keys)
        {
            if (state.MasterKeys.FirstOrDefault(m => m.Id == master.Id) is not { } recorded)
            {
                continue;
            }

            if (recorded.CheckValue is { } checkValue)
            {
                if (!master.HasCheckValue(checkValue))
                {
                    throw WrongMaterial(master.Id);
                }

                continue;
            }

            // Recorded by the migration from a single wrapping, without a check value: a wrapping it opens proves the
            // material, and the check value is recorded from now on.
            var wrapped = state.DataKeys.SelectMany(d => d.Wraps.Where(w => w.MasterKeyId == master.Id).Select(w => (d.KeyId, Wrap: w))).ToList();
            if (wrapped.Count > 0 && !SecretCipher.Opens(master, wrapped[0].KeyId, wrapped[0].Wrap))
            {
                throw WrongMaterial(master.Id);
            }

            checkValues.Add(recorded with { CheckValue = master.CheckValue });
        }

        if (state.DataKeys.Count == 0)
        {
            // A new database: the key file (when that is where the key comes from) is written now, before anything is
            // sealed under it, and every configured key wraps the first data key.
            ring.SaveNewFile();
            var first = SecretCipher.NewDataKey(now, ring.Keys);
            var masters = ring.Keys.Select(m => new StoredMasterKey(m.Id, m.CheckValue, now, null)).ToList();
            return new KeyPlan<Startup>(new KeyChanges { MasterKeys = masters, NewDataKeys = [first] }, new Startup(true, []));
        }

        if (ring.UnsavedFile is { } path)
        {
            throw new StartupFailure(
                $"no master key is configured (Rekey:MasterKeys) and the key file {path} does not exist, but the database holds data keys wrapped under the master key(s) {Ids(InUse(state))}: restore that file or configure the key; nothing was written");
        }

        var closed = state.DataKeys.Where(d => !d.Wraps.Any(w => ring.Find(w.MasterKeyId) is not null)).ToList();
        if (closed.Count > 0)
        {
            throw new StartupFailure(
                $"the data key(s) {string.Join(", ", closed.Select(d => d.KeyId))} are wrapped only under the master key(s) {Ids(closed.SelectMany(d => d.Wraps.Select(w => w.MasterKeyId)).Distinct())}, none of which is configured here (Rekey:MasterKeys or the key file)");
        }

        var notes = new List<string>();
        foreach (var master in ring.Keys)
        {
            var recorded = state.MasterKeys.FirstOrDefault(m => m.Id == master.Id);
            if (recorded is null)
            {
                notes.Add($"master key '{master.Id}' is configured but wraps no data key yet; `rekey keys rewrap` puts it to use");
            }
            else if (recorded.RetiredAt is not null)
            {
                notes.Add($"master key '{master.Id}' is configured but was retired; remove it from the configuration");
            }
        }

        var missing = InUse(state).Where(id => ring.Find(id) is null).ToList();
        if (missing.Count > 0)
        {
            notes.Add($"master key(s) {Ids(missing)} wrap data keys but are not configured here; this node cannot create a data key until it has them");
        }

        return new KeyPlan<Startup>(new KeyChanges { MasterKeys = checkValues }, new Startup(false, notes));
    }

    /// <summary>A new data key, wrapped under every master key in use, strictly newer than every existing one.</summary>
    public static Outcome<KeyPlan<string>> NewDataKey(KeyState state, KeyRing ring, long now)
    {
        var inUse = InUse(state);
        var missing = inUse.Where(id => ring.Find(id) is null).ToList();
        if (missing.Count > 0)
        {
            return RuleViolation.Of(ResultCodes.DataKeyMasterKeysMissing, Ids(missing));
        }

        var under = inUse.Count > 0 ? inUse.Select(id => ring.Find(id)).OfType<MasterKey>().ToList() : [.. ring.Keys];
        var newest = state.DataKeys.Count == 0 ? 0 : state.DataKeys.Max(d => d.CreatedAt);
        var key = SecretCipher.NewDataKey(SecretPolicy.CreatedAt(now, newest), under);
        var recorded = under.Where(m => !state.MasterKeys.Any(r => r.Id == m.Id)).Select(m => new StoredMasterKey(m.Id, m.CheckValue, now, null)).ToList();
        return new KeyPlan<string>(new KeyChanges { MasterKeys = recorded, NewDataKeys = [key], AuditTarget = key.KeyId }, key.KeyId);
    }

    /// <summary>What a rewrap did: wrappings added, and the master keys that now wrap every data key.</summary>
    public sealed record Rewrapped(int Added, IReadOnlyList<string> MasterKeyIds);

    /// <summary>
    /// Wraps every data key under every master key configured here that does not wrap it yet, and records those keys
    /// (a retired one is back in use). Older wrappings stay: nodes that have only the old key keep working.
    /// </summary>
    public static Outcome<KeyPlan<Rewrapped>> Rewrap(KeyState state, KeyRing ring, SecretCipher cipher, long now)
    {
        var closed = state.DataKeys.Where(d => !d.Wraps.Any(w => ring.Find(w.MasterKeyId) is not null)).Select(d => d.KeyId).ToList();
        if (closed.Count > 0)
        {
            return RuleViolation.Of(ResultCodes.DataKeyMasterKeysMissing, "a master key that opens the data key(s) " + string.Join(", ", closed));
        }

        var wraps = new List<(string, DataKeyWrap)>();
        foreach (var master in ring.Keys)
        {
            foreach (var key in state.DataKeys.Where(d => !d.Wraps.Any(w => w.MasterKeyId == master.Id)))
            {
                wraps.Add((key.KeyId, cipher.AddWrap(key, master, now)));
            }
        }

        var masters = ring.Keys.Select(m => state.MasterKeys.FirstOrDefault(r => r.Id == m.Id) is { } recorded
                ? recorded with { CheckValue = m.CheckValue, RetiredAt = null }
                : new StoredMasterKey(m.Id, m.CheckValue, now, null))
            .ToList();
        var ids = ring.Keys.Select(m => m.Id).ToList();
        return new KeyPlan<Rewrapped>(new KeyChanges { MasterKeys = masters, NewWraps = wraps, AuditTarget = string.Join(",", ids) }, new Rewrapped(wraps.Count, ids));
    }

    /// <summary>
    /// Deletes every wrapping under <paramref name="masterKeyId"/> and marks it retired — only if each data key it wraps
    /// also opens with a master key in use that is configured here (A183201), so that no data key is left closed.
    /// </summary>
    public static Outcome<KeyPlan<int>> Retire(KeyState state, KeyRing ring, string masterKeyId, long now)
    {
        if (state.MasterKeys.FirstOrDefault(m => m.Id == masterKeyId) is not { RetiredAt: null } recorded)
        {
            return RuleViolation.Of(ResultCodes.MasterKeyNotFound, masterKeyId);
        }

        var usable = state.MasterKeys.Where(m => m.RetiredAt is null && m.Id != masterKeyId && ring.Find(m.Id) is not null).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var wrapped = state.DataKeys.Where(d => d.Wraps.Any(w => w.MasterKeyId == masterKeyId)).ToList();
        var stuck = wrapped.Where(d => !d.Wraps.Any(w => usable.Contains(w.MasterKeyId))).Select(d => d.KeyId).ToList();
        if (stuck.Count > 0)
        {
            return RuleViolation.Of(ResultCodes.MasterKeyStillNeeded, masterKeyId, string.Join(", ", stuck));
        }

        return new KeyPlan<int>(new KeyChanges
        {
            MasterKeys = [recorded with { RetiredAt = now }],
            DeletedWraps = [.. wrapped.Select(d => (d.KeyId, masterKeyId))],
            AuditTarget = masterKeyId,
        }, wrapped.Count);
    }

    /// <summary>Every master key the records know and every one configured here, for the key endpoints' answers.</summary>
    public static IReadOnlyList<MasterKeyInfo> Describe(KeyState state, KeyRing ring)
    {
        var recorded = state.MasterKeys.Select(m => new MasterKeyInfo
        {
            MasterKeyId = m.Id,
            CreatedAt = m.CreatedAt,
            RetiredAt = m.RetiredAt,
            DataKeys = state.DataKeys.Count(d => d.Wraps.Any(w => w.MasterKeyId == m.Id)),
            Configured = ring.Find(m.Id) is not null,
        });
        var onlyConfigured = ring.Keys.Where(k => !state.MasterKeys.Any(m => m.Id == k.Id)).Select(k => new MasterKeyInfo { MasterKeyId = k.Id, Configured = true });
        return [.. recorded, .. onlyConfigured];
    }

    /// <summary>Master keys recorded and not retired, oldest first.</summary>
    private static List<string> InUse(KeyState state) => [.. state.MasterKeys.Where(m => m.RetiredAt is null).Select(m => m.Id)];

    private static string Ids(IEnumerable<string> ids) => string.Join(", ", ids.Select(id => $"'{id}'"));

    private static StartupFailure WrongMaterial(string id) =>
        new($"the master key '{id}' does not match the check value the database holds for that ID: other key material is configured under a known ID (Rekey:MasterKeys or the key file)");
}
