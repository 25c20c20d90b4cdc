using Rekey.Contracts;
using Rekey.Server.Hosting;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>
/// Master and data keys over time: set up at start, reloaded from the database (another node may have added a data
/// key), a new data key, a rewrap under the configured master keys, a master key retired. The rules are
/// <see cref="KeyPlans"/>; this class runs them through the store and loads what was committed into the cipher —
/// only after COMMIT, so that nothing is ever sealed under a key that did not reach the database.
/// </summary>
internal sealed class KeyLifecycle(IRekeyStore store, SecretCipher cipher, TimeProvider time, ILogger<KeyLifecycle> logger)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>At start, after the schema: refuses wrong or missing master keys (<see cref="Hosting.StartupFailure"/>), then loads the data keys.</summary>
    public async Task InitializeAsync(CancellationToken ct)
    {
        var started = await store.ChangeKeysAsync(state => KeyPlans.Start(state, cipher.Masters, Now), change: null, ct);
        if (!started.IsOk(out var startup, out var error))
        {
            throw new InvalidOperationException(error.Message);
        }

        await RefreshAsync(ct);
        Log.MasterKeysOpen(logger, string.Join(", ", cipher.Masters.Keys.Select(k => k.Id)), startup.NewDatabase ? "a new database" : "the database");
        foreach (var note in startup.Notes)
        {
            Log.KeyNote(logger, note);
        }
    }

    /// <summary>Loads every data key the database holds (the newest becomes current).</summary>
    public async Task RefreshAsync(CancellationToken ct) => cipher.Load((await store.ReadKeysAsync(ct)).DataKeys);

    /// <summary>A new data key, current from now on (A180201 when this node lacks a master key in use).</summary>
    public Task<Outcome<string>> NewDataKeyAsync(ChangeContext change, CancellationToken ct) =>
        ChangeAsync(state => KeyPlans.NewDataKey(state, cipher.Masters, Now), change, ct);

    public Task<Outcome<KeyPlans.Rewrapped>> RewrapAsync(ChangeContext change, CancellationToken ct) =>
        ChangeAsync(state => KeyPlans.Rewrap(state, cipher.Masters, cipher, Now), change, ct);

    public Task<Outcome<int>> RetireAsync(string masterKeyId, ChangeContext change, CancellationToken ct) =>
        ChangeAsync(state => KeyPlans.Retire(state, cipher.Masters, masterKeyId, Now), change, ct);

    public async Task<IReadOnlyList<MasterKeyInfo>> DescribeAsync(CancellationToken ct) => KeyPlans.Describe(await store.ReadKeysAsync(ct), cipher.Masters);

    private async Task<Outcome<T>> ChangeAsync<T>(Func<KeyState, Outcome<KeyPlan<T>>> plan, ChangeContext change, CancellationToken ct)
    {
        var outcome = await store.ChangeKeysAsync(plan, change, ct);
        if (!outcome.Failed)
        {
            await RefreshAsync(ct);
        }

        return outcome;
    }
}
