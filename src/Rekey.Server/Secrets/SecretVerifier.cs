using System.Collections.Concurrent;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>Why a presented secret was refused; callers map every one to the same public answer (invalid_client).</summary>
internal enum VerificationFailure
{
    None,
    UnknownClient,
    WrongSecret,
    ExpiredSecret,
}

/// <summary>The outcome of one verification: the client (when found) and, on success, the secret that matched.</summary>
internal sealed record Verification(VerificationFailure Failure, ClientCredentials? Client, long? SecretId)
{
    public bool Succeeded => Failure == VerificationFailure.None;
}

/// <summary>
/// The verification core every consumer uses (token endpoint, Authlete /auth/token). It accepts the current secret
/// and unexpired previous ones and refuses the rest. It computes the same number of HMACs whether or not the client
/// exists and however many secrets it has, and compares in constant time. Last use is recorded in memory and
/// written in batches by <see cref="SecretMaintenance"/>, never with a durable write per verification.
/// </summary>
internal sealed class SecretVerifier(IRekeyStore store, SecretCipher cipher, SecretUsage usage, TimeProvider time)
{
    /// <summary>Candidates checked per verification: the current secret and the valid previous ones, at most.</summary>
    private const int Slots = SecretPolicy.MaxValidPrevious + 1;

    public async Task<Verification> VerifyAsync(long serviceId, string clientIdentifier, string presentedSecret, CancellationToken ct)
    {
        var found = await store.FindCredentialsAsync(serviceId, clientIdentifier, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!found.IsOk(out var client, out _))
        {
            for (var i = 0; i < Slots; i++)
            {
                cipher.MatchNothing(presentedSecret);
            }

            return new Verification(VerificationFailure.UnknownClient, null, null);
        }

        long? matched = null;
        var matchedInvalid = false;
        var checkedCount = 0;
        foreach (var candidate in client.Secrets)
        {
            checkedCount++;
            if (cipher.Matches(candidate.KeyId, candidate.Digest, presentedSecret))
            {
                if (candidate.IsValidAt(now))
                {
                    matched ??= candidate.SecretId;
                }
                else
                {
                    matchedInvalid = true;
                }
            }
        }

        for (; checkedCount < Slots; checkedCount++)
        {
            cipher.MatchNothing(presentedSecret);
        }

        if (matched is { } secretId)
        {
            usage.Record(secretId, now);
            return new Verification(VerificationFailure.None, client, secretId);
        }

        return new Verification(matchedInvalid ? VerificationFailure.ExpiredSecret : VerificationFailure.WrongSecret, client, null);
    }
}

/// <summary>Last-use times waiting to be written: one entry per secret, the latest time wins.</summary>
internal sealed class SecretUsage
{
    private ConcurrentDictionary<long, long> _pending = new();

    public void Record(long secretId, long at) => _pending.AddOrUpdate(secretId, at, (_, old) => Math.Max(old, at));

    public IReadOnlyCollection<KeyValuePair<long, long>> Drain() => Interlocked.Exchange(ref _pending, new ConcurrentDictionary<long, long>()).ToArray();
}

/// <summary>
/// Background upkeep, every 30 seconds and at shutdown: writes pending last-use times in one batch, and reloads the
/// data keys so that a key added on another node becomes current here too.
/// </summary>
internal sealed partial class SecretMaintenance(IRekeyStore store, SecretUsage usage, ILogger<SecretMaintenance> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
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
            await store.RefreshDataKeysAsync(ct);
        }
        catch (StoreUnavailableException ex)
        {
            LogUnavailable(logger, ex.Message);
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        var pending = usage.Drain();
        if (pending.Count > 0)
        {
            await store.RecordSecretUseAsync(pending, ct);
        }
    }

    [LoggerMessage(20, LogLevel.Warning, "Secret maintenance skipped: the store is unavailable ({Reason}).")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
