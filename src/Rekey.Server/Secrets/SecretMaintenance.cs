using Microsoft.Extensions.Options;
using Rekey.Server.Hosting;
using Rekey.Server.Storage;

namespace Rekey.Server.Secrets;

/// <summary>
/// Background upkeep, every 30 seconds (of the injected clock) and at shutdown: writes pending last-use times in one
/// batch, reloads the data keys so that a key added on another node becomes current here too, and forgets the client
/// assertions (client_secret_jwt) too old to be replayed, the console sessions past their idle or absolute timeout
/// (a request refuses those already; this deletes the ones never presented again), so that no request pays for that deletion,
/// and signed leak reports past their retention. At start, once, the lookup digests of secrets stored before they existed.
/// </summary>
internal sealed class SecretMaintenance(IRekeyStore store, KeyLifecycle keys, SecretUsage usage, IOptions<RekeyOptions> options, TimeProvider time,
    ILogger<SecretMaintenance> logger) : BackgroundService
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
            await BackfillLookupsAsync(stoppingToken);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: the final flush happens in StopAsync.
        }
        catch (ObjectDisposedException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped and then disposed before this round's write came back (a stop that took longer than the host's
            // shutdown timeout): the round is abandoned like a cancelled one.
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
            var now = time.GetUtcNow();
            await store.ForgetExpiredAssertionsAsync(now.ToUnixTimeSeconds(), ct);
            var console = options.Value.Console;
            await store.ForgetStaleConsoleSessionsAsync((now - console.IdleTimeout).ToUnixTimeMilliseconds(), (now - console.AbsoluteTimeout).ToUnixTimeMilliseconds(), ct);
            await store.ForgetOldLeakReportsAsync((now - TimeSpan.FromDays(options.Value.Leaks.ReportRetentionDays)).ToUnixTimeMilliseconds(), ct);
            if (!_backfilled)
            {
                await BackfillLookupsAsync(ct);
            }
        }
        catch (StoreUnavailableException ex)
        {
            Log.SecretMaintenanceSkipped(logger, ex.Message);
        }
        catch (StoreOutcomeUnknownException ex)
        {
            // Last-use times only ever move forward (GREATEST): written or not, nothing is wrong.
            Log.SecretMaintenanceSkipped(logger, ex.Message);
        }
        catch (StoreOverloadedException ex)
        {
            // The SQLite writer's queue is full: the times go back into the pending set for the next round.
            Log.SecretMaintenanceSkipped(logger, ex.Message);
        }
        catch (SecretDecryptionException ex)
        {
            // Another node rewrapped the data keys under a master key this node lacks (a rolling master key change)
            // or added a data key under one: keep the keys already loaded, which still open what they opened. An
            // exception here would stop the host.
            Log.DataKeysNotReloaded(logger, ex.Message);
        }
    }

    private bool _backfilled;

    /// <summary>
    /// Once per process, until it succeeds: lookup digests for the current secrets stored before leak lookups existed
    /// (migration 14), so that a report finds them too. Every secret written since has its digest from the start.
    /// </summary>
    private async Task BackfillLookupsAsync(CancellationToken ct)
    {
        try
        {
            var count = await store.BackfillLookupsAsync(500, ct);
            if (count > 0)
            {
                Log.LookupsBackfilled(logger, count);
            }

            _backfilled = true;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or StoreOverloadedException or StoreOutcomeUnknownException or SecretDecryptionException)
        {
            // Tried again at the next round.
            Log.SecretMaintenanceSkipped(logger, ex.Message);
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
}
