using System.Collections.Concurrent;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>Why a presented secret was refused; callers map every one to the same public answer (invalid_client).</summary>
internal enum VerificationFailure
{
    None,
    UnknownClient,

    /// <summary>The client exists but no secret valid now matches (wrong, revoked, past its grace period or lifetime).</summary>
    WrongSecret,
}

/// <summary>The outcome of one verification: the client (when found) and, on success, the secret that matched.</summary>
internal sealed record Verification(VerificationFailure Failure, ClientCredentials? Client, long? SecretId)
{
    public bool Succeeded => Failure == VerificationFailure.None;
}

/// <summary>
/// The verification core every consumer uses (token endpoint, Authlete /auth/token). It accepts the current secret
/// and unexpired previous ones and refuses the rest. Every call computes exactly <see cref="Slots"/> HMACs — the
/// secrets valid now (the store's cap keeps them within the slots), then decoys — whether or not the client exists
/// and however many secrets it has kept, and compares in constant time. Last use is recorded in memory and written
/// in batches by <see cref="SecretMaintenance"/>, never with a durable write per verification.
/// </summary>
internal sealed class SecretVerifier(IRekeyStore store, SecretCipher cipher, SecretUsage usage, TimeProvider time)
{
    /// <summary>Candidates checked per verification: the current secret and the valid previous ones, at most.</summary>
    private const int Slots = SecretPolicy.MaxValidPrevious + 1;

    public async Task<Verification> VerifyAsync(long serviceId, string clientIdentifier, string presentedSecret, CancellationToken ct)
    {
        var found = await store.FindCredentialsAsync(serviceId, clientIdentifier, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var client = found.Value;
        var candidates = client is null
            ? []
            : client.Secrets.Where(s => s.IsValidAt(now)).OrderBy(s => s.State).Take(Slots).ToList();

        long? matched = null;
        for (var slot = 0; slot < Slots; slot++)
        {
            if (slot < candidates.Count && client is not null)
            {
                var candidate = candidates[slot];
                var aad = SecretCipher.AssociatedData(serviceId, client.ClientId, candidate.SecretId);
                if (cipher.Matches(candidate.KeyId, candidate.Digest, presentedSecret, aad))
                {
                    matched ??= candidate.SecretId;
                }
            }
            else
            {
                cipher.MatchNothing(serviceId, presentedSecret);
            }
        }

        if (client is null)
        {
            return new Verification(VerificationFailure.UnknownClient, null, null);
        }

        if (matched is { } secretId)
        {
            usage.Record(client.ClientId, secretId, now);
            return new Verification(VerificationFailure.None, client, secretId);
        }

        return new Verification(VerificationFailure.WrongSecret, client, null);
    }
}

/// <summary>Last-use times waiting to be written: one entry per secret of a client, the latest time wins.</summary>
internal sealed class SecretUsage
{
    private ConcurrentDictionary<(long ClientId, long SecretId), long> _pending = new();

    public void Record(long clientId, long secretId, long at) => _pending.AddOrUpdate((clientId, secretId), at, (_, old) => Math.Max(old, at));

    public IReadOnlyCollection<SecretUse> Drain() =>
        [.. Interlocked.Exchange(ref _pending, new ConcurrentDictionary<(long ClientId, long SecretId), long>()).Select(p => new SecretUse(p.Key.ClientId, p.Key.SecretId, p.Value))];

    /// <summary>Puts back times that could not be written.</summary>
    public void Restore(IEnumerable<SecretUse> uses)
    {
        foreach (var use in uses)
        {
            Record(use.ClientId, use.SecretId, use.At);
        }
    }
}

/// <summary>
/// Background upkeep, every 30 seconds (of the injected clock) and at shutdown: writes pending last-use times in one
/// batch, and reloads the data keys so that a key added on another node becomes current here too.
/// </summary>
internal sealed partial class SecretMaintenance(IRekeyStore store, KeyLifecycle keys, SecretUsage usage, TimeProvider time, ILogger<SecretMaintenance> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// One flush at a time: a stop that finds nothing left to drain must still wait for the write of what another
    /// flush drained. A host can be stopped twice at once (the test host is: the factory and the application's own
    /// RunAsync, which disposes the store right after); without this the second stop returns, the store is disposed
    /// under the first one's write, and those last-use times are lost.
    /// </summary>
    private readonly SemaphoreSlim _flushing = new(1, 1);

    private int _waitingToFlush;

    /// <summary>
    /// Flushes waiting for <see cref="_flushing"/> right now. A test seam: it lets a test see a stop blocked behind
    /// another's flush, where a pause and a look could only hope the stop had got that far.
    /// </summary>
    internal int WaitingToFlush => Volatile.Read(ref _waitingToFlush);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the final flush happens in StopAsync.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    public async Task RunOnceAsync(CancellationToken ct)
    {
        try
        {
            await FlushAsync(ct);
            await keys.RefreshAsync(ct);
        }
        catch (StoreUnavailableException ex)
        {
            LogUnavailable(logger, ex.Message);
        }
        catch (StoreOutcomeUnknownException ex)
        {
            // Last-use times only ever move forward (GREATEST): written or not, nothing is wrong.
            LogUnavailable(logger, ex.Message);
        }
        catch (StoreOverloadedException ex)
        {
            // The SQLite writer's queue is full: the times go back into the pending set for the next round.
            LogUnavailable(logger, ex.Message);
        }
        catch (SecretDecryptionException ex)
        {
            // Another node rewrapped the data keys under a master key this node lacks (a rolling master key change)
            // or added a data key under one: keep the keys already loaded, which still open what they opened. An
            // exception here would stop the host.
            LogKeysNotReloaded(logger, ex.Message);
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _waitingToFlush);
        try
        {
            await _flushing.WaitAsync(ct);
        }
        finally
        {
            Interlocked.Decrement(ref _waitingToFlush);
        }

        try
        {
            var pending = usage.Drain();
            if (pending.Count > 0)
            {
                try
                {
                    await store.RecordSecretUseAsync(pending, ct);
                }
                catch (Exception ex) when (ex is StoreUnavailableException or StoreOverloadedException)
                {
                    // Nothing was written: keep the times for the next flush (a later use of the same secret wins).
                    usage.Restore(pending);
                    throw;
                }
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    [LoggerMessage(20, LogLevel.Warning, "Secret maintenance skipped: the store is unavailable ({Reason}).")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(21, LogLevel.Warning, "Data keys not reloaded, keeping the ones loaded: {Reason} Configure the missing master key on this node.")]
    private static partial void LogKeysNotReloaded(ILogger logger, string reason);
}
